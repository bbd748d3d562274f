"""The agent's own tool (seed 001): ``get_metrics(action=...)`` lets an agent ask what it has
spent and where its time went, with a JSON-schema definition to register with OpenAI or
Anthropic tool calling.

    metrics = MetricsTool(recorder)             # or MetricsTool("runs/agentmetrics.db")
    tools = [metrics.openai_tool]               # chat completions `tools=`
    result = metrics(**json.loads(call.function.arguments))   # a JSON-ready dict

The tool lives in the core (agm_metrics_tool_schema, agm_history_metrics_tool): its
definition, the validation of the arguments, their defaults and what each action reports are
the same in every binding. Results are the core's history documents (see the README, "History
queries") parsed with plain floats, so ``json.dumps`` takes them as they are.
"""

from __future__ import annotations

import json
import os
from typing import Any, Optional, Union

from . import _native
from ._api import History, Recorder, current_session

__all__ = ["ACTIONS", "PARAMETERS", "MetricsTool", "get_metrics"]

_SCHEMA: dict[str, Any] = json.loads(_native.metrics_tool_schema())

# The tool's description for the model.
DESCRIPTION: str = _SCHEMA["description"]

# JSON schema of the tool's arguments (OpenAI "parameters", Anthropic "input_schema").
PARAMETERS: dict[str, Any] = _SCHEMA["parameters"]

ACTIONS = tuple(PARAMETERS["properties"]["action"]["enum"])


class MetricsTool:
    """``get_metrics`` over a recorder's store, a History, or a store path."""

    name: str = _SCHEMA["name"]
    description = DESCRIPTION

    def __init__(self, source: Union[Recorder, History, str, "os.PathLike[str]"]) -> None:
        self._source: Union[_native.Recorder, _native.History] = (
            source if isinstance(source, (Recorder, History)) else History(source)
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
        action: Optional[str] = "summary",
        period: Optional[str] = None,
        *,
        group_by: Optional[str] = None,
        tool_name: Optional[str] = None,
        session_id: Optional[str] = None,
        threshold_ms: Optional[float] = None,
        limit: Optional[int] = None,
        now_ns: Optional[int] = None,
    ) -> dict[str, Any]:
        """Run one action; bad arguments come back as {"error": ...} for the model to read.
        Omitted arguments take the core's defaults (period "all", group_by "model",
        threshold_ms 5000, limit 10); ``now_ns`` (wall clock) ends the period, else now."""
        arguments = {"action": action, "period": period, "group_by": group_by, "tool_name": tool_name,
                     "session_id": session_id, "threshold_ms": threshold_ms, "limit": limit}
        args_json = json.dumps({k: v for k, v in arguments.items() if v is not None})
        result: dict[str, Any] = json.loads(
            self._source._metrics_tool(args_json, session=current_session(), now_ns=now_ns))
        return result


def get_metrics(source: Union[Recorder, History, str, "os.PathLike[str]"], action: str = "summary",
                **arguments: Any) -> dict[str, Any]:
    """One-shot ``MetricsTool(source)(action, **arguments)``."""
    return MetricsTool(source)(action, **arguments)
