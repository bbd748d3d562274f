"""The journal and SQLite store, loading and resuming, history queries and invocations,
through the Python API."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
from decimal import Decimal
from typing import Any

import pytest

import agentmetrics as am
from conftest import FakeClock

USAGE = {"input_tokens": 1000, "output_tokens": 100}


def run_agent(rec: am.Recorder, clock: FakeClock, session_id: str, calls: int) -> None:
    with rec.session(session_id, agent="coder", phase="build") as s:
        with s.turn():
            for _ in range(calls):
                s.record_model_call(model="gpt-4o", provider="openai", usage=USAGE, duration_ns=2_000_000_000)
                s.record_tool_call("search", duration_ns=6_000_000_000)
            s.record_tool_call("fetch", duration_ns=10, error="http_500", error_message="server error")
            clock.advance(1_000_000)


@pytest.mark.parametrize("kind", ["journal", "database"])
def test_store_roundtrip_and_history(tmp_path: pathlib.Path, recorder: am.Recorder, clock: FakeClock, kind: str) -> None:
    path = tmp_path / ("m.jsonl" if kind == "journal" else "m.db")
    recorder.open_store(**{kind: path}, flush="every_record")
    run_agent(recorder, clock, "s1", 3)
    recorder.flush()
    status = recorder.store_status()
    assert status.failed == 0 and status.written == status.queued > 0
    assert (recorder.journal_path == str(path)) is (kind == "journal")

    with am.History(path) as h:
        summary = h.summary()
        costs = h.costs("model")
        tools = {t["name"]: t for t in h.tools()["tools"]}
        slow = h.slow(threshold_ns=5_000_000_000)
        errors = h.errors()
        session = h.session("s1")
        sessions = h.expensive_sessions()
        with pytest.raises(am.NotFoundError):
            h.session("nope")
    # 3 * (1000 * 2.5e-6 + 100 * 1e-5) = 0.0105, exact Decimals
    assert summary["model_calls"] == 3 and summary["tokens"] == {"input": 3000, "output": 300, "total": 3300}
    assert summary["cost"]["total"] == Decimal("0.0105") and isinstance(summary["cost"]["total"], Decimal)
    assert summary["model_latency"]["p95_ms"] == 2000
    assert [(g["key"], g["cost"]["total"]) for g in costs["groups"]] == [("gpt-4o", Decimal("0.0105"))]
    assert tools["search"]["calls"] == 3 and tools["fetch"]["errors"] == 1
    assert tools["fetch"]["last_error"] == "server error"
    assert len(slow["operations"]) == 3 and all(op["duration_ms"] >= 5000 for op in slow["operations"])
    assert errors["recent_errors"][0]["message"] == "server error"
    assert errors["error_counts_by_tool"] == {"fetch": 1}
    assert (session["session"], session["agent"], session["tools_used"]) == ("s1", "coder", {"fetch": 1, "search": 3})
    assert sessions["sessions"][0]["session"] == "s1"
    # The recorder's own store answers the same questions after a flush.
    assert recorder.history.tools()["tools"] == h_tools(path)
    recorder.close_store()


def h_tools(path: pathlib.Path) -> Any:
    with am.History(path) as h:
        return h.tools()["tools"]


def test_load_and_resume_equal_an_uninterrupted_run(tmp_path: pathlib.Path, clock: FakeClock) -> None:
    journal = tmp_path / "runs" / "metrics.jsonl"
    with am.Recorder(clock=clock) as rec:
        rec.open_store(journal=journal)
        run_agent(rec, clock, "a", 2)
        run_agent(rec, clock, "b", 1)
        rec.flush()
        expected = rec.totals()
    count = am.store_count(journal)
    assert count > 0
    with am.Recorder() as fresh:
        report = fresh.load(journal)
        assert (report.files, report.records, report.malformed, report.first_malformed_line) == (1, count, 0, None)
        assert fresh.totals() == expected
    # A torn tail (a crash mid-write) is skipped with a warning; nothing else is lost.
    with journal.open("a") as f:
        f.write('{"v":1,"kind":"model_call","ses')
    with am.Recorder() as fresh:
        report = fresh.load(journal)
        assert report.malformed == 1 and report.first_malformed_line == count + 1
        assert report.warnings[0]["line"] == count + 1
        assert fresh.totals() == expected
    # Resume: records restored from a checkpoint are skipped.
    with am.Recorder() as resumed:
        report = resumed.load(journal, skip=count - 1)
        assert report.records == 1 and report.skipped == count - 1


def test_load_reports_the_records_a_writer_dropped(tmp_path: pathlib.Path) -> None:
    """A "dropped" marker (written by a store whose queue was full) is not a record: the load
    report counts the records it names, apart."""
    journal = tmp_path / "m.jsonl"
    journal.write_text('{"v":1,"kind":"session","ts":1,"session":"s"}\n'
                       '{"v":1,"kind":"dropped","ts":2,"records":7,"last_ts":3}\n'
                       '{"v":1,"kind":"dropped","ts":5,"records":2,"last_ts":5}\n')
    with am.Recorder() as rec:
        report = rec.load(journal)
        assert (report.records, report.lines, report.malformed, report.dropped) == (1, 1, 0, 9)
        assert am.History(journal).summary()["dropped_records"] == 9


def test_load_errors(tmp_path: pathlib.Path) -> None:
    with am.Recorder() as rec:
        with pytest.raises(am.NotFoundError):
            rec.load(tmp_path / "missing.jsonl")
        with pytest.raises(am.NotFoundError):
            am.History(tmp_path / "missing.db")
        (tmp_path / "bad.db").write_bytes(b"SQLite format 3\0" + b"\xff" * 200)
        with pytest.raises(am.AgentMetricsError):
            rec.load(tmp_path / "bad.db")
        with pytest.raises(am.StoreError):
            rec.open_store(journal="/proc/agentmetrics/x.jsonl")
        with pytest.raises(am.StateError):
            rec.flush()  # no store open
        with pytest.raises(am.StateError):
            rec.history.summary()


def test_observer_sees_records(recorder: am.Recorder, clock: FakeClock) -> None:
    seen: list[tuple[str, dict[str, Any]]] = []
    recorder.on_record(lambda kind, record: seen.append((kind, record)), am.RecordKind.MODEL_CALL | am.RecordKind.TURN)
    run_agent(recorder, clock, "o", 1)
    assert [k for k, _ in seen] == ["model_call", "turn"]
    call = seen[0][1]
    assert call["model"] == "gpt-4o" and call["cost"]["total"] == Decimal("0.0035")
    recorder.on_record(None)
    run_agent(recorder, clock, "p", 1)
    assert len(seen) == 2


def test_invocations_and_aggregate(recorder: am.Recorder, tmp_path: pathlib.Path) -> None:
    recorder.open_store(database=tmp_path / "fleet.db")
    base = 1_795_000_000_000_000_000
    recorder.record_invocation(invocation_id="i1", agent="coder", task_id="t1", phase=1, tier="low",
                               duration_ns=60_000_000_000, tokens=1000, input_tokens=800, output_tokens=200,
                               cost=Decimal("0.25"), attempt=1, success=False, start_wall_ns=base)
    recorder.record_invocation(invocation_id="i2", agent="coder", task_id="t1", phase=1, tier="high",
                               duration_ns=30_000_000_000, tokens=500, cost="0.5", attempt=2,
                               success=True, start_wall_ns=base + 10_000_000_000)
    recorder.record_invocation({"invocationId": "i3", "agent": "reviewer", "phase": 2, "durationMs": 1000,
                                "tokens": 10, "cost": Decimal("0.001"), "success": True,
                                "attempt": 1, "exitCode": 0, "timestamp": "2026-11-18T00:00:00Z"})
    assert recorder.invocation_count() == 3
    assert [i["invocation_id"] for i in recorder.invocations()] == ["i1", "i2", "i3"]
    agg = recorder.invocation_aggregate(tiers=["low", "high"], bucket_ns=60_000_000_000)
    assert agg["total_invocations"] == 3 and agg["total_retries"] == 1 and agg["escalation_count"] == 1
    assert agg["total_cost"] == Decimal("0.751") and agg["peak_parallel_invocations"] == 2
    assert agg["invocations_by_agent"] == {"coder": 2, "reviewer": 1}
    with pytest.raises(am.InvalidArgumentError):
        recorder.record_invocation(invocation_id="bad", agent="a", attempt=0)
    with pytest.raises(TypeError, match="unexpected field"):
        recorder.record_invocation(invocation_id="x", agent="a", colour="red")
    stored = recorder.history.invocations(tiers=["low", "high"])
    assert stored["total_invocations"] == 3
    with am.Recorder() as again:
        again.load(tmp_path / "fleet.db")
        assert again.invocation_count() == 3


GIL_CHECK = """
import os, select, sys, threading, agentmetrics as am
fifo = sys.argv[1]
reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # so that the writer's open does not block
rec = am.Recorder()
rec.open_store(journal=fifo)
with rec.session() as s:
    for _ in range(3000):  # far more than a pipe holds: the writer blocks until we read
        s.record_model_call(model="m" * 100, usage={"input_tokens": 1, "output_tokens": 1})
