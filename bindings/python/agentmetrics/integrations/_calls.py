"""What the SDK integrations share: timing one call, and tracking a stream so that the call is
recorded exactly once when the stream ends, fails or is closed."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Generic, Optional, TypeVar

import agentmetrics as am

if TYPE_CHECKING:
    from agentmetrics import Session

_R = TypeVar("_R")
_T = TypeVar("_T")


class Call(Generic[_R]):
    """The call timed by `track_call`: assign the SDK's response to `result`."""

    def __init__(self) -> None:
        self.result: Optional[_R] = None
        self.notice: Optional[am.Notice] = None  # set when the call has been recorded


@contextmanager
def timed_call(
    session: Session,
    record: Callable[[_R, int], am.Notice],
    *,
    provider: str,
    model: Optional[str],
    attempt: Optional[int],
    source: Optional[str],
    clock: Optional[Callable[[], int]],
) -> Iterator[Call[_R]]:
    """Time the block and record `call.result` with `record(result, duration_ns)`.

    An exception is recorded as a failed call (error = the exception's class name, usage missing)
    and propagates; a block that sets no result is recorded with usage missing.
    """
    now = clock or session.now_ns
    call: Call[_R] = Call()
    start = now()
    try:
        yield call
    except Exception as exc:
        call.notice = session.record_model_call(model=model, provider=provider, source=source,
                                                error=type(exc).__name__, duration_ns=now() - start,
                                                attempt=attempt)
        raise
    duration = now() - start
    if call.result is None:
        call.notice = session.record_model_call(model=model, provider=provider, source=source,
                                                duration_ns=duration, attempt=attempt)
    else:
        call.notice = record(call.result, duration)


class StreamTracker:
    """One streamed call: model, merged usage, stop reason, error and time to first token.
    Subclasses read their SDK's events in `observe`."""

    provider = ""

    def __init__(self, session: Session, model: Optional[str], start_ns: Optional[int],
                 clock: Optional[Callable[[], int]], attempt: Optional[int], source: Optional[str]) -> None:
        self.session = session
        self.clock = clock or session.now_ns
        self.start = self.clock() if start_ns is None else start_ns
        self.first: Optional[int] = None
        self.usage: Optional[am.UsageStream] = None
        self.model = model
        self.attempt = attempt
        self.source = source
        self.stop_reason: Optional[str] = None
        self.error: Optional[str] = None

    def observe(self, item: object) -> None:
        raise NotImplementedError

    def mark_first_token(self) -> None:
        if self.first is None:
            self.first = self.clock()

    def feed(self, fmt: am.Format, event: object) -> None:
        """Merge a usage-bearing event (the core applies the provider's merge rule)."""
        if self.usage is None:
            self.usage = am.UsageStream(fmt)
        self.usage.add(event)

    def finish(self, error: Optional[str]) -> am.Notice:
        """Record the call; usage is missing when no usage-bearing event arrived."""
        return self.session.record_model_call(
            model=self.model,
            usage=self.usage.result() if self.usage is not None else None,
            provider=self.provider,
            source=self.source,
            stop_reason=self.stop_reason,
            error=error or self.error,
            duration_ns=self.clock() - self.start,
            ttft_ns=None if self.first is None else self.first - self.start,
            attempt=self.attempt,
        )


def iterate(tracker: StreamTracker, stream: Iterable[_T]) -> Iterator[_T]:
    """Yield the stream's items unchanged; record the call once at the end."""
    error = None
    try:
        for item in stream:
            tracker.observe(item)
            yield item
    except Exception as exc:
        error = type(exc).__name__
        raise
    finally:
        tracker.finish(error)


async def aiterate(tracker: StreamTracker, stream: AsyncIterable[_T]) -> AsyncIterator[_T]:
    """`iterate` for async streams."""
    error = None
    try:
        async for item in stream:
            tracker.observe(item)
            yield item
    except Exception as exc:
        error = type(exc).__name__
        raise
    finally:
        tracker.finish(error)
