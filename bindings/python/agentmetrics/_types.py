"""The results agentmetrics returns, as frozen dataclasses.

The native extension builds these from the C ABI's structs; every number is computed by the
core. Missing values are ``None``, never 0: a token kind no call reported is not a count of zero.
Money is :class:`decimal.Decimal`, exact to 1e-18 USD.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal, Optional

__all__ = [
    "Usage",
    "CostItems",
    "Totals",
    "DurationStats",
    "TurnStats",
    "Group",
    "StoreStatus",
    "LoadReport",
    "BudgetEvent",
    "parse_doc",
]


@dataclass(frozen=True, slots=True)
class Usage:
    """The canonical usage of one model call; the three input kinds are disjoint.

    ``input_tokens`` is fresh input (neither read from nor written to a cache),
    ``output_tokens`` includes ``reasoning_tokens``, ``cache_write_1h_tokens`` is the part of
    ``cache_write_tokens`` written with a one-hour TTL, and ``total_tokens`` is derived by the
    core (input + cache read + cache write + output) when input and output are both known.
    """

    input_tokens: Optional[int] = None
    cache_read_tokens: Optional[int] = None
    cache_write_tokens: Optional[int] = None
    cache_write_1h_tokens: Optional[int] = None
    output_tokens: Optional[int] = None
    reasoning_tokens: Optional[int] = None
    total_tokens: Optional[int] = None

    @property
    def missing(self) -> bool:
        """True when no count at all was reported (the call counts as "usage missing")."""
        return all(getattr(self, name) is None for name in self.__slots__)


@dataclass(frozen=True, slots=True)
class CostItems:
    """Cost by line item in USD; the items sum exactly to ``total``."""

    input: Decimal
    cache_read: Decimal
    cache_write_5m: Decimal
    cache_write_1h: Decimal
    output: Decimal  #: output minus reasoning
    reasoning: Decimal
    total: Decimal


@dataclass(frozen=True, slots=True)
class Totals:
    """Cumulative totals of a turn, session, recorder or breakdown group."""

    model_calls: int
    calls_with_usage: int
    calls_missing_usage: int  #: recorded without usage: never counted as 0 tokens
    calls_unpriced: int  #: usage present but the model has no price
    model_errors: int
    retries: int  #: attempt > 1
    tool_calls: int
    tool_errors: int
    turns: int  #: ended turns
    input_tokens: Optional[int]
    cache_read_tokens: Optional[int]
    cache_write_tokens: Optional[int]
    cache_write_1h_tokens: Optional[int]
    output_tokens: Optional[int]
    reasoning_tokens: Optional[int]
    total_tokens: Optional[int]
    tool_success_rate: Optional[float]
    model_success_rate: Optional[float]
    cost: Optional[CostItems]  #: None when no call was priced
    saturated: bool = False  #: a sum reached 2**63 - 1 and stopped there
    #: calls whose model or tool name went to the ``(other)`` group of breakdowns: past the
    #: cap on distinct names (README "Limits on labels and names"); still in every total
    folded_calls: int = 0

    @property
    def total_cost(self) -> Optional[Decimal]:
        """``cost.total``, or None when nothing was priced."""
        return None if self.cost is None else self.cost.total


@dataclass(frozen=True, slots=True)
class DurationStats:
    """Duration statistics in nanoseconds; pXX within 1/128 of the exact order statistic."""

    count: int
    sum_ns: int
    min_ns: Optional[int]
    max_ns: Optional[int]
    mean_ns: Optional[float]
    p50_ns: Optional[int]
    p90_ns: Optional[int]
    p95_ns: Optional[int]
    p99_ns: Optional[int]


@dataclass(frozen=True, slots=True)
class TurnStats:
    """Timing of one turn; ``tool_work_ns`` > ``tool_wall_ns`` when tool calls overlapped."""

    index: int  #: 1 for the session's first turn
    start_ns: int
    end_ns: Optional[int]  #: None while the turn is open
    duration_ns: int  #: for an open turn, up to now
    tool_wall_ns: int  #: time covered by at least one tool call
    tool_work_ns: int  #: sum of tool call durations
    model_calls: int
    tool_calls: int
    start_wall_ns: int


@dataclass(frozen=True, slots=True)
class Group:
    """One group of a breakdown: its totals, durations by kind and last error."""

    key: str
    totals: Totals
    durations: dict[Any, DurationStats] = field(default_factory=dict)  #: by DurationKind
    last_error: Optional[str] = None


@dataclass(frozen=True, slots=True)
class StoreStatus:
    """Counters of a recorder's open store."""

    queued: int  #: records handed to the writer
    written: int  #: records stored
    failed: int  #: records that could not be stored
    write_errors: int
    last_error: Optional[str]
    dropped: int = 0  #: records not queued: the queue was at its bound (max_queue_bytes)
    queued_bytes: int = 0  #: bytes of the records queued and not yet stored
    max_queue_bytes: int = 0  #: the queue's bound in effect


@dataclass(frozen=True, slots=True)
class LoadReport:
    """What a load read, skipped and found malformed (torn or garbage lines, lines over 1 MiB,
    database rows that cannot be loaded: a row is a line)."""

    files: int
    lines: int
    records: int
    skipped: int
    malformed: int
    first_malformed_line: Optional[int]
    warnings: list[dict[str, Any]]  #: [{"file", "line", "reason"}], the first 1000
    #: records the store's writers dropped, their queue full (its "dropped" markers)
    dropped: int = 0


@dataclass(frozen=True, slots=True)
class BudgetEvent:
    """Passed to a budget callback when a record crosses the budget."""

    kind: Literal["limit", "warn"]
    measure: Literal["tokens", "cost"]
    session_id: Optional[str]
    model: Optional[str]  #: the budget's model; None for all models
    tokens: int  #: tokens measured after the record
    max_tokens: Optional[int]
    cost: Decimal  #: cost measured after the record
    max_cost: Optional[Decimal]


def _exact_costs(value: Any, exact: bool) -> Any:
    # Values under a member whose name contains "cost" stay exact Decimals; every other
    # fractional number becomes a float.
    if isinstance(value, dict):
        return {key: _exact_costs(item, exact or "cost" in key) for key, item in value.items()}
    if isinstance(value, list):
        return [_exact_costs(item, exact) for item in value]
    if isinstance(value, Decimal) and not exact:
        return float(value)
    return value


def parse_doc(text: str) -> Any:
    """Parse a JSON document of the core: numbers under members named "*cost*" are Decimal."""
    return _exact_costs(json.loads(text, parse_float=Decimal), False)
