"""Google ADK integration: a Runner plugin that records model calls, tool calls and turns.

    from agentmetrics.integrations.adk import AgentMetricsPlugin
    app = App(name="my_app", root_agent=agent, plugins=[AgentMetricsPlugin(am.Recorder())])
    runner = InMemoryRunner(app=app)

Only the public agentmetrics API is used. Metrics never break the agent: a failure inside the
plugin is logged and the run continues, and every callback returns None, so ADK behaves as if
the plugin were not there (the agent's own errors still propagate).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional, Union

try:
    from google.adk.plugins.base_plugin import BasePlugin
except ImportError:  # pragma: no cover - only without ADK
    raise ImportError("agentmetrics.integrations.adk needs Google ADK: pip install google-adk") from None

from .. import Recorder, Session

if TYPE_CHECKING:
    from google.adk.agents.callback_context import CallbackContext
    from google.adk.agents.invocation_context import InvocationContext
    from google.adk.models.llm_request import LlmRequest
    from google.adk.models.llm_response import LlmResponse
    from google.adk.sessions.session import Session as AdkSession
    from google.adk.tools.base_tool import BaseTool
    from google.adk.tools.tool_context import ToolContext

__all__ = ["AgentMetricsPlugin"]

_log = logging.getLogger(__name__)

# One in-flight model call per (ADK session id, invocation id, branch, agent name).
_CallKey = tuple[str, str, Optional[str], str]


@dataclass
class _ModelCall:
    start_ns: Optional[int]
    model: Optional[str]
    # Objects already recorded in this call, by identity (kept alive so ids are not reused):
    # the same LlmResponse seen twice, or two responses carrying one usage object, count once.
    seen: dict[int, object] = field(default_factory=dict)


@contextlib.contextmanager
def _guard(what: str) -> Iterator[None]:
    """Log and swallow a metrics failure so it never reaches ADK."""
    try:
        yield
    except Exception:
        _log.warning("agentmetrics: recording %s failed", what, exc_info=True)


def _name(value: object) -> Optional[str]:
    """An enum's value (ADK passes genai enums such as FinishReason) or a plain string."""
    if value is None or value == "":
        return None
    return str(getattr(value, "value", value))


