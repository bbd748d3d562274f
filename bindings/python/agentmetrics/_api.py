"""The Pythonic layer over the native classes: context managers, decorators, query methods."""

from __future__ import annotations

import contextvars
import functools
import inspect
import io
import os
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import IO, Any, Callable, Optional, TypeVar, Union, cast, overload

from . import _native
from ._native import By, ExportFormat, Flush, Period, QueryKind
from ._sdk import enum_value
from ._types import parse_doc

__all__ = ["Recorder", "Session", "History", "Follow", "current_session", "tool"]

PathLike = Union[str, "os.PathLike[str]"]
F = TypeVar("F", bound=Callable[..., Any])

_current: contextvars.ContextVar[Optional[Session]] = contextvars.ContextVar(
    "agentmetrics_session", default=None
)


def current_session() -> Optional[Session]:
    """The session of the innermost ``with recorder.session(...)`` block in this context."""
    return _current.get()


def _range(period: Union[Period, str], since: Optional[int], until: Optional[int],
           now_ns: Optional[int]) -> dict[str, Any]:
    """The period arguments of a native call: a named period, or [since, until) as a range."""
    p = enum_value(Period, period, "period")
    if since is not None or until is not None:
        p = int(Period.RANGE)  # an end left as None is open (the core's presence bits)
    return {"period": p, "since": since, "until": until, "now_ns": now_ns}


class _Queries:
    """Seed 001's history questions; results are the core's JSON documents as dicts (costs are
    Decimal, durations milliseconds, timestamps ISO 8601 UTC)."""

    _query: Callable[..., str]  # the native class's query entry point

    def _run(
        self,
        kind: QueryKind,
        period: Union[Period, str] = Period.ALL,
        since: Optional[int] = None,
        until: Optional[int] = None,
        now_ns: Optional[int] = None,
        **query: Any,
    ) -> Any:
        return parse_doc(self._query(int(kind), **_range(period, since, until, now_ns), **query))

    def summary(self, period: Union[Period, str] = Period.ALL, *, since: Optional[int] = None,
                until: Optional[int] = None, now_ns: Optional[int] = None, limit: int = 0) -> Any:
        """Totals, latencies, cost by model, top tools and sessions over a period
        ("all", "hour", "day", "week", "month") or [since, until) in wall-clock ns."""
        return self._run(QueryKind.SUMMARY, period, since, until, now_ns, limit=limit)

    def costs(self, by: Union[By, str] = By.MODEL, period: Union[Period, str] = Period.ALL, *,
              since: Optional[int] = None, until: Optional[int] = None,
              now_ns: Optional[int] = None) -> Any:
        """Cost grouped by model, provider, source, agent, phase, task, session or day."""
        return self._run(QueryKind.COST_BREAKDOWN, period, since, until, now_ns,
                         group_by=enum_value(By, by, "grouping"))

    def tools(self, name: Optional[str] = None, period: Union[Period, str] = Period.ALL, *,
              since: Optional[int] = None, until: Optional[int] = None,
              now_ns: Optional[int] = None) -> Any:
        """Per tool: calls, success rate, mean, p95, errors, last error (one tool or all)."""
        return self._run(QueryKind.TOOLS, period, since, until, now_ns, name=name)

    def slow(self, threshold_ns: Optional[int] = None, period: Union[Period, str] = Period.ALL, *,
             limit: int = 0, since: Optional[int] = None, until: Optional[int] = None,
             now_ns: Optional[int] = None) -> Any:
        """Model calls, tool calls and turns at or over the threshold, slowest first (None: the
        core's default, 5 s)."""
        return self._run(QueryKind.SLOW, period, since, until, now_ns, threshold_ns=threshold_ns or 0,
                         limit=limit)

    def errors(self, period: Union[Period, str] = Period.ALL, *, limit: int = 0,
               since: Optional[int] = None, until: Optional[int] = None,
               now_ns: Optional[int] = None) -> Any:
        """Recent errors and error counts by tool and model."""
        return self._run(QueryKind.ERRORS, period, since, until, now_ns, limit=limit)

    def expensive_sessions(self, period: Union[Period, str] = Period.ALL, *, limit: int = 0,
                           since: Optional[int] = None, until: Optional[int] = None,
                           now_ns: Optional[int] = None) -> Any:
        """Sessions by cost, highest first."""
        return self._run(QueryKind.EXPENSIVE_SESSIONS, period, since, until, now_ns, limit=limit)

    def session(self, session_id: str) -> Any:
        """One session's metrics; NotFoundError if the store has no record of it."""
        return self._run(QueryKind.SESSION, name=session_id)

    def invocations(self, period: Union[Period, str] = Period.ALL, *,
                    tiers: Optional[list[str]] = None, bucket_ns: int = 0,
                    since: Optional[int] = None, until: Optional[int] = None,
                    now_ns: Optional[int] = None) -> Any:
        """Seed 004's invocation aggregate over the stored invocations in range."""
        return self._run(QueryKind.INVOCATIONS, period, since, until, now_ns, tiers=tiers,
                         bucket_ns=bucket_ns)


