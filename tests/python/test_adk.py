"""Google ADK plugin, end to end: a real LlmAgent with a Python tool, run by InMemoryRunner,
talking to a fake model that returns canned responses. No network and no API keys."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import Any, Optional, Union

import pytest

pytest.importorskip("google.adk")

import agentmetrics as am  # noqa: E402
from agentmetrics.integrations.adk import AgentMetricsPlugin  # noqa: E402
from google.adk.agents import LlmAgent  # noqa: E402
from google.adk.agents.run_config import RunConfig  # noqa: E402
from google.adk.agents.run_config import StreamingMode  # type: ignore[attr-defined]  # noqa: E402
from google.adk.apps import App  # noqa: E402
from google.adk.events.event import Event  # noqa: E402
from google.adk.models.base_llm import BaseLlm  # noqa: E402
from google.adk.models.llm_request import LlmRequest  # noqa: E402
from google.adk.models.llm_response import LlmResponse  # noqa: E402
from google.adk.runners import InMemoryRunner  # noqa: E402
from google.genai import types  # noqa: E402

MODEL = "gemini-2.5-flash"


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """No credentials and no telemetry export: nothing may reach the network."""
    for name in ("GOOGLE_API_KEY", "GEMINI_API_KEY", "GOOGLE_GENAI_USE_VERTEXAI",
                 "GOOGLE_CLOUD_PROJECT", "GOOGLE_CLOUD_LOCATION", "GOOGLE_APPLICATION_CREDENTIALS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ADK_DISABLE_LOAD_DOTENV", "1")
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")


def usage(prompt: int, cached: int, candidates: int, thoughts: int) -> Any:
    """Gemini usage: prompt includes cached; thoughts are not in candidates."""
    return types.GenerateContentResponseUsageMetadata(
        prompt_token_count=prompt,
        cached_content_token_count=cached,
        candidates_token_count=candidates,
        thoughts_token_count=thoughts,
        total_token_count=prompt + candidates + thoughts,
    )


def call(name: str, **args: Any) -> LlmResponse:
    part = types.Part.from_function_call(name=name, args=args)
    return LlmResponse(content=types.ModelContent([part]), usage_metadata=usage(100, 40, 10, 5),
                       finish_reason=types.FinishReason.STOP)


def answer(text: str, u: Any = None, *, partial: Optional[bool] = None) -> LlmResponse:
    return LlmResponse(content=types.ModelContent(text), partial=partial,
                       usage_metadata=u if u is not None else usage(150, 100, 20, 7),
                       finish_reason=None if partial else types.FinishReason.STOP)


class ModelDown(Exception):
    """Raised by the fake model."""


class FakeModel(BaseLlm):
    """Each model call consumes one step: responses to yield in order, an exception to raise,
    or an asyncio.Event to set before hanging until cancelled."""

    model: str = MODEL
    script: list[Union[list[LlmResponse], Exception, asyncio.Event]]

    async def generate_content_async(
        self, llm_request: LlmRequest, stream: bool = False
    ) -> AsyncGenerator[LlmResponse, None]:
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        if isinstance(step, asyncio.Event):
            step.set()
            await asyncio.Event().wait()
            return
        for response in step:
            yield response


def add(a: int, b: int) -> int:
    """Adds two integers."""
    return a + b


def explode(reason: str) -> str:
    """Always fails."""
    raise ValueError(f"kaboom: {reason}")


def make_runner(plugin: AgentMetricsPlugin, script: list[Any],
                tools: Optional[list[Any]] = None) -> InMemoryRunner:
    agent = LlmAgent(name="calc", model=FakeModel(script=script), tools=tools or [add],
                     instruction="Use the tools.")
    return InMemoryRunner(app=App(name="test_app", root_agent=agent, plugins=[plugin]))


async def invoke(runner: InMemoryRunner, session_id: str, *, stream: bool = False) -> list[Event]:
    """One runner invocation (one turn)."""
    mode = StreamingMode.SSE if stream else StreamingMode.NONE
    return [event async for event in runner.run_async(
        user_id="u", session_id=session_id, new_message=types.UserContent("2 + 3?"),
        run_config=RunConfig(streaming_mode=mode))]


def run(plugin: AgentMetricsPlugin, script: list[Any], *, stream: bool = False,
        tools: Optional[list[Any]] = None) -> tuple[str, list[Event]]:
    """One invocation in a fresh ADK session; returns the session id and the events."""

    async def go() -> tuple[str, list[Event]]:
        runner = make_runner(plugin, script, tools)
        session = await runner.session_service.create_session(app_name="test_app", user_id="u")
        return session.id, await invoke(runner, session.id, stream=stream)

    return asyncio.run(go())


def texts(events: list[Event]) -> list[str]:
    return [p.text for e in events if e.content and e.content.parts and not e.partial
            for p in e.content.parts if p.text]


def listen(rec: am.Recorder, kind: str) -> list[dict[str, Any]]:
    """The journal records of one kind, as the recorder emits them."""
    seen: list[dict[str, Any]] = []
    rec.on_record(lambda k, record: seen.append(record) if k == kind else None)
    return seen


def test_tool_round_trip_totals() -> None:
    rec = am.Recorder()
    models = listen(rec, "model_call")
    plugin = AgentMetricsPlugin(rec)
    sid, events = run(plugin, [[call("add", a=2, b=3)], [answer("5")]])
    assert texts(events) == ["5"]
    s = plugin.sessions[sid]
    assert s.session_id == sid
    for t in (s.totals(), rec.totals()):
        assert t.model_calls == 2
        assert t.calls_with_usage == 2
        assert t.calls_unpriced == 0  # the model name reached the price table
        assert t.model_errors == 0
        assert t.input_tokens == (100 - 40) + (150 - 100)  # fresh = prompt - cached
        assert t.cache_read_tokens == 40 + 100
        assert t.output_tokens == (10 + 5) + (20 + 7)  # candidates + thoughts
        assert t.reasoning_tokens == 5 + 7
        assert t.total_tokens == 110 + 140 + 42
        assert t.tool_calls == 1
        assert t.tool_errors == 0
        assert t.turns == 1
    tool = s.durations(am.DurationKind.TOOL_CALL)
    assert tool.count == 1 and tool.min_ns is not None and tool.min_ns >= 0
    assert s.durations(am.DurationKind.MODEL_CALL).count == 2
    assert [(m["model"], m["provider"], m["stop_reason"], m["outcome"]) for m in models] == [
        (MODEL, "google", "STOP", "ok")] * 2
    assert set(s.breakdown(by=am.By.MODEL)) == {MODEL}
    assert set(s.breakdown(by=am.By.TOOL)) == {"add"}
    assert s.format_turn() is not None  # the turn is over, so its line can be printed


def test_tool_error_counted_with_message() -> None:
    rec = am.Recorder()
    tools = listen(rec, "tool_call")
    plugin = AgentMetricsPlugin(rec)
    with pytest.raises(ValueError, match="kaboom: fuse"):  # the agent's error still propagates
        run(plugin, [[call("explode", reason="fuse")]], tools=[explode])
    t = rec.totals()
    assert (t.tool_calls, t.tool_errors, t.model_calls, t.turns) == (1, 1, 1, 1)
    assert len(tools) == 1
    record = tools[0]  # journal record: "error_type" is the class, "error" the message
    assert (record["tool"], record["outcome"]) == ("explode", "error")
    assert (record["error_type"], record["error"]) == ("ValueError", "kaboom: fuse")
    assert record["duration_ns"] >= 0


def test_streaming_counts_only_the_final_response() -> None:
    rec = am.Recorder()
    s = rec.session("given", agent="tester")
    plugin = AgentMetricsPlugin(s)  # a given session receives everything
    chunks = [answer("He", usage(10, 0, 1, 0), partial=True),
              answer("llo", usage(10, 0, 2, 0), partial=True),
              answer("Hello", usage(10, 0, 3, 1))]
    _, events = run(plugin, [chunks], stream=True)
    assert texts(events) == ["Hello"]
    assert plugin.sessions == {}
    t = s.totals()
    assert (t.model_calls, t.calls_with_usage, t.turns, t.tool_calls) == (1, 1, 1, 0)
    assert (t.input_tokens, t.output_tokens, t.reasoning_tokens) == (10, 4, 1)


@pytest.mark.parametrize("shared", ["same_response", "same_usage"])
def test_duplicate_final_response_counts_once(shared: str) -> None:
    rec = am.Recorder()
    plugin = AgentMetricsPlugin(rec)
    final = answer("5")
    # The same LlmResponse yielded twice, or a copy carrying the same usage object (what ADK's
    # non-progressive SSE aggregator does when it flushes merged text before a non-text chunk).
    twin = final if shared == "same_response" else answer("5", final.usage_metadata)
    _, events = run(plugin, [[call("add", a=2, b=3)], [final, twin]])
    assert texts(events) == ["5", "5"]  # ADK saw the response twice...
    t = rec.totals()
    assert t.model_calls == 2  # ...but it is counted once
    assert t.output_tokens == 15 + 27


def test_model_error_recorded() -> None:
    rec = am.Recorder()
    models = listen(rec, "model_call")
    plugin = AgentMetricsPlugin(rec)
    with pytest.raises(ModelDown):
        run(plugin, [ModelDown("quota")])
    assert [(m["model"], m["outcome"], m["error_type"]) for m in models] == [
        (MODEL, "error", "ModelDown")]
    assert "usage" not in models[0] and models[0]["duration_ns"] >= 0
    t = rec.totals()
    assert (t.model_calls, t.model_errors, t.calls_with_usage, t.turns) == (1, 1, 0, 1)
    assert t.input_tokens is None and t.output_tokens is None  # missing, not 0


def test_cancelled_run_leaves_no_turn_open() -> None:
    rec = am.Recorder()
    plugin = AgentMetricsPlugin(rec)
    started = asyncio.Event()
    runner = make_runner(plugin, [started, [answer("5")]])

    async def go() -> str:
        session = await runner.session_service.create_session(app_name="test_app", user_id="u")
        first = asyncio.create_task(invoke(runner, session.id))
        await started.wait()
        first.cancel()  # ADK then calls neither after_run nor on_run_error
        with pytest.raises(asyncio.CancelledError):
            await first
        assert texts(await invoke(runner, session.id)) == ["5"]
        return session.id

    sid = asyncio.run(go())
    t = plugin.sessions[sid].totals()
    assert (t.turns, t.model_calls, t.model_errors) == (2, 1, 0)


def test_metrics_failure_never_breaks_the_agent(caplog: pytest.LogCaptureFixture) -> None:
    rec = am.Recorder()
    s = rec.session("closed")
    s.close()  # every record into it now raises inside the plugin
    _, events = run(AgentMetricsPlugin(s), [[call("add", a=2, b=3)], [answer("5")]])
    assert texts(events) == ["5"]
    failed = {r.getMessage() for r in caplog.records if r.name == "agentmetrics.integrations.adk"}
    assert {"agentmetrics: recording model call failed",
            "agentmetrics: recording tool start failed",
            "agentmetrics: recording turn begin failed"} <= failed


def test_turn_line_printed_and_own_sessions_closed(capsys: pytest.CaptureFixture[str]) -> None:
    rec = am.Recorder()
    plugin = AgentMetricsPlugin(rec, print_turns=True)
    sid, _ = run(plugin, [[answer("5")]])
    line = plugin.sessions[sid].format_turn()
    assert line and capsys.readouterr().err == line + "\n"
    asyncio.run(plugin.close())
    assert plugin.sessions == {}
    assert rec.totals().model_calls == 1
