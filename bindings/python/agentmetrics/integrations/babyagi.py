"""BabyAGI-style event hooks (seed 001): a collector that subscribes to an agent's
``ai_call_start``/``ai_call_end`` and ``tool_start``/``tool_end`` events.

    collector = MetricsCollector(recorder, agent="babyagi")
    collector.attach(agent)          # anything with .on(event_name, handler)

Each ``thread_id`` gets its own session. Token counts in ``ai_call_end`` are read as the Anthropic
SDK reports them (``input_tokens``, ``output_tokens``, ``cache_read_input_tokens``,
``cache_creation_input_tokens``, or a ``usage`` object); counts the event does not carry are
missing, never 0.
"""

from __future__ import annotations

from collections import defaultdict, deque
from typing import Any, Callable, Optional, Protocol

from .. import Format, Recorder, Session

__all__ = ["MetricsCollector", "EventSource"]

_USAGE_KEYS = ("input_tokens", "output_tokens", "cache_read_input_tokens",
               "cache_creation_input_tokens", "cache_creation")
_ID_KEYS = ("tool_use_id", "call_id", "id")


class EventSource(Protocol):
    def on(self, event: str, handler: Callable[[dict[str, Any]], Any], /) -> Any: ...


def _ms_to_ns(ms: Any) -> int:
    return int(round(float(ms) * 1_000_000))


class MetricsCollector:
    """Turns an agent's events into model and tool call records."""

    def __init__(self, recorder: Recorder, *, agent: Optional[str] = None,
                 provider: str = "anthropic", clock: Optional[Callable[[], int]] = None) -> None:
        self.recorder = recorder
        self.agent = agent
        self.provider = provider
        self._clock = clock or recorder.now_ns  # the recorder's clock by default
        self._sessions: dict[str, Session] = {}
        self._ai_calls: dict[str, tuple[int, Optional[str]]] = {}  # thread -> (start, model)
        self._tools_by_name: defaultdict[tuple[str, str], deque[str]] = defaultdict(deque)
        self._next_id = 0

    def attach(self, source: EventSource) -> None:
        """Subscribe to the four events."""
        source.on("ai_call_start", self.on_ai_call_start)
        source.on("ai_call_end", self.on_ai_call_end)
        source.on("tool_start", self.on_tool_start)
        source.on("tool_end", self.on_tool_end)

    def session(self, thread_id: str = "default") -> Session:
        """The session of a thread, opened on first use."""
        session = self._sessions.get(thread_id)
        if session is None:
            session = self.recorder.session(thread_id, agent=self.agent)
            self._sessions[thread_id] = session
        return session

    def close(self) -> None:
        """End every session."""
        for session in self._sessions.values():
            session.close()
        self._sessions.clear()

    def on_ai_call_start(self, event: dict[str, Any]) -> None:
        self._ai_calls[str(event.get("thread_id", "default"))] = (self._clock(), event.get("model"))

    def on_ai_call_end(self, event: dict[str, Any]) -> None:
        thread = str(event.get("thread_id", "default"))
        start, start_model = self._ai_calls.pop(thread, (None, None))
        duration_ns: Optional[int] = None
        if event.get("duration_ms") is not None:
            duration_ns = _ms_to_ns(event["duration_ms"])
        elif start is not None:
            duration_ns = self._clock() - start
        usage = event.get("usage")
        if usage is None:
            counts = {k: event[k] for k in _USAGE_KEYS if event.get(k) is not None}
            usage = counts or None
        self.session(thread).record_model_call(
            model=event.get("model", start_model), provider=self.provider, usage=usage,
            usage_format=Format.ANTHROPIC if isinstance(usage, dict) else None,
            stop_reason=event.get("stop_reason"), error=event.get("error_type"), duration_ns=duration_ns)

    def _tool_key(self, event: dict[str, Any]) -> tuple[str, str, Optional[str]]:
        thread = str(event.get("thread_id", "default"))
        name = str(event.get("name") or event.get("tool") or "unknown")
        call_id = next((str(event[k]) for k in _ID_KEYS if event.get(k) is not None), None)
        return thread, name, call_id

    def on_tool_start(self, event: dict[str, Any]) -> None:
        thread, name, call_id = self._tool_key(event)
        if call_id is None:  # no id: calls of one tool are matched first in, first out
            self._next_id += 1
            call_id = f"{name}#{self._next_id}"
            self._tools_by_name[(thread, name)].append(call_id)
        self.session(thread).tool_start(name, call_id)

    def on_tool_end(self, event: dict[str, Any]) -> None:
        thread, name, call_id = self._tool_key(event)
        if call_id is None:
            pending = self._tools_by_name[(thread, name)]
            call_id = pending.popleft() if pending else None
        error, message = _tool_error(event)
        session = self.session(thread)
        if call_id is None:  # no matching start: the event's own duration, if any
            duration = event.get("duration_ms")
            session.record_tool_call(name, duration_ns=None if duration is None else _ms_to_ns(duration),
                                     error=error, error_message=message)
            return
        session.tool_end(call_id, name=name, error=error, error_message=message)


def _tool_error(event: dict[str, Any]) -> tuple[Optional[str], Optional[str]]:
    # Seed 001: a result dict with "error", or with status "error", is a failed call.
    if event.get("error") is not None:
        return "error", str(event["error"])
    result = event.get("result")
    if isinstance(result, dict):
        if "error" in result:
            return "error", str(result["error"])
        if result.get("status") == "error":
            return "error", str(result.get("message", "unknown error"))
    return None, None
