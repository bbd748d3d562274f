"""agentmetrics: what every LLM agent run costs and how long it takes.

Tokens of every kind, exact dollars, and the duration of turns, model calls and tool calls, per
session and cumulatively, persisted to a journal or SQLite and queryable. The numbers come from
the native core (the same code as the C library and the Node package).

    import agentmetrics as am

    with am.Recorder() as rec, rec.session(agent="planner") as s:
        with s.turn():
            s.record_model_call(model="gpt-4o", usage=response.usage, duration_ns=elapsed)
        s.print_turn()
"""

from ._native import (
    ABI_VERSION,
    AgentMetricsError,
    By,
    ClosedError,
    CorruptError,
    DurationKind,
    ExportFormat,
    Flush,
    Format,
    InvalidArgumentError,
    NotFoundError,
    Notice,
    Period,
    RecordKind,
    StateError,
    StoreError,
    UnsupportedError,
    UsageStream,
    __version__,
    bundled_prices_info,
    color_enabled,
    format_cost,
    format_duration_ms,
    format_duration_ns,
    format_tokens,
    normalize_usage,
    store_count,
)
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
from ._api import Follow, History, Recorder, Session, current_session, tool

__all__ = [
    "ABI_VERSION",
    "AgentMetricsError",
    "BudgetEvent",
    "By",
    "ClosedError",
    "CorruptError",
    "CostItems",
    "DurationKind",
    "ExportFormat",
    "Follow",
    "DurationStats",
    "Flush",
    "Format",
    "Group",
    "History",
    "InvalidArgumentError",
    "LoadReport",
    "NotFoundError",
    "Notice",
    "Period",
    "RecordKind",
    "Recorder",
    "Session",
    "StateError",
    "StoreError",
    "StoreStatus",
    "Totals",
    "TurnStats",
    "UnsupportedError",
    "Usage",
    "UsageStream",
    "__version__",
    "bundled_prices_info",
    "color_enabled",
    "current_session",
    "format_cost",
    "format_duration_ms",
    "format_duration_ns",
    "format_tokens",
    "normalize_usage",
    "store_count",
    "tool",
]
