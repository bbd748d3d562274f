# Type stubs of the native extension (bindings/python/native.cpp); stubtest checks them.
import enum
import os
from decimal import Decimal
from typing import Any, Callable, Final, Mapping, Optional, Sequence, Union

from ._types import (
    BudgetEvent,
    CostItems,
    DurationStats,
    Group,
    LoadReport,
    StoreStatus,
    Totals,
    TurnStats,
    Usage,
)

_Path = Union[str, bytes, os.PathLike[str], os.PathLike[bytes]]
_Money = Union[Decimal, int, str]
_FormatLike = Union[Format, int, str]

__version__: Final[str]
ABI_VERSION: Final[int]

class AgentMetricsError(Exception): ...
class InvalidArgumentError(AgentMetricsError, ValueError): ...
class StateError(AgentMetricsError, RuntimeError): ...
class ClosedError(AgentMetricsError, ValueError): ...
class NotFoundError(AgentMetricsError, LookupError): ...
class StoreError(AgentMetricsError, OSError): ...
class CorruptError(AgentMetricsError, ValueError): ...
class UnsupportedError(AgentMetricsError): ...

class Format(enum.IntEnum):
    OPENAI_CHAT = 1
    OPENAI_RESPONSES = 2
    ANTHROPIC = 3
    GOOGLE_GENAI = 4
    BEDROCK = 5
    AI_SDK_V4 = 6
    AI_SDK_V5 = 7
    AI_SDK_V6 = 8
    MASTRA = 9

class DurationKind(enum.IntEnum):
    MODEL_CALL = 1
    TOOL_CALL = 2
    TURN = 3
    TTFT = 4

class By(enum.IntEnum):
    MODEL = 1
    PROVIDER = 2
    SOURCE = 3
    TOOL = 4
    AGENT = 5
    PHASE = 6
    TASK = 7
    SESSION = 8
    DAY = 9

class ExportFormat(enum.IntEnum):
    OTLP_JSON = 1
    PROMETHEUS = 2
    CSV = 3
    JSON = 4

class Period(enum.IntEnum):
    ALL = 0
    HOUR = 1
    DAY = 2
    WEEK = 3
    MONTH = 4
    RANGE = 5

class QueryKind(enum.IntEnum):
    SUMMARY = 1
    COST_BREAKDOWN = 2
    TOOLS = 3
    SLOW = 4
    ERRORS = 5
    EXPENSIVE_SESSIONS = 6
    SESSION = 7
    INVOCATIONS = 8

class Flush(enum.IntEnum):
    NONE = 0
    INTERVAL = 1
    EVERY_RECORD = 2

class RecordKind(enum.IntFlag):
    SESSION = 1
    MODEL_CALL = 2
    TOOL_CALL = 4
    TURN = 8
    INVOCATION = 16
    ALL = 31

class Notice(enum.IntEnum):
    OK = 0
    BUDGET_EXCEEDED = 1
    BUDGET_WARNING = 2

class HttpOutcome(enum.IntEnum):
    RESPONDED = 1
    CONNECT_FAILED = 2
    TIMED_OUT = 3
    FAILED = 4

# An HTTP sender of the OTLP push (agm_http_send_fn): send(url, headers, body, timeout_ms) ->
# (outcome, status, retry_after, body, error); agentmetrics._http.send is the package's.
_HttpReply = tuple[int, int, Optional[str], Optional[bytes], Optional[str]]
_HttpSender = Callable[[str, list[tuple[str, str]], bytes, int], _HttpReply]

def cli_main(argv: Sequence[Union[str, bytes]], send: Optional[_HttpSender]) -> int: ...

def version() -> str: ...
def format_tokens(tokens: int) -> str: ...
def format_duration_ns(duration_ns: int) -> str: ...
def format_duration_ms(duration_ms: float) -> str: ...
def format_cost(amount: _Money) -> str: ...
def color_enabled(is_tty: bool) -> bool: ...
def normalize_usage(
    payload: Any,
    format: Optional[_FormatLike] = None,
    *,
    provider: Optional[str] = None,
    model_version: Optional[str] = None,
    stream_event: Optional[str] = None,
    partial: bool = False,
) -> Usage: ...
def bundled_prices_info() -> dict[str, Any]: ...
def store_count(path: _Path) -> int: ...
def noop(*args: Any, **kwargs: Any) -> None: ...

