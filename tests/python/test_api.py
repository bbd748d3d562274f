"""Recorder, sessions, turns, tool calls, budgets, display and errors through the Python API."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from decimal import Decimal

import pytest

import agentmetrics as am
from conftest import FakeClock

USAGE = {"input_tokens": 1000, "cache_read_tokens": 500, "output_tokens": 200, "reasoning_tokens": 50}


def test_session_totals_and_turn_line(recorder: am.Recorder, clock: FakeClock) -> None:
    with recorder.session("thread-1", agent="planner", phase="plan", tags={"team": "a"}) as s:
        assert am.current_session() is s
        assert s.labels == {"session_id": "thread-1", "agent": "planner", "phase": "plan", "team": "a"}
        with s.turn():
            assert s.record_model_call(model="gpt-4o", usage=USAGE, duration_ns=1_200_000_000) is am.Notice.OK
            clock.advance(2_300_000_000)
        t = s.totals()
        assert (t.model_calls, t.input_tokens, t.cache_read_tokens, t.output_tokens, t.reasoning_tokens,
                t.total_tokens, t.cache_write_tokens) == (1, 1000, 500, 200, 50, 1700, None)
        # gpt-4o: 1000 * 2.5e-6 + 500 * 1.25e-6 + 200 * 1e-5, exactly
        assert t.cost is not None and t.cost.total == Decimal("0.005125")
        assert t.turns == 1
        assert s.format_turn() == "  1,500 in · 200 out · 50 reasoning · 500 cached · 1,700 total (session 1,700) · $0.0051 · 2.3s"
        assert s.format_turn(color=True) == "\x1b[2m" + s.format_turn() + "\x1b[0m"
        stats = s.turn_stats()
        assert stats is not None and stats.index == 1 and stats.duration_ns == 2_300_000_000
    assert am.current_session() is None
    assert s.closed
    with pytest.raises(am.ClosedError, match="closed session"):
        s.totals()
    with pytest.raises(ValueError):  # like a closed file
        s.record_model_call()


def test_missing_usage_is_not_zero(recorder: am.Recorder) -> None:
    with recorder.session() as s:
        s.record_model_call(model="gpt-4o")
        s.record_model_call(model="gpt-4o", usage={"input_tokens": None, "output_tokens": 5})
        t = s.totals()
    assert t.calls_missing_usage == 1 and t.calls_with_usage == 1
    assert t.input_tokens is None and t.output_tokens == 5 and t.total_tokens is None


def test_sessions_do_not_leak(recorder: am.Recorder) -> None:
    a = recorder.session("same")
    b = recorder.session("same")
    a.record_model_call(model="gpt-4o", usage={"input_tokens": 10, "output_tokens": 1})
    assert b.totals().model_calls == 0
    assert recorder.totals().model_calls == 1
    other = am.Recorder()
    assert other.totals().model_calls == 0
    a.close(), b.close(), other.close()


def test_sdk_dict_shapes_need_a_format(recorder: am.Recorder) -> None:
    with recorder.session() as s:
        with pytest.raises(am.InvalidArgumentError, match="usage_format"):
            s.record_model_call(usage={"prompt_tokens": 10})
        s.record_model_call(model="gpt-4o", usage={"prompt_tokens": 10, "completion_tokens": 3,
                                                   "prompt_tokens_details": {"cached_tokens": 4}},
                            usage_format="openai_chat")
        s.record_model_call(usage={"inputTokens": 7, "outputTokens": 2, "totalTokens": 9}, usage_format=am.Format.BEDROCK)
        t = s.totals()
    assert (t.input_tokens, t.cache_read_tokens, t.output_tokens) == (6 + 7, 4, 5)
    with pytest.raises(TypeError, match="usage format"):
        recorder.session().record_model_call(usage=object())


def test_tool_calls_parallel_and_errors(recorder: am.Recorder, clock: FakeClock) -> None:
    with recorder.session() as s, s.turn():
        s.tool_start("search", "a")
        clock.advance(100)
        s.tool_start("fetch", "b")
        clock.advance(300)
        s.tool_end("a")
        clock.advance(100)
        s.tool_end("b", error="timeout", error_message="took too long")
        with pytest.raises(am.StateError):
            s.tool_end("never-started")
        with pytest.raises(ValueError), s.tool_call("parse"):
            clock.advance(50)
            raise ValueError("bad json")
        s.record_tool_call("cache", duration_ns=7)
        stats = s.turn_stats()
        assert stats is not None
        assert (stats.tool_wall_ns, stats.tool_work_ns, stats.tool_calls) == (550, 400 + 400 + 50 + 7, 4)
        tools = s.breakdown(am.By.TOOL)
        assert tools["fetch"].last_error == "took too long"
        assert tools["parse"].last_error == "bad json"
        assert tools["search"].durations[am.DurationKind.TOOL_CALL].max_ns == 400
        assert s.totals().tool_errors == 2


def test_tool_decorator_sync_and_async(recorder: am.Recorder, clock: FakeClock) -> None:
    @am.tool
    def search(query: str) -> str:
        clock.advance(1_000)
        return query.upper()

    @am.tool("fetch_page")
    async def fetch(url: str) -> str:
        clock.advance(2_000)
        raise ConnectionError(url)

    assert search("outside") == "OUTSIDE"  # no session: just runs
    with recorder.session() as s:
        assert search("x") == "X"
        with pytest.raises(ConnectionError):
            asyncio.run(fetch("http://a"))
        tools = s.breakdown(am.By.TOOL)
    assert set(tools) == {"search", "fetch_page"}
    assert tools["search"].durations[am.DurationKind.TOOL_CALL].sum_ns == 1_000
    assert tools["fetch_page"].totals.tool_errors == 1
    assert search.__name__ == "search"


def test_batch_mode_since_last_step(recorder: am.Recorder, clock: FakeClock) -> None:
    with recorder.session() as s, s.turn():
        clock.advance(1_000)
        s.record_model_call(model="m", since_last_step=True)
        clock.advance(3_000)
        s.record_tool_call("t", since_last_step=True)
        assert s.durations(am.DurationKind.MODEL_CALL).sum_ns == 1_000
        assert s.durations(am.DurationKind.TOOL_CALL).sum_ns == 3_000


def test_budgets(recorder: am.Recorder) -> None:
    events: list[am.BudgetEvent] = []
    with recorder.session("b") as s:
        s.add_budget(max_tokens=1_000, callback=events.append)
        s.add_budget(max_cost=Decimal("0.001"), warn=True, model="gpt-4o")
        assert s.record_model_call(model="gpt-4o", usage={"input_tokens": 100, "output_tokens": 10}) is am.Notice.OK
        assert s.record_model_call(model="gpt-4o", usage={"input_tokens": 900, "output_tokens": 10}) is am.Notice.BUDGET_EXCEEDED
        assert s.record_model_call(model="x", usage={"input_tokens": 1, "output_tokens": 1}) is am.Notice.BUDGET_EXCEEDED
        assert s.totals().model_calls == 3  # kept
    assert len(events) == 1
    e = events[0]
    assert (e.kind, e.measure, e.session_id, e.tokens, e.max_tokens) == ("limit", "tokens", "b", 1020, 1000)
    with pytest.raises(TypeError, match="float"):
        recorder.session().add_budget(max_cost=0.5)  # type: ignore[arg-type]


def test_budget_warning_once(recorder: am.Recorder) -> None:
    with recorder.session() as s:
        s.add_budget(max_cost="0.001", warn=True)
        assert s.record_model_call(model="gpt-4o", usage={"input_tokens": 1000, "output_tokens": 0}) is am.Notice.BUDGET_WARNING
        assert s.record_model_call(model="gpt-4o", usage={"input_tokens": 1000, "output_tokens": 0}) is am.Notice.OK


def test_bad_arguments_raise_and_change_nothing(recorder: am.Recorder) -> None:
    with recorder.session() as s:
        with pytest.raises(am.InvalidArgumentError) as info:
            s.record_model_call(model="m", usage={"input_tokens": -1})
        assert info.value.status == "AGM_E_INVALID_ARGUMENT"
        with pytest.raises(ValueError):
            s.record_model_call(model="m", duration_ns=-5)
        with pytest.raises(am.InvalidArgumentError, match="NUL"):
            s.record_model_call(model="a\0b")
        with pytest.raises(TypeError):
            s.record_model_call(model=3)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="unexpected keyword"):
            s.record_model_call(modle="m")  # type: ignore[call-arg]
        with pytest.raises(TypeError):
            s.record_model_call("m")  # type: ignore[misc]
        with pytest.raises(UnicodeEncodeError):
            s.record_model_call(model="\udc80")
        with pytest.raises(am.InvalidArgumentError):
            s.record_model_call(source="toolbox")
        with pytest.raises(am.StateError):
            s.turn_end()
        with pytest.raises(ValueError, match="unknown usage format"):
            s.record_model_call(usage="{}", usage_format="nope")
        assert s.totals().model_calls == 0
    with pytest.raises(am.CorruptError):
        recorder.load_prices("{not json")
    with pytest.raises(am.InvalidArgumentError):
        am.format_tokens(-1)


def test_labels_over_the_limit_are_refused_and_change_nothing(recorder: am.Recorder) -> None:
    long = "m" * 1025  # AGM_MAX_LABEL_BYTES + 1
    with pytest.raises(am.InvalidArgumentError, match="call->model is 1025 bytes long"):
        with recorder.session() as s:
            s.record_model_call(model=long, usage={"input_tokens": 1, "output_tokens": 1})
    with pytest.raises(am.InvalidArgumentError, match="opts->agent is 1025 bytes long.*AGM_MAX_LABEL_BYTES"):
        recorder.session(agent=long)
    with recorder.session() as s:
        with pytest.raises(am.InvalidArgumentError, match="call->name is 1025 bytes long"):
            s.record_tool_call(long)
        s.record_model_call(model="m" * 1024, usage={"input_tokens": 1, "output_tokens": 1})
        totals = s.totals()
        assert totals.model_calls == 1 and totals.tool_calls == 0


def test_totals_count_the_calls_folded_into_other(recorder: am.Recorder) -> None:
    """Past AGM_MAX_SESSION_KEYS (1,000) distinct tool names in a session, further names fold
    into the "(other)" group, counted by Totals.folded_calls; every total still counts them."""
    with recorder.session() as s:
        for i in range(1000 + 3):
            s.record_tool_call(f"tool-{i:04d}", duration_ns=1)
        s.record_tool_call("tool-0000", duration_ns=1)  # a known name keeps its own group
        t = s.totals()
        assert (t.tool_calls, t.folded_calls) == (1004, 3)
    with recorder.session() as s:
        s.record_tool_call("plain", duration_ns=1)
        assert s.totals().folded_calls == 0


def test_prices_and_cost(recorder: am.Recorder) -> None:
    recorder.set_price("my-model", {"input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06})
    cost = recorder.cost("my-model", {"input_tokens": 1000, "output_tokens": 500})
    assert cost is not None and cost.total == Decimal("0.002") and cost.output == Decimal("0.001")
    assert recorder.cost("no-such-model", {"input_tokens": 1}) is None
    price = recorder.price("openai/gpt-4o")
    assert price is not None and price["resolved"] == "gpt-4o"
    assert recorder.price("no-such-model") is None
    info = am.bundled_prices_info()
    assert info["source"] == "litellm" and info["models"] > 100


def test_usage_stream_anthropic_overwrites() -> None:
    stream = am.UsageStream("anthropic")
    stream.add({"type": "message_start", "message": {"usage": {"input_tokens": 20, "output_tokens": 1}}})
    assert stream.result().missing
    stream.add('{"type":"message_delta","usage":{"output_tokens":150}}')
    stream.add({"type": "message_delta", "usage": {"input_tokens": 20, "output_tokens": 300}})
    usage = stream.result()
    assert (usage.input_tokens, usage.output_tokens, usage.total_tokens) == (20, 300, 320)
    with pytest.raises(am.UnsupportedError):
        am.UsageStream(am.Format.MASTRA)


def test_now_ns_reads_the_recorder_clock(recorder: am.Recorder, clock: FakeClock) -> None:
    with recorder.session() as s:
        assert recorder.now_ns() == s.now_ns() == clock.now
        start = s.now_ns()
        clock.advance(42)
        s.record_model_call(model="m", start_ns=start)
        assert s.durations().sum_ns == 42
    with am.Recorder() as rec, rec.session() as s:
        # The core's default clock is the one now_ns reads: a call that started 5 ms ago by it
        # lasts at least 5 ms by the core's own reading of "now".
        s.record_model_call(model="m", start_ns=s.now_ns() - 5_000_000)
        assert 5_000_000 <= s.durations().sum_ns < 60_000_000_000


def test_injectable_clock_drives_durations() -> None:
    ticks = iter(range(0, 10**12, 1_000_000))
    with am.Recorder(clock=lambda: next(ticks)) as rec, rec.session() as s:
        with s.turn():
            s.record_model_call(model="m")
        stats = s.turn_stats()
    assert stats is not None and stats.duration_ns > 0 and stats.duration_ns % 1_000_000 == 0


def test_a_clock_that_raises_is_reported(recorder: am.Recorder) -> None:
    def broken() -> int:
        raise RuntimeError("clock broke")

    seen: list[object] = []
    old = sys.unraisablehook
    sys.unraisablehook = lambda u: seen.append(u.exc_value)
    try:
        with am.Recorder(clock=broken) as rec, rec.session() as s:
            s.record_model_call(model="m")
            assert s.totals().model_calls == 1
    finally:
        sys.unraisablehook = old
    assert any(isinstance(e, RuntimeError) for e in seen)


def test_many_threads_exact_totals(recorder: am.Recorder) -> None:
    s = recorder.session()
    def work() -> None:
        for _ in range(2_000):
            s.record_model_call(model="gpt-4o", usage={"input_tokens": 3, "output_tokens": 2})
            s.record_tool_call("t", duration_ns=1)
    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    totals = s.totals()
    assert (totals.model_calls, totals.input_tokens, totals.output_tokens, totals.tool_calls) == (16_000, 48_000, 32_000, 16_000)
    assert totals.cost is not None and totals.cost.total == Decimal("0.44")  # 48k*2.5e-6 + 32k*1e-5
    s.close()


def test_closing_in_a_callback_is_safe(recorder: am.Recorder) -> None:
    # A budget callback closes the session mid-record: the handle outlives the call.
    s = recorder.session()
    s.add_budget(max_tokens=1, callback=lambda e: s.close())
    assert s.record_model_call(usage={"input_tokens": 5, "output_tokens": 5}) is am.Notice.BUDGET_EXCEEDED
    assert s.closed
    with pytest.raises(am.ClosedError):
        s.record_model_call()


def test_sessions_outlive_a_closed_recorder(clock: FakeClock) -> None:
    rec = am.Recorder(clock=clock)
    s = rec.session()
    rec.close()
    with pytest.raises(am.ClosedError):
        rec.totals()
    clock.advance(5)
    s.record_model_call(model="m", usage={"input_tokens": 1, "output_tokens": 1})
    assert s.totals().model_calls == 1
    s.close()


def test_interpreter_exits_cleanly() -> None:
    code = ("import agentmetrics as am; r = am.Recorder(clock=lambda: 5); s = r.session(); "
            "s.durations(); am.UsageStream('anthropic').result(); r.on_record(print)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_display_helpers() -> None:
    assert am.format_duration_ns(83_000_000_000) == "1m 23s"
    assert am.format_cost(Decimal("12.345")) == "$12.35"
    assert am.format_cost(0) == "$0.0000"
    with pytest.raises(TypeError):
        am.format_cost(0.1)  # type: ignore[arg-type]
    assert am.color_enabled(False) is False


def test_print_turn_without_tty(recorder: am.Recorder, capsys: pytest.CaptureFixture[str]) -> None:
    with recorder.session() as s:
        s.print_turn()  # nothing before the first turn
        with s.turn():
            s.record_model_call(model="gpt-4o", usage={"input_tokens": 10, "output_tokens": 2})
        s.print_turn(sys.stdout)
    out = capsys.readouterr()
    assert out.out.startswith("  10 in · 2 out · 12 total") and "\x1b" not in out.out
    assert out.err == ""


def test_version_is_the_headers_and_the_packages() -> None:
    """The version the core reports is the header's, and the installed package declares it
    (pyproject.toml's version is dynamic: meson's, read from the header)."""
    import importlib.metadata
    import pathlib
    import re

    header = pathlib.Path(__file__).resolve().parents[2] / "include" / "agentmetrics" / "metrics_c.h"
    if header.exists():  # in a checkout
        text = header.read_text(encoding="utf-8")
        parts = [re.search(rf"#define AGM_VERSION_{k} (\d+)", text).group(1) for k in ("MAJOR", "MINOR", "PATCH")]
        assert am.__version__ == ".".join(parts)
        assert am.ABI_VERSION == int(re.search(r"#define AGM_ABI_VERSION (\d+)", text).group(1))
    try:
        dist = importlib.metadata.distribution("agentmetrics-native")
    except importlib.metadata.PackageNotFoundError:
        dist = None
    # Only when the package imported is the one installed (not a build dir on PYTHONPATH).
    if dist is None or pathlib.Path(str(dist.locate_file("agentmetrics/__init__.py"))).resolve() != \
            pathlib.Path(am.__file__).resolve():
        if not header.exists():
            pytest.skip("neither a checkout nor an installed package")
        return
    assert dist.version == am.__version__
