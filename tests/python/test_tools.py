"""The agent's own get_metrics tool and the BabyAGI-style event collector."""

from __future__ import annotations

import json
import pathlib
from collections import defaultdict
from typing import Any, Callable

import pytest

import agentmetrics as am
from agentmetrics.integrations.babyagi import MetricsCollector
from agentmetrics.tools import ACTIONS, PARAMETERS, MetricsTool, get_metrics
from conftest import FakeClock


class EventEmitter:
    """BabyAGI's utils/events.py in miniature: on(name, handler) and emit(name, data)."""

    def __init__(self) -> None:
        self.handlers: defaultdict[str, list[Callable[[dict[str, Any]], Any]]] = defaultdict(list)

    def on(self, event: str, handler: Callable[[dict[str, Any]], Any]) -> None:
        self.handlers[event].append(handler)

    def emit(self, event: str, data: dict[str, Any]) -> None:
        for handler in self.handlers[event]:
            handler(data)


def test_babyagi_collector(recorder: am.Recorder, clock: FakeClock) -> None:
    agent = EventEmitter()
    collector = MetricsCollector(recorder, agent="babyagi")  # times on the recorder's clock
    collector.attach(agent)
    agent.emit("ai_call_start", {"model": "claude-sonnet-4-5-20250929", "thread_id": "t1", "message_count": 2})
    clock.advance(1_500_000_000)
    agent.emit("ai_call_end", {"model": "claude-sonnet-4-5-20250929", "thread_id": "t1", "input_tokens": 1000,
                               "output_tokens": 200, "cache_read_input_tokens": 4000, "stop_reason": "tool_use"})
    agent.emit("tool_start", {"name": "web_search", "thread_id": "t1", "tool_use_id": "tu_1"})
    agent.emit("tool_start", {"name": "calc", "thread_id": "t1"})
    clock.advance(250_000_000)
    agent.emit("tool_end", {"name": "calc", "thread_id": "t1", "result": {"status": "error", "message": "div by 0"}})
    agent.emit("tool_end", {"name": "web_search", "thread_id": "t1", "tool_use_id": "tu_1", "result": {"hits": 3}})
    agent.emit("tool_end", {"name": "late", "thread_id": "t2", "duration_ms": 12.5, "result": {"error": "boom"}})
    agent.emit("ai_call_end", {"model": "claude-sonnet-4-5-20250929", "thread_id": "t2", "duration_ms": 800})

    t1 = collector.session("t1")
    totals = t1.totals()
    assert (totals.model_calls, totals.input_tokens, totals.cache_read_tokens, totals.output_tokens) == (1, 1000, 4000, 200)
    assert t1.durations().sum_ns == 1_500_000_000
    tools = t1.breakdown(am.By.TOOL)
    assert tools["calc"].last_error == "div by 0" and tools["web_search"].totals.tool_errors == 0
    assert tools["web_search"].durations[am.DurationKind.TOOL_CALL].sum_ns == 250_000_000
    t2 = collector.session("t2").totals()
    assert t2.calls_missing_usage == 1 and t2.tool_errors == 1  # no token counts: missing, not 0
    assert t1.labels["agent"] == "babyagi"
    collector.close()


def seed_store(tmp_path: pathlib.Path, clock: FakeClock) -> am.Recorder:
    rec = am.Recorder(clock=clock, wall_clock=clock.wall_clock)
    rec.open_store(database=tmp_path / "m.db")
    with rec.session("s1", agent="coder") as s, s.turn():
        s.record_model_call(model="gpt-4o", usage={"input_tokens": 1000, "output_tokens": 100}, duration_ns=7_000_000_000)
        s.record_tool_call("search", duration_ns=1_000_000, error="timeout", error_message="took too long")
    return rec


@pytest.mark.parametrize("action", ACTIONS)
def test_get_metrics_actions_are_json_ready(tmp_path: pathlib.Path, clock: FakeClock, action: str) -> None:
    rec = seed_store(tmp_path, clock)
    tool = MetricsTool(rec)
    result = tool(action, session_id="s1" if action == "session" else None)
    assert "error" not in result, result
    assert json.loads(json.dumps(result)) == result  # plain JSON types only
    expected = {"summary": lambda r: r["model_calls"] == 1 and r["cost"]["total"] == 0.0035,
                "costs": lambda r: r["groups"][0]["key"] == "gpt-4o",
                "tools": lambda r: r["tools"][0]["name"] == "search" and r["tools"][0]["errors"] == 1,
                "session": lambda r: r["session"] == "s1",
                "slow": lambda r: r["operations"][0]["duration_ms"] == 7000,
                "errors": lambda r: r["recent_errors"][0]["message"] == "took too long"}
    assert expected[action](result)
    rec.close()
    # The same from the store's path, as a separate process would ask.
    assert get_metrics(tmp_path / "m.db", action, **({"session_id": "s1"} if action == "session" else {}))[
        "action"] == action


def test_get_metrics_current_session_and_errors(recorder: am.Recorder) -> None:
    tool = MetricsTool(recorder)
    with recorder.session("live") as s:
        s.record_model_call(model="gpt-4o", usage={"input_tokens": 10, "output_tokens": 1})
        live = tool("session")
        assert live["session"]["session_id"] == "live" and live["totals"]["model_calls"] == 1
        json.dumps(live)
    assert "error" in tool("nonsense")
    # This recorder keeps no store: a readable error, no raise.
    assert "open_store" in tool("summary")["error"]


def test_tool_definitions() -> None:
    tool = MetricsTool.__new__(MetricsTool)
    assert tool.openai_tool["function"]["name"] == "get_metrics"
    assert tool.openai_tool["function"]["parameters"] is PARAMETERS
    assert tool.anthropic_tool["input_schema"]["required"] == ["action"]
    assert PARAMETERS["properties"]["action"]["enum"] == list(ACTIONS)


def _at(doc: Any, dotted: str) -> Any:
    value = doc
    for part in dotted.split("."):
        if value is None:
            return None
        if isinstance(value, list):
            value = len(value) if part == "length" else value[int(part)]
        else:
            value = value.get(part)
    return value


def test_shared_cases(tmp_path: pathlib.Path, clock: FakeClock) -> None:
    """The contract tests/node/tools.test.js checks too (tests/shared/metrics_tool_cases.json)."""
    cases = json.loads((pathlib.Path(__file__).parents[1] / "shared" / "metrics_tool_cases.json").read_text())["cases"]
    rec = seed_store(tmp_path, clock)
    rec.flush()
    now_ns = clock.wall_clock()  # "period" ends at the recorder's wall clock for every source
    for case in cases:
        result = MetricsTool(rec)(**case["args"])
        assert MetricsTool(tmp_path / "m.db")(**case["args"], now_ns=now_ns) == result
        for key, expected in case["expect"].items():
            if key.endswith("~"):
                assert expected in _at(result, key[:-1]), (case, result)
            else:
                assert _at(result, key) == expected, (case, key, result)
    rec.close()