def _key_values(value: Union[None, str, Mapping[str, str]], what: str) -> Optional[str]:
    """A mapping as "key=value,..." (values percent-encoded) for the core; text as it is."""
    if value is None or isinstance(value, str):
        return value
    if not isinstance(value, Mapping):
        raise TypeError(f"{what} must be a mapping or a 'key=value,...' string")
    from urllib.parse import quote

    return ",".join(f"{k}={quote(str(v), safe='')}" for k, v in value.items())


class History(_native.History, _Queries):
    """Queries, exports and reports over a journal file, a folder of journals or a SQLite
    database, read as it is at each call (records other processes append are seen by the next
    one). Set ``progress`` to a callable(done, total) to follow long reads."""

    def __init__(self, path: PathLike) -> None:
        super().__init__(path)
        self.path = os.fspath(path)

    @overload
    def export(self, format: Union[ExportFormat, str] = ..., file: None = None, *,
               period: Union[Period, str] = ..., since: Optional[int] = ..., until: Optional[int] = ...,
               now_ns: Optional[int] = ..., resource: Union[None, str, Mapping[str, str]] = ...) -> str: ...
    @overload
    def export(self, format: Union[ExportFormat, str], file: Union[PathLike, IO[bytes], IO[str]], *,
               period: Union[Period, str] = ..., since: Optional[int] = ..., until: Optional[int] = ...,
               now_ns: Optional[int] = ..., resource: Union[None, str, Mapping[str, str]] = ...) -> None: ...

    def export(self, format: Union[ExportFormat, str] = ExportFormat.JSON,
               file: Union[None, PathLike, IO[bytes], IO[str]] = None, *,
               period: Union[Period, str] = Period.ALL, since: Optional[int] = None,
               until: Optional[int] = None, now_ns: Optional[int] = None,
               resource: Union[None, str, Mapping[str, str]] = None) -> Optional[str]:
        """The records in range as "otlp-json", "prometheus", "csv" or "json" (README,
        "Exports"). Returned as text, or streamed to ``file`` (a path, or a binary or text file
        object) without holding the whole export in memory. ``resource``: OTLP resource
        attributes beyond service.name="agentmetrics" (a mapping or "key=value,...")."""
        fmt = enum_value(ExportFormat, format, "export format")
        args = dict(_range(period, since, until, now_ns), resource=_key_values(resource, "resource"))
        if file is None:
            pieces: list[bytes] = []
            self._export(fmt, pieces.append, **args)
            return b"".join(pieces).decode()
        if isinstance(file, (str, os.PathLike)):
            self._export_to_file(fmt, os.fspath(file), **args)  # whole or not at all, by the core
            return None
        if isinstance(file, io.TextIOBase):
            text_file = file
            self._export(fmt, lambda piece: text_file.write(piece.decode()), **args)
        else:
            binary = cast("IO[bytes]", file)
            self._export(fmt, binary.write, **args)
        return None

    def push_otlp(self, endpoint: str, *, headers: Union[None, str, Mapping[str, str]] = None,
                  resource: Union[None, str, Mapping[str, str]] = None, timeout: Optional[float] = None,
                  max_attempts: Optional[int] = None, retry_delay: Optional[float] = None,
                  period: Union[Period, str] = Period.ALL, since: Optional[int] = None,
                  until: Optional[int] = None, now_ns: Optional[int] = None) -> Any:
        """POST the OTLP/JSON export to an OTLP/HTTP receiver ("http://host:4318"; "/v1/metrics"
        is appended) and return its response (an ExportMetricsServiceResponse as a dict).
        An unreachable receiver or a 429, 502, 503 or 504 is retried up to `max_attempts` in all
        (default 5; 1: no retry), waiting `retry_delay` seconds (default 1), doubled each time,
        or what the receiver's Retry-After asks; `timeout` bounds each attempt (default 10 s).
        StoreError when the last attempt fails. The requests go through urllib (proxies from the environment
        apply); redirects are not followed."""
        import json

        if max_attempts is not None and max_attempts < 1:
            raise _native.InvalidArgumentError("max_attempts must be at least 1")
        if retry_delay is not None and not retry_delay > 0:
            raise _native.InvalidArgumentError("retry_delay must be a number of seconds above 0")
        from . import _http  # urllib, ssl and email: imported on the first push, not with the package

        reply = self._push_otlp(endpoint, send=_http.send, headers=_key_values(headers, "headers"),
                                timeout_ms=0 if timeout is None else max(1, int(timeout * 1000)),
                                max_attempts=max_attempts or 0,
                                retry_delay_ms=0 if retry_delay is None else max(1, int(retry_delay * 1000)),
                                resource=_key_values(resource, "resource"),
                                **_range(period, since, until, now_ns))
        return json.loads(reply) if reply.strip() else {}

    def report_html(self, path: Optional[PathLike] = None, *, title: Optional[str] = None,
                    limit: int = 0, period: Union[Period, str] = Period.ALL,
                    since: Optional[int] = None, until: Optional[int] = None,
                    now_ns: Optional[int] = None) -> str:
        """The self-contained HTML report (charts as inline SVG, no script, no network); also
        written to ``path`` when given, whole or not at all (the core writes it)."""
        args = _range(period, since, until, now_ns)
        if path is None:
            return self._report_html(title=title, limit=limit, **args)
        target = os.fspath(path)
        self._report_html_to_file(target, title=title, limit=limit, **args)  # whole or not at all
        with open(target, "rb") as page:  # the page as written (bounded in size)
            return page.read().decode()

    def follow(self, *, from_start: bool = False) -> Follow:
        """A :class:`Follow` of this store: the records appended from now (or from the start)."""
        return Follow(self.path, from_start=from_start)

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Follow(_native.Follow):
    """``tail -f`` for a store: each :meth:`poll` returns the records appended since the last
    one, as export rows (dicts; costs Decimal). A line still being written waits for the next
    poll; malformed lines are skipped and counted in :attr:`malformed`."""

    def poll(self) -> list[Any]:
        return [parse_doc(line) for line in self._poll().splitlines() if line]

    def __enter__(self) -> Follow:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _RecorderQueries(_Queries):
    """The recorder's own store, flushed before each query."""

    def __init__(self, recorder: _native.Recorder) -> None:
        self._query = recorder._query