flushed = threading.Event()
threading.Thread(target=lambda: (rec.flush(), flushed.set())).start()
received = 0
while not flushed.is_set():  # runs only while flush() has released the GIL
    if select.select([reader], [], [], 0.05)[0]:
        received += len(os.read(reader, 1 << 16))
print(received)
"""


def test_flush_releases_the_gil(tmp_path: pathlib.Path) -> None:
    # The journal is a pipe that only this process drains: if flush() kept the GIL, nothing
    # would read the pipe, the writer would stay blocked and flush() would never return.
    fifo = tmp_path / "journal.fifo"
    os.mkfifo(fifo)
    done = subprocess.run([sys.executable, "-c", GIL_CHECK, str(fifo)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) > 1 << 16


# Holds a write transaction on the database argv[1] until its stdin closes.
LOCKER = """
import sqlite3, sys
lock = sqlite3.connect(sys.argv[1], isolation_level=None)
lock.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.read()
lock.execute("ROLLBACK")
"""


def test_a_stalled_store_drops_beyond_max_queue_bytes_and_reports_every_drop(
    tmp_path: pathlib.Path, recorder: am.Recorder
) -> None:
    db = tmp_path / "m.db"
    drops: list[tuple[int, int]] = []
    recorder.open_store(database=db, max_queue_bytes=64 * 1024, on_drop=lambda n, queued: drops.append((n, queued)))
    with recorder.session("stalled", agent="a") as s:
        recorder.flush()
        before = recorder.store_status()
        assert (before.max_queue_bytes, before.dropped, before.queued_bytes) == (64 * 1024, 0, 0)
        # Another process holds the database's write lock. (Not a sqlite3 connection in this
        # process: the extension carries its own SQLite, and two copies of SQLite in one
        # process do not see each other's POSIX locks.)
        locker = subprocess.Popen(
            [sys.executable, "-c", LOCKER, str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert locker.stdout is not None and locker.stdout.readline() == "locked\n"
        for _ in range(3000):
            s.record_model_call(model="gpt-4o", usage=USAGE, duration_ns=1000)
        stalled = recorder.store_status()
        locker.communicate("")  # it rolls back and exits
        assert locker.returncode == 0
    accepted = stalled.queued - before.queued
    assert 0 < stalled.queued_bytes <= 64 * 1024
    assert stalled.dropped > 0 and accepted + stalled.dropped == 3000
    assert drops == [(1, stalled.queued_bytes)]  # once per overflow, at its first drop
    with pytest.raises(am.StoreError) as failure:
        recorder.flush()
    assert failure.value.status == "AGM_E_DROPPED"  # type: ignore[attr-defined]
    assert f"{stalled.dropped} records were dropped" in str(failure.value)
    after = recorder.store_status()
    assert (after.failed, after.queued_bytes, after.dropped) == (0, 0, stalled.dropped)
    assert after.written == before.written + accepted  # nothing queued was lost
    recorder.flush()  # reported once
    recorder.close_store()
    with am.Recorder() as loaded:
        loaded.load(db)
        assert loaded.totals().model_calls + stalled.dropped == 3000


def test_max_queue_bytes_defaults_and_is_checked(tmp_path: pathlib.Path, recorder: am.Recorder) -> None:
    recorder.open_store(journal=tmp_path / "m.jsonl")
    assert recorder.store_status().max_queue_bytes == 64 << 20
    recorder.close_store()
    with pytest.raises(TypeError):
        recorder.open_store(journal=tmp_path / "m.jsonl", on_drop=42)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        recorder.open_store(journal=tmp_path / "m.jsonl", max_queue_bytes=-1)
