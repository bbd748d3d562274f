"""Record OpenAI SDK calls (Chat Completions and Responses) in an agentmetrics session.

    from agentmetrics.integrations import openai as am_openai

    completion = client.chat.completions.create(model="gpt-4o", messages=...)
    am_openai.record_chat_completion(session, completion, duration_ns=elapsed)

    with am_openai.track_call(session, model="gpt-4o") as call:   # times it, records errors too
        call.result = client.chat.completions.create(model="gpt-4o", messages=...)

    stream = client.chat.completions.create(..., stream=True, stream_options={"include_usage": True})
    for chunk in am_openai.track_stream(session, stream):
        ...

Token arithmetic (cached tokens out of the prompt, reasoning inside the output) is done by the
agentmetrics core from the SDK's own usage objects; this module only picks fields and times calls.
The openai package is not needed to import it. Times are nanoseconds of `clock` (default
`session.now_ns`, the recorder's clock); calls are recorded with durations, not instants.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, TypeVar, cast

import agentmetrics as am

from ._calls import Call, StreamTracker, aiterate, iterate, timed_call

if TYPE_CHECKING:
    from openai.types.chat import ChatCompletion, ChatCompletionChunk
    from openai.types.responses import Response

    from agentmetrics import Session

__all__ = [
    "Call",
    "record_chat_completion",
    "record_response",
    "track_async_stream",
    "track_call",
    "track_stream",
]

PROVIDER = "openai"
_FINAL_RESPONSE_EVENTS = ("response.completed", "response.incomplete", "response.failed")
_T = TypeVar("_T")


def record_chat_completion(
    session: Session,
    completion: ChatCompletion,
    *,
    model: str | None = None,
    duration_ns: int | None = None,
    start_ns: int | None = None,
    end_ns: int | None = None,
    ttft_ns: int | None = None,
    attempt: int | None = None,
    source: str | None = None,
) -> am.Notice:
    """Record a non-streamed ChatCompletion; `usage` None is recorded as usage missing.

    `model` overrides `completion.model`; the stop reason is the first choice's finish_reason.
    """
    return session.record_model_call(
        model=model or completion.model,
        usage=completion.usage,
        provider=PROVIDER,
        source=source,
        stop_reason=completion.choices[0].finish_reason if completion.choices else None,
        duration_ns=duration_ns,
        start_ns=start_ns,
        end_ns=end_ns,
        ttft_ns=ttft_ns,
        attempt=attempt,
    )


def record_response(
    session: Session,
    response: Response,
    *,
    model: str | None = None,
    duration_ns: int | None = None,
    start_ns: int | None = None,
    end_ns: int | None = None,
    ttft_ns: int | None = None,
    attempt: int | None = None,
    source: str | None = None,
) -> am.Notice:
    """Record a Responses API `Response`; a failed response is recorded as an error."""
    stop_reason, error = _response_outcome(response)
    return session.record_model_call(
        model=model or response.model,
        usage=response.usage,
        provider=PROVIDER,
        source=source,
        stop_reason=stop_reason,
        error=error,
        duration_ns=duration_ns,
        start_ns=start_ns,
        end_ns=end_ns,
        ttft_ns=ttft_ns,
        attempt=attempt,
    )


def _response_outcome(response: Response) -> tuple[str | None, str | None]:
    """(stop reason, error class) of a Response: the incomplete reason or the status."""
    details = response.incomplete_details
    stop_reason = details.reason if details is not None and details.reason else response.status
    if response.status != "failed":
        return stop_reason, None
    return stop_reason, response.error.code if response.error is not None else "failed"


def track_call(
    session: Session,
    *,
    model: str | None = None,
    attempt: int | None = None,
    source: str | None = None,
    clock: Callable[[], int] | None = None,
) -> AbstractContextManager[Call[ChatCompletion | Response]]:
    """Time a non-streamed call and record `call.result` (a ChatCompletion or a Response) when
    the block ends.

    An exception is recorded as a failed call (error = the exception's class name, usage missing)
    and propagates; a block that sets no result is recorded with usage missing.
    """

    def record(result: ChatCompletion | Response, duration: int) -> am.Notice:
        if result.object == "response":
            return record_response(session, result, model=model, duration_ns=duration, attempt=attempt,
                                   source=source)
        return record_chat_completion(session, result, model=model, duration_ns=duration, attempt=attempt,
                                      source=source)

    return timed_call(session, record, provider=PROVIDER, model=model, attempt=attempt, source=source,
                      clock=clock)


class _StreamTracker(StreamTracker):
    provider = PROVIDER

    def observe(self, item: object) -> None:
        kind = getattr(item, "type", None)
        if kind == "chunk":  # an event of client.chat.completions.stream(): carries the chunk
            item = getattr(item, "chunk", None)
        if getattr(item, "object", None) == "chat.completion.chunk":
            self._chat_chunk(cast("ChatCompletionChunk", item))
        elif isinstance(kind, str):
            self._response_event(item, kind)

    def _chat_chunk(self, chunk: ChatCompletionChunk) -> None:
        self.model = self.model or chunk.model
        if chunk.choices:  # the usage-only final chunk has no choices
            self.mark_first_token()
            for choice in chunk.choices:
                if choice.finish_reason is not None:
                    self.stop_reason = choice.finish_reason
        if chunk.usage is not None:
            self.feed(am.Format.OPENAI_CHAT, chunk)

    def _response_event(self, event: Any, kind: str) -> None:
        if kind.endswith(".delta"):
            self.mark_first_token()
        response: Response | None = getattr(event, "response", None)
        if response is not None:
            self.model = self.model or response.model
        if kind in _FINAL_RESPONSE_EVENTS and response is not None:
            self.feed(am.Format.OPENAI_RESPONSES, event)
            self.stop_reason, self.error = _response_outcome(response)
        elif kind == "error":
            self.error = getattr(event, "code", None) or "error"


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
    """Yield the items of a chat-completion or Responses stream unchanged and record the call.

    Accepts `Stream[ChatCompletionChunk]`, `Stream[ResponseStreamEvent]` and the event streams of
    `client.chat.completions.stream()` / `client.responses.stream()`. The call is recorded once,
    when the stream ends, fails (error = exception class name) or the iterator is closed. Without
    `stream_options={"include_usage": True}` a chat stream carries no usage: recorded as missing.
    `start_ns` (on `clock`) is when the request was sent; default: now. Time to first token is
    taken at the first chunk with choices (chat) or the first `*.delta` event (Responses).
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
    """`track_stream` for `AsyncStream`s of the async client (`async for` over the result)."""
    tracker = _StreamTracker(session, model, start_ns, clock, attempt, source)
    return aiterate(tracker, stream)