class Session(_native.Session):
    """A scope of cumulative totals. Use as a context manager: the session ends (an open turn
    with it) when the block exits, and is :func:`current_session` inside it."""

    _token: Optional[contextvars.Token[Optional[Session]]] = None

    def __init__(
        self,
        recorder: _native.Recorder,
        session_id: Optional[str] = None,
        *,
        agent: Optional[str] = None,
        phase: Optional[str] = None,
        task: Optional[str] = None,
        tags: Optional[Mapping[str, str]] = None,
    ) -> None:
        super().__init__(recorder, session_id, agent=agent, phase=phase, task=task,
                         tags=None if tags is None else dict(tags))
        self._now: Callable[[], int] = getattr(recorder, "now_ns", time.monotonic_ns)

    def now_ns(self) -> int:
        """Now on the recorder's monotonic clock: the time base of start_ns, end_ns and at_ns."""
        return self._now()

    def __enter__(self) -> Session:
        self._token = _current.set(self)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._token is not None:
            _current.reset(self._token)
            self._token = None
        self.close()

    @contextmanager
    def turn(self) -> Iterator[Session]:
        """Begin a turn, end it when the block exits (also on an exception)."""
        self.turn_begin()
        try:
            yield self
        finally:
            self.turn_end()

    @contextmanager
    def tool_call(self, name: str, call_id: Optional[str] = None) -> Iterator[str]:
        """Time a tool call; an exception records an error (its type and message) and propagates.
        Yields the call id (generated when not given), so parallel calls stay apart."""
        call_id = call_id or uuid.uuid4().hex
        self.tool_start(name, call_id)
        try:
            yield call_id
        except BaseException as error:
            self.tool_end(call_id, error=type(error).__name__, error_message=str(error))
            raise
        self.tool_end(call_id)

    def print_turn(self, file: Optional[IO[str]] = None) -> None:
        """Write the per-turn line to `file` (stderr by default), dim grey on a terminal unless
        NO_COLOR is set; nothing before the first turn."""
        out = sys.stderr if file is None else file
        isatty = getattr(out, "isatty", None)
        line = self.format_turn(color=_native.color_enabled(bool(isatty and isatty())))
        if line is not None:
            print(line, file=out)


