"""Record Anthropic SDK Messages calls in an agentmetrics session.

    from agentmetrics.integrations import anthropic as am_anthropic

    message = client.messages.create(model="claude-sonnet-4-5", max_tokens=1024, messages=...)
    am_anthropic.record_message(session, message, duration_ns=elapsed)

    with am_anthropic.track_call(session, model="claude-sonnet-4-5") as call:  # times, records errors
        call.result = client.messages.create(...)

    with client.messages.stream(...) as stream:            # or client.messages.create(stream=True)
        for event in am_anthropic.track_stream(session, stream):
            ...
    # or, having consumed a MessageStream yourself: record_message(session, stream.get_final_message())

Streamed usage is merged by the agentmetrics core (message_start, then each message_delta, by
overwrite, never summed); `input_tokens` is already fresh input. The anthropic package is not
needed to import this module. Times are nanoseconds of `clock` (default `session.now_ns`, the
recorder's clock); calls are recorded with durations, not instants.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, TypeVar, cast

import agentmetrics as am

from ._calls import Call, StreamTracker, aiterate, iterate, timed_call

if TYPE_CHECKING:
    from anthropic.types import Message, RawMessageDeltaEvent, RawMessageStartEvent

    from agentmetrics import Session

__all__ = ["Call", "record_message", "track_async_stream", "track_call", "track_stream"]

PROVIDER = "anthropic"
_T = TypeVar("_T")


def record_message(
    session: Session,
    message: Message,
    *,
    model: str | None = None,
    duration_ns: int | None = None,
    start_ns: int | None = None,
    end_ns: int | None = None,
    ttft_ns: int | None = None,
    attempt: int | None = None,
    source: str | None = None,
) -> am.Notice:
    """Record a `Message` (from `messages.create` or `MessageStream.get_final_message()`).

    `model` overrides `message.model`.
    """
    return session.record_model_call(
        model=model or message.model,
        usage=message.usage,
        provider=PROVIDER,
        source=source,
        stop_reason=message.stop_reason,
        duration_ns=duration_ns,
        start_ns=start_ns,
        end_ns=end_ns,
        ttft_ns=ttft_ns,
        attempt=attempt,
    )


def track_call(
    session: Session,
    *,
    model: str | None = None,
    attempt: int | None = None,
    source: str | None = None,
    clock: Callable[[], int] | None = None,
) -> AbstractContextManager[Call[Message]]:
    """Time a non-streamed call and record `call.result` (a `Message`) when the block ends.

    An exception is recorded as a failed call (error = the exception's class name, usage missing)
    and propagates; a block that sets no result is recorded with usage missing.
    """

    def record(message: Message, duration: int) -> am.Notice:
        return record_message(session, message, model=model, duration_ns=duration, attempt=attempt,
                              source=source)

    return timed_call(session, record, provider=PROVIDER, model=model, attempt=attempt, source=source,
                      clock=clock)


class _StreamTracker(StreamTracker):
    provider = PROVIDER

    def observe(self, event: object) -> None:
        kind = getattr(event, "type", None)
        if kind == "message_start":
            self.model = self.model or cast("RawMessageStartEvent", event).message.model
            self.feed(am.Format.ANTHROPIC, event)
        elif kind == "message_delta":
            self.stop_reason = cast("RawMessageDeltaEvent", event).delta.stop_reason or self.stop_reason
            self.feed(am.Format.ANTHROPIC, event)
        elif kind == "content_block_delta":
            self.mark_first_token()


def track_stream(
    session: Session,
    stream: Iterable[_T],
    *,
    model: str | None = None,
    start_ns: int | None = None,
    attempt: int | None = None,
    source: str | None = None,
    clock: Callable[[], int] | None = None,
) -> Iterator[_T]:
    """Yield the events of a Messages stream unchanged and record the call.

    Accepts `Stream[RawMessageStreamEvent]` (`messages.create(stream=True)`), a `MessageStream`
    (`messages.stream()`) or any iterable of those events. The call is recorded once, when the
    stream ends, fails (error = exception class name) or the iterator is closed. `start_ns` (on
    `clock`) is when the request was sent; default: now. Time to first token is taken at the
    first content_block_delta.
    """
    tracker = _StreamTracker(session, model, start_ns, clock, attempt, source)
    return iterate(tracker, stream)


def track_async_stream(
    session: Session,
    stream: AsyncIterable[_T],
    *,
    model: str | None = None,
    start_ns: int | None = None,
    attempt: int | None = None,
    source: str | None = None,
    clock: Callable[[], int] | None = None,
) -> AsyncIterator[_T]:
    """`track_stream` for the async client's `AsyncStream` / `AsyncMessageStream`."""
    tracker = _StreamTracker(session, model, start_ns, clock, attempt, source)
    return aiterate(tracker, stream)