class AgentMetricsPlugin(BasePlugin):
    """Records ADK model calls, tool calls and runner invocations (as turns) into agentmetrics.

    With a Recorder, each ADK session gets its own agentmetrics session (same id, labelled with
    ``agent`` or else the ADK app name, ``phase``, ``task``, ``tags``); with a Session, all
    records go to it. ``provider`` overrides the provider derived from the model name.
    ``print_turns`` prints each turn's line (``Session.print_turn``) when the invocation ends.
    """

    def __init__(
        self,
        target: Union[Recorder, Session],
        *,
        name: str = "agentmetrics",
        agent: Optional[str] = None,
        phase: Optional[str] = None,
        task: Optional[str] = None,
        tags: Optional[Mapping[str, str]] = None,
        provider: Optional[str] = None,
        print_turns: bool = False,
    ) -> None:
        if not isinstance(target, (Recorder, Session)):
            raise TypeError(f"expected an agentmetrics Recorder or Session, got {target!r}")
        super().__init__(name=name)
        self._recorder = target if isinstance(target, Recorder) else None
        self._fixed = target if isinstance(target, Session) else None
        self._agent, self._phase, self._task, self._tags = agent, phase, task, tags
        self._provider = provider
        self._print_turns = print_turns
        self.sessions: dict[str, Session] = {}  # ADK session id -> agentmetrics session
        self._calls: dict[_CallKey, _ModelCall] = {}
        self._tools: dict[tuple[str, str], Session] = {}  # (ADK session id, call id) -> open
        self._turns: dict[str, tuple[Session, str]] = {}  # invocation id -> (session, ADK id)

    # -- helpers -------------------------------------------------------------------------

    def _session(self, adk_session: AdkSession) -> Session:
        if self._fixed is not None:
            return self._fixed
        s = self.sessions.get(adk_session.id)
        if s is None:
            assert self._recorder is not None
            s = self._recorder.session(
                adk_session.id,
                agent=self._agent or adk_session.app_name,
                phase=self._phase,
                task=self._task,
                tags=self._tags,
            )
            self.sessions[adk_session.id] = s
        return s

    def _derive_provider(self, model: Optional[str]) -> str:
        """``provider/model`` (LiteLLM style) names their provider; anything else is Google."""
        if self._provider:
            return self._provider
        if model and "/" in model and not model.startswith("projects/"):
            return model.split("/", 1)[0]
        return "google"

    @staticmethod
    def _call_key(ctx: CallbackContext) -> _CallKey:
        return (ctx.session.id, ctx.invocation_id, ctx.branch, ctx.agent_name)

    @staticmethod
    def _tool_key(tool_context: ToolContext) -> tuple[str, str]:
        call_id = tool_context.function_call_id or f"adk-ctx-{id(tool_context)}"
        return (tool_context.session.id, call_id)

    def _end_turn(self, invocation_id: str) -> None:
        turn = self._turns.pop(invocation_id, None)
        self._calls = {k: v for k, v in self._calls.items() if k[1] != invocation_id}
        if turn is not None:
            s = turn[0]
            s.turn_end()
            if self._print_turns:
                s.print_turn()

    # -- runner ----------------------------------------------------------------------------

    async def before_run_callback(self, *, invocation_context: InvocationContext) -> None:
        """Begin one turn per runner invocation."""
        with _guard("turn begin"):
            adk_id = invocation_context.session.id
            s = self._session(invocation_context.session)
            for inv, (open_s, open_adk_id) in list(self._turns.items()):
                if open_s is s:
                    if open_adk_id != adk_id:
                        return None  # a nested run (AgentTool) inside a given session's turn
                    self._end_turn(inv)  # an earlier run was cancelled: ADK skipped after_run
            s.turn_begin()
            self._turns[invocation_context.invocation_id] = (s, adk_id)
        return None

    async def after_run_callback(self, *, invocation_context: InvocationContext) -> None:
        """End the invocation's turn."""
        with _guard("turn end"):
            self._end_turn(invocation_context.invocation_id)

    async def on_run_error_callback(
        self, *, invocation_context: InvocationContext, error: Exception
    ) -> None:
        """End the turn of a failed invocation (ADK skips after_run then)."""
        with _guard("turn end"):
            self._end_turn(invocation_context.invocation_id)

    async def close(self) -> None:
        """Close the sessions this plugin opened (never a Session it was given)."""
        for s in self.sessions.values():
            with _guard("session close"):
                s.close()
        self.sessions.clear()

    # -- model -----------------------------------------------------------------------------

    async def before_model_callback(
        self, *, callback_context: CallbackContext, llm_request: LlmRequest
    ) -> None:
        """Start timing a model call."""
        with _guard("model call start"):
            now = self._session(callback_context.session).now_ns()
            self._calls[self._call_key(callback_context)] = _ModelCall(now, llm_request.model)

    async def after_model_callback(
        self, *, callback_context: CallbackContext, llm_response: LlmResponse
    ) -> None:
        """Record a non-partial model response once, with its usage and duration."""
        if llm_response.partial:
            return None  # streaming chunks: the final, aggregated response carries the usage
        with _guard("model call"):
            key = self._call_key(callback_context)
            call = self._calls.get(key)
            if call is None:  # no before_model seen (e.g. called directly): no duration
                call = self._calls[key] = _ModelCall(None, None)
            usage = llm_response.usage_metadata
            if id(llm_response) in call.seen or (usage is not None and id(usage) in call.seen):
                return None
            call.seen[id(llm_response)] = llm_response
            if usage is not None:
                call.seen[id(usage)] = usage
            reason = llm_response.finish_reason
            # An error code without a finish reason is a failed call (e.g. a blocked prompt).
            error = llm_response.error_code if reason is None else None
            session = self._session(callback_context.session)
            session.record_model_call(
                model=call.model or llm_response.model_version,
                usage=usage,
                provider=self._derive_provider(call.model),
                stop_reason=_name(reason),
                error=_name(error),
                start_ns=call.start_ns,
                model_version=llm_response.model_version,
            )
        return None

    async def on_model_error_callback(
        self,
        *,
        callback_context: CallbackContext,
        llm_request: LlmRequest,
        error: Exception,
    ) -> None:
        """Record a failed model call (no usage), with the exception's class name."""
        with _guard("model error"):
            call = self._calls.pop(self._call_key(callback_context), None)
            model = llm_request.model or (call.model if call else None)
            start = call.start_ns if call else None
            self._session(callback_context.session).record_model_call(
                model=model, provider=self._derive_provider(model), error=type(error).__name__, start_ns=start
            )

    # -- tools -----------------------------------------------------------------------------

    async def before_tool_callback(
        self, *, tool: BaseTool, tool_args: dict[str, Any], tool_context: ToolContext
    ) -> None:
        """Open a tool call keyed by its function call id."""
        with _guard("tool start"):
            key = self._tool_key(tool_context)
            s = self._session(tool_context.session)
            s.tool_start(tool.name, key[1])
            self._tools[key] = s

    async def after_tool_callback(
        self,
        *,
        tool: BaseTool,
        tool_args: dict[str, Any],
        tool_context: ToolContext,
        result: dict[str, Any],
    ) -> None:
        """Close a successful tool call."""
        with _guard("tool end"):
            key = self._tool_key(tool_context)
            s = self._tools.pop(key, None)
            if s is not None:
                s.tool_end(key[1], name=tool.name)

    async def on_tool_error_callback(
        self,
        *,
        tool: BaseTool,
        tool_args: dict[str, Any],
        tool_context: ToolContext,
        error: Exception,
    ) -> None:
        """Close a failed (or cancelled) tool call with the error's type and message."""
        with _guard("tool error"):
            key = self._tool_key(tool_context)
            s = self._tools.pop(key, None)
            if s is not None:
                s.tool_end(
                    key[1], name=tool.name, error=type(error).__name__, error_message=str(error)
                )