class Recorder(_native.Recorder):
    """Owns prices, clocks, totals and the store. ``clock`` and ``wall_clock`` are callables
    returning nanoseconds (monotonic, and since the epoch) for deterministic tests."""

    def __init__(
        self,
        *,
        clock: Optional[Callable[[], int]] = None,
        wall_clock: Optional[Callable[[], int]] = None,
        bundled_prices: bool = True,
    ) -> None:
        super().__init__(clock=clock, wall_clock=wall_clock, bundled_prices=bundled_prices)
        # The core's default monotonic clock is CLOCK_MONOTONIC, which time.monotonic_ns reads.
        self._now: Callable[[], int] = clock or time.monotonic_ns

    def now_ns(self) -> int:
        """Now on this recorder's monotonic clock: the time base of start_ns, end_ns and at_ns."""
        return self._now()

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def session(
        self,
        session_id: Optional[str] = None,
        *,
        agent: Optional[str] = None,
        phase: Optional[str] = None,
        task: Optional[str] = None,
        tags: Optional[Mapping[str, str]] = None,
    ) -> Session:
        """Open a session (a unique id is generated when none is given)."""
        return Session(self, session_id, agent=agent, phase=phase, task=task, tags=tags)

    def open_store(  # type: ignore[override]
        self,
        *,
        journal: Optional[PathLike] = None,
        journal_dir: Optional[PathLike] = None,
        database: Optional[PathLike] = None,
        flush: Union[Flush, str] = Flush.NONE,
        flush_interval_ns: int = 0,
        max_queue_bytes: int = 0,
        on_drop: Optional[Callable[[int, int], object]] = None,
    ) -> None:
        """Keep every record in a JSONL journal (a file, or a file of its own in journal_dir)
        and/or a SQLite database. flush: "none", "interval" or "every_record".

        Recording never waits for the store: records queue for its writer thread, up to
        max_queue_bytes (0: 64 MiB). When the store stalls, records beyond the bound are
        dropped (they stay in the totals), counted in :meth:`store_status`, reported to
        on_drop(dropped_so_far, queued_bytes) once per overflow, on the recording thread, and
        the next :meth:`flush` raises StoreError with status "AGM_E_DROPPED"."""
        super().open_store(journal=journal, journal_dir=journal_dir, database=database,
                           flush=enum_value(Flush, flush, "flush policy"), flush_interval_ns=flush_interval_ns,
                           max_queue_bytes=max_queue_bytes, on_drop=on_drop)

    @property
    def history(self) -> _Queries:
        """History queries over this recorder's own store (flushed first)."""
        return _RecorderQueries(self)


@overload
def tool(arg: F, /) -> F: ...
@overload
def tool(arg: Optional[str] = None, /) -> Callable[[F], F]: ...


def tool(arg: Any = None, /) -> Any:
    """Decorator timing a tool function (sync or async) as a tool call of
    :func:`current_session` when there is one; ``@tool`` or ``@tool("name")``."""

    def decorate(function: F, name: Optional[str]) -> F:
        tool_name = name or function.__name__
        if inspect.iscoroutinefunction(function):

            @functools.wraps(function)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                session = _current.get()
                if session is None:
                    return await function(*args, **kwargs)
                with session.tool_call(tool_name):
                    return await function(*args, **kwargs)

            return run_async  # type: ignore[return-value]

        @functools.wraps(function)
        def run(*args: Any, **kwargs: Any) -> Any:
            session = _current.get()
            if session is None:
                return function(*args, **kwargs)
            with session.tool_call(tool_name):
                return function(*args, **kwargs)

        return run  # type: ignore[return-value]

    if callable(arg):
        return decorate(arg, None)
    return lambda function: decorate(function, arg)

