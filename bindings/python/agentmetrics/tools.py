"""The agent's own tool (seed 001): ``get_metrics(action=...)`` lets an agent ask what it has
spent and where its time went, with a JSON-schema definition to register with OpenAI or
Anthropic tool calling.

    metrics = MetricsTool(recorder)             # or MetricsTool("runs/agentmetrics.db")
    tools = [metrics.openai_tool]               # chat completions `tools=`
    result = metrics(**json.loads(call.function.arguments))   # a JSON-ready dict

Results are the core's history documents (see the README, "History queries") parsed with
plain floats, so ``json.dumps`` takes them as they are.
"""

from __future__ import annotations

import dataclasses
import os
from decimal import Decimal
from typing import Any, Optional, Union

from . import _native
from ._api import History, Recorder, _Queries, current_session

__all__ = ["ACTIONS", "PARAMETERS", "MetricsTool", "get_metrics"]

ACTIONS = ("summary", "costs", "tools", "session", "slow", "errors")

DESCRIPTION = (
    "Report this agent's own metrics: token usage, cost in USD and latency of model and tool "
    "calls. Actions: summary (totals for the period), costs (cost breakdown), tools (per-tool "
    "calls, success rate, latency, last error), session (one session, the current one by "
    "default), slow (slowest operations), errors (recent errors and counts)."
)

# JSON schema of the tool's arguments (OpenAI "parameters", Anthropic "input_schema").
PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "action": {"type": "string", "enum": list(ACTIONS), "description": "What to report."},
        "period": {
            "type": "string",
            "enum": ["hour", "day", "week", "month", "all"],
            "description": "Time window ending now (default: all).",
        },
        "group_by": {
            "type": "string",
            "enum": ["model", "provider", "agent", "phase", "task", "session", "day"],
            "description": "costs: how to group (default: model).",
        },
        "tool_name": {"type": "string", "description": "tools: one tool only."},
        "session_id": {"type": "string", "description": "session: the session (default: current)."},
        "threshold_ms": {
            "type": "number",
            "minimum": 0,
            "description": "slow: operations at least this long (default 5000).",
        },
        "limit": {"type": "integer", "minimum": 1, "maximum": 100, "description": "List length."},
    },
    "required": ["action"],
    "additionalProperties": False,
}


def _json_ready(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {str(k.name.lower() if hasattr(k, "name") else k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(v) for v in value]
    return value


class MetricsTool:
    """``get_metrics`` over a recorder's store, a History, or a store path."""

    name = "get_metrics"
    description = DESCRIPTION

    def __init__(self, source: Union[Recorder, History, str, "os.PathLike[str]"]) -> None:
        self._recorder = source if isinstance(source, Recorder) else None
        self._queries: _Queries = (
            source.history if isinstance(source, Recorder)
            else source if isinstance(source, History) else History(source)
        )

    @property
    def openai_tool(self) -> dict[str, Any]:
        """The definition for OpenAI chat completions ``tools=[...]``."""
        return {"type": "function",
                "function": {"name": self.name, "description": self.description, "parameters": PARAMETERS}}

    @property
    def anthropic_tool(self) -> dict[str, Any]:
        """The definition for Anthropic messages ``tools=[...]``."""
        return {"name": self.name, "description": self.description, "input_schema": PARAMETERS}

    def __call__(
        self,
        action: str = "summary",
        period: str = "all",
        *,
        group_by: str = "model",
        tool_name: Optional[str] = None,
        session_id: Optional[str] = None,
        threshold_ms: float = 5000,
        limit: int = 10,
    ) -> dict[str, Any]:
        """Run one action; bad arguments come back as {"error": ...} for the model to read."""
        try:
            return {"action": action, "period": period,
                    **self._run(action, period, group_by, tool_name, session_id, threshold_ms, limit)}
        except _native.StateError as error:
            if self._recorder is not None and action != "session":
                return {"action": action, "error": f"{error}: the recorder keeps no store to query "
                        "(recorder.open_store(database=...) keeps one)"}
            return {"action": action, "error": str(error)}
        except (ValueError, TypeError, LookupError, _native.AgentMetricsError) as error:
            return {"action": action, "error": str(error)}

    def _run(self, action: str, period: str, group_by: str, tool_name: Optional[str],
             session_id: Optional[str], threshold_ms: float, limit: int) -> dict[str, Any]:
        q = self._queries
        if action == "summary":
            result = q.summary(period, limit=limit)
        elif action == "costs":
            result = q.costs(group_by, period)
        elif action == "tools":
            result = q.tools(tool_name, period)
        elif action == "slow":
            result = q.slow(int(threshold_ms * 1_000_000), period, limit=limit)
        elif action == "errors":
            result = q.errors(period, limit=limit)
        elif action == "session":
            return self._session(session_id)
        else:
            raise ValueError(f"unknown action {action!r}; one of {', '.join(ACTIONS)}")
        return dict(_json_ready(result))

    def _session(self, session_id: Optional[str]) -> dict[str, Any]:
        live = current_session()
        if session_id is None and live is None:
            raise ValueError("session_id is required outside a session")
        if session_id is None or (live is not None and live.session_id == session_id):
            assert live is not None
            return {"session": _json_ready(live.labels),
                    "totals": _json_ready(dataclasses.asdict(live.totals())),
                    "model_call_durations": _json_ready(dataclasses.asdict(live.durations())),
                    "turn": live.format_turn()}
        return dict(_json_ready(self._queries.session(session_id)))


def get_metrics(source: Union[Recorder, History, str, "os.PathLike[str]"], action: str = "summary",
                **arguments: Any) -> dict[str, Any]:
    """One-shot ``MetricsTool(source)(action, **arguments)``."""
    return MetricsTool(source)(action, **arguments)