class UsageStream:
    def __init__(
        self, format: _FormatLike, *, provider: Optional[str] = None, model_version: Optional[str] = None
    ) -> None: ...
    def add(self, event: Any) -> None: ...
    def result(self) -> Usage: ...

class Recorder:
    def __init__(
        self,
        *,
        clock: Optional[Callable[[], int]] = None,
        wall_clock: Optional[Callable[[], int]] = None,
        bundled_prices: bool = True,
    ) -> None: ...
    def close(self) -> None: ...
    @property
    def closed(self) -> bool: ...
    def load_prices(self, table: Union[str, bytes, Mapping[str, Any]], *, replace: bool = False) -> None: ...
    def load_prices_file(self, path: _Path, *, replace: bool = False) -> None: ...
    def set_price(self, model: str, entry: Union[str, Mapping[str, Any]]) -> None: ...
    def price(self, model: str, provider: Optional[str] = None) -> Optional[dict[str, Any]]: ...
    def prices(self, filter: Optional[str] = None) -> list[dict[str, Any]]: ...
    def cost(
        self, model: Optional[str], usage: Any, *, provider: Optional[str] = None,
        usage_format: Optional[_FormatLike] = None,
    ) -> Optional[CostItems]: ...
    def totals(self) -> Totals: ...
    def durations(self, kind: int = 1) -> DurationStats: ...
    def breakdown(self, by: int = 1) -> dict[str, Group]: ...
    def open_store(
        self, *, journal: Optional[_Path] = None, journal_dir: Optional[_Path] = None,
        database: Optional[_Path] = None, flush: int = 0, flush_interval_ns: int = 0,
        max_queue_bytes: int = 0, on_drop: Optional[Callable[[int, int], object]] = None,
    ) -> None: ...
    def flush(self) -> None: ...
    def close_store(self) -> None: ...
    def store_status(self) -> StoreStatus: ...
    @property
    def journal_path(self) -> Optional[str]: ...
    def on_record(self, callback: Optional[Callable[[str, dict[str, Any]], object]], kinds: int = 31) -> None: ...
    def load(self, path: _Path, *, skip: int = 0, limit: int = 0) -> LoadReport: ...
    def record_invocation(self, invocation: Union[None, str, Mapping[str, Any]] = None, **fields: Any) -> None: ...
    def invocation_count(self) -> int: ...
    def invocations(self, *, skip: int = 0, limit: int = 0) -> list[dict[str, Any]]: ...
    def invocation_aggregate(self, *, tiers: Optional[Sequence[str]] = None, bucket_ns: int = 0) -> dict[str, Any]: ...
    def _query(
        self, kind: int, *, period: int = 0, group_by: int = 0, since: Optional[int] = None,
        until: Optional[int] = None, now_ns: Optional[int] = None, name: Optional[str] = None,
        threshold_ns: int = 0, limit: int = 0, tiers: Optional[Sequence[str]] = None, bucket_ns: int = 0,
    ) -> str: ...

class Session:
    def __init__(
        self, recorder: Recorder, session_id: Optional[str] = None, *, agent: Optional[str] = None,
        phase: Optional[str] = None, task: Optional[str] = None, tags: Optional[Mapping[str, str]] = None,
    ) -> None: ...
    def close(self) -> None: ...
    @property
    def closed(self) -> bool: ...
    def label(self, key: str) -> Optional[str]: ...
    @property
    def session_id(self) -> str: ...
    @property
    def labels(self) -> dict[str, str]: ...
    @property
    def started_wall_ns(self) -> int: ...
    def record_model_call(
        self, /, *, model: Optional[str] = None, usage: Any = None, provider: Optional[str] = None,
        source: Optional[str] = None, stop_reason: Optional[str] = None, error: Optional[str] = None,
        duration_ns: Optional[int] = None, start_ns: Optional[int] = None, end_ns: Optional[int] = None,
        ttft_ns: Optional[int] = None, attempt: Optional[int] = None, since_last_step: bool = False,
        usage_format: Optional[_FormatLike] = None, usage_provider: Optional[str] = None,
        model_version: Optional[str] = None, stream_event: Optional[str] = None, partial: bool = False,
    ) -> Notice: ...
    def record_tool_call(
        self, name: str, /, *, duration_ns: Optional[int] = None, start_ns: Optional[int] = None,
        end_ns: Optional[int] = None, since_last_step: bool = False, error: Optional[str] = None,
        error_message: Optional[str] = None, input_bytes: Optional[int] = None, output_bytes: Optional[int] = None,
    ) -> None: ...
    def tool_start(self, name: str, call_id: str, /, *, at_ns: Optional[int] = None) -> None: ...
    def tool_end(
        self, call_id: str, /, *, name: Optional[str] = None, end_ns: Optional[int] = None,
        error: Optional[str] = None, error_message: Optional[str] = None, input_bytes: Optional[int] = None,
        output_bytes: Optional[int] = None,
    ) -> None: ...
    def turn_begin(self, at_ns: Optional[int] = None) -> None: ...
    def turn_end(self, at_ns: Optional[int] = None) -> None: ...
    def turn_stats(self) -> Optional[TurnStats]: ...
    def turn_totals(self) -> Optional[Totals]: ...
    def totals(self) -> Totals: ...
    def durations(self, kind: int = 1) -> DurationStats: ...
    def breakdown(self, by: int = 1) -> dict[str, Group]: ...
    def add_budget(
        self, *, max_tokens: Optional[int] = None, max_cost: Optional[_Money] = None, model: Optional[str] = None,
        warn: bool = False, callback: Optional[Callable[[BudgetEvent], object]] = None,
    ) -> None: ...
    def format_turn(self, *, color: bool = False) -> Optional[str]: ...
    def format_summary(self, *, color: bool = False) -> str: ...

class History:
    def __init__(self, path: _Path) -> None: ...
    def close(self) -> None: ...
    @property
    def closed(self) -> bool: ...
    def _query(
        self, kind: int, *, period: int = 0, group_by: int = 0, since: Optional[int] = None,
        until: Optional[int] = None, now_ns: Optional[int] = None, name: Optional[str] = None,
        threshold_ns: int = 0, limit: int = 0, tiers: Optional[Sequence[str]] = None, bucket_ns: int = 0,
    ) -> str: ...
    def warnings(self) -> dict[str, Any]: ...
    def _export(
        self, format: int, write: Callable[[bytes], object], *, period: int = 0, since: Optional[int] = None,
        until: Optional[int] = None, now_ns: Optional[int] = None, resource: Optional[str] = None,
    ) -> None: ...
    def _push_otlp(
        self, endpoint: str, *, send: _HttpSender, headers: Optional[str] = None, timeout_ms: int = 0, max_attempts: int = 0,
        retry_delay_ms: int = 0, period: int = 0,
        since: Optional[int] = None, until: Optional[int] = None, now_ns: Optional[int] = None,
        resource: Optional[str] = None,
    ) -> str: ...
    def _report_html(
        self, *, title: Optional[str] = None, limit: int = 0, period: int = 0, since: Optional[int] = None,
        until: Optional[int] = None, now_ns: Optional[int] = None,
    ) -> str: ...
    @property
    def progress(self) -> Optional[Callable[[int, int], object]]: ...
    @progress.setter
    def progress(self, fn: Optional[Callable[[int, int], object]]) -> None: ...

class Follow:
    def __init__(self, path: _Path, *, from_start: bool = False) -> None: ...
    def close(self) -> None: ...
    @property
    def closed(self) -> bool: ...
    @property
    def malformed(self) -> int: ...
    def _poll(self) -> str: ...
