"""The agentmetrics command-line tool, run as a subprocess.

The command comes from AGM_CLI (a shell-split argv prefix, e.g. build/cli/agentmetrics), else
`python -m agentmetrics`. Stores are journals written here line by line (README, "Journal
schema"); the database test writes one through the Python package or, without it, through the C
library with ctypes (beside the command, or at AGM_LIBRARY), and is skipped if neither is there.
"""

from __future__ import annotations

import calendar
import importlib.util
import json
import os
import pathlib
import re
import select
import shlex
import signal
import subprocess
import sys
import time
from decimal import Decimal
from http.server import BaseHTTPRequestHandler
from typing import Any, Iterator

import pytest

from conftest import JsonHandler, closed_port, serve


def _command() -> list[str]:
    if os.environ.get("AGM_CLI"):
        return shlex.split(os.environ["AGM_CLI"])
    return [sys.executable, "-m", "agentmetrics"]


def _runnable() -> bool:
    if os.environ.get("AGM_CLI"):
        return True
    try:
        return importlib.util.find_spec("agentmetrics.__main__") is not None
    except ImportError:
        return False


pytestmark = pytest.mark.skipif(not _runnable(), reason="no AGM_CLI and no `python -m agentmetrics`")

CLI = _command()
T0 = calendar.timegm((2026, 11, 22, 10, 0, 0)) * 10**9
S = 10**9

# Two sessions: s1 (planner) with two priced model calls, two search calls (one failed) and a
# turn; s2 (coder) with one unpriced model call that failed on its second attempt; and two
# invocations of one task, escalated from tier low to high.
RECORDS: list[dict[str, Any]] = [
    {"v": 1, "kind": "session", "ts": T0, "session": "s1", "agent": "planner"},
    {"v": 1, "kind": "model_call", "ts": T0 + 3 * S, "session": "s1", "agent": "planner", "turn": 1,
     "model": "gpt-4o", "provider": "openai", "source": "agent", "attempt": 1, "outcome": "ok",
     "duration_ns": 2_300_000_000, "usage": {"input": 1000, "output": 200, "total": 1200},
     "cost": {"input": 0.0025, "output": 0.002, "total": 0.0045}},
    {"v": 1, "kind": "tool_call", "ts": T0 + 10 * S, "session": "s1", "agent": "planner", "turn": 1,
     "tool": "search", "call_id": "c1", "outcome": "ok", "duration_ns": 6_500_000_000},
    {"v": 1, "kind": "tool_call", "ts": T0 + 12 * S, "session": "s1", "agent": "planner", "turn": 1,
     "tool": "search", "call_id": "c2", "outcome": "error", "error_type": "timeout",
     "error": "upstream timed out", "duration_ns": 1_200_000_000},
    {"v": 1, "kind": "model_call", "ts": T0 + 15 * S, "session": "s1", "agent": "planner", "turn": 1,
     "model": "claude-sonnet-4-5", "provider": "anthropic", "source": "agent", "attempt": 1, "outcome": "ok",
     "duration_ns": 2_300_000_000, "usage": {"input": 1247, "cache_read": 3200, "output": 312, "total": 4759},
     "cost": {"input": 0.003741, "cache_read": 0.00096, "output": 0.00468, "total": 0.009381}},
    {"v": 1, "kind": "turn", "ts": T0 + 16 * S, "session": "s1", "agent": "planner", "turn": 1,
     "duration_ns": 16 * S, "tool_wall_ns": 7_700_000_000, "tool_work_ns": 7_700_000_000,
     "model_calls": 2, "tool_calls": 2},
    {"v": 1, "kind": "session", "ts": T0 + 50 * S, "session": "s2", "agent": "coder"},
    {"v": 1, "kind": "model_call", "ts": T0 + 60 * S, "session": "s2", "agent": "coder",
     "model": "mystery-model", "source": "agent", "attempt": 2, "outcome": "error", "error_type": "rate_limit",
     "duration_ns": 800_000_000, "usage": {"input": 100, "output": 50, "total": 150}},
    {"v": 1, "kind": "invocation", "ts": T0, "timestamp": "2026-11-22T10:00:00Z", "invocation_id": "i1",
     "agent": "planner", "phase": 1, "task_id": "t1", "duration_ns": 20 * S, "tokens": 1200,
     "input_tokens": 1000, "output_tokens": 200, "cached_tokens": 0, "cost": 0.0045, "exit_code": 1,
     "success": False, "attempt": 1, "output_parsed": False, "model": "gpt-4o", "tier": "low"},
    {"v": 1, "kind": "invocation", "ts": T0 + 30 * S, "timestamp": "2026-11-22T10:00:30Z", "invocation_id": "i2",
     "agent": "planner", "phase": 1, "task_id": "t1", "duration_ns": 40 * S, "tokens": 4759,
     "input_tokens": 1247, "output_tokens": 312, "cached_tokens": 3200, "cost": 0.009381, "exit_code": 0,
     "success": True, "attempt": 2, "output_parsed": True, "model": "claude-sonnet-4-5", "tier": "high"},
]
TOTAL_COST = Decimal("0.013881")  # 0.0045 + 0.009381; mystery-model is unpriced


def run(*args: str | os.PathLike[str], env: dict[str, str] | None = None,
        timeout: float = 60) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "OTEL_RESOURCE_ATTRIBUTES",
                                                                   "OTEL_EXPORTER_OTLP_HEADERS")}
    full_env.update(env or {})
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, env=full_env,
                          timeout=timeout, check=False)


def ok(*args: str | os.PathLike[str], **kw: Any) -> str:
    res = run(*args, **kw)
    assert res.returncode == 0, (res.returncode, res.stderr)
    return res.stdout


def doc(*args: str | os.PathLike[str]) -> Any:
    """The --json output: one line, newline-terminated, exact decimals."""
    out = ok(*args, "--json")
    assert out.endswith("\n") and out.count("\n") == 1, out
    return json.loads(out, parse_float=Decimal)


def write_journal(path: pathlib.Path, records: list[dict[str, Any]]) -> pathlib.Path:
    with path.open("w") as f:
        for r in records:
            f.write(json.dumps(r) + "\n")
    return path


@pytest.fixture
def journal(tmp_path: pathlib.Path) -> pathlib.Path:
    return write_journal(tmp_path / "metrics.jsonl", RECORDS)


def lines_with(text: str, word: str) -> list[str]:
    return [line for line in text.splitlines() if word in line]


# ---- summary ---------------------------------------------------------------------------------


def test_summary_totals_and_tables(journal: pathlib.Path) -> None:
    out = ok("summary", journal)
    assert "Cost           $0.014 (input $0.0062 · cache read $0.0010 · output $0.0067)" in out
    assert "1 unpriced call not included" in out
    assert "6,109 total · 2,347 input · 3,200 cache read · 562 output" in out
    assert "Model calls    3 · 1 unpriced · 1 error · 1 retry" in out
    assert "Tool calls     2 · 1 error" in out
    assert "Sessions       2 · avg $0.0069" in out
    assert lines_with(out, "claude-sonnet-4-5")[0].split() == ["claude-sonnet-4-5", "$0.0094"]
    assert lines_with(out, "mystery-model")[0].split() == ["mystery-model", "—"]
    assert lines_with(out, "s2 ")[-1].split() == ["s2", "—"]  # unpriced: never $0
    assert "\x1b[" not in out  # not a terminal: no bold


def test_summary_json_is_the_core_document(journal: pathlib.Path) -> None:
    d = doc("summary", journal)
    assert d["query"] == "summary"
    assert d["cost"]["total"] == TOTAL_COST
    assert d["tokens"] == {"input": 2347, "cache_read": 3200, "output": 562, "total": 6109}
    assert (d["model_calls"], d["calls_unpriced"], d["model_errors"], d["retries"]) == (3, 1, 1, 1)
    assert d["cost_by_model"]["mystery-model"] is None
    assert [s["session"] for s in d["most_expensive_sessions"]] == ["s1", "s2"]


def test_summary_by_model_and_day(journal: pathlib.Path) -> None:
    out = ok("summary", journal, "--by", "model")
    assert lines_with(out, "gpt-4o")[0].split() == ["gpt-4o", "1", "0", "1,000", "—", "200", "1,200", "0", "$0.0045"]
    assert lines_with(out, "mystery-model")[0].split()[-1] == "—"
    assert "Avg cost / call    $0.0069" in out
    d = doc("summary", journal, "--by", "day")
    assert d["group_by"] == "day"
    assert [(g["key"], g["cost"]["total"]) for g in d["groups"]] == [("2026-11-22", TOTAL_COST)]


def test_summary_by_tool(journal: pathlib.Path) -> None:
    d = doc("summary", journal, "--by", "tool")
    assert d["group_by"] == "tool"
    search = next(g for g in d["groups"] if g["key"] == "search")
    assert search["tool_calls"] == 2
    out = ok("summary", journal, "--by", "tool")
    assert "TOOL CALLS" in out and lines_with(out, "search")


def test_summary_by_model_and_source_name_a_call_without_them(tmp_path: pathlib.Path) -> None:
    # An older or foreign writer's line: no "model", "source" or "provider" (absent = not
    # reported). It groups under the labels the recorder gives such a call, as in every reader.
    older = {"v": 1, "kind": "model_call", "ts": T0 + 70 * S, "session": "s3", "attempt": 2,
             "duration_ns": 500_000_000, "usage": {"input": 10, "output": 5}}
    store = write_journal(tmp_path / "older.jsonl", [*RECORDS, older])
    out = ok("summary", store, "--by", "model")
    assert lines_with(out, "unknown")[0].split()[:2] == ["unknown", "1"], out
    assert [g["key"] for g in doc("summary", store, "--by", "model")["groups"]].count("") == 0
    by_source = {g["key"]: g["model_calls"] for g in doc("summary", store, "--by", "source")["groups"]}
    assert by_source == {"agent": 4}, by_source
    assert "unknown" in doc("summary", store)["cost_by_model"]


def test_periods_and_ranges(journal: pathlib.Path) -> None:
    assert doc("summary", journal, "--from", "2026-11-22T10:00:30Z")["model_calls"] == 1
    assert doc("summary", journal, "--to", "2026-11-22T10:00:10Z")["model_calls"] == 1
    assert doc("summary", journal, "--period", "hour", "--now", "2026-11-22T10:30:00Z")["model_calls"] == 3
    empty = doc("summary", journal, "--period", "hour", "--now", "2026-11-22T12:00:00Z")
    assert empty["model_calls"] == 0 and empty["cost"] is None
    out = ok("summary", journal, "--period", "hour", "--now", "2026-11-22T12:00:00Z")
    assert "$0 " not in out and "Cost           —" in out


# ---- sessions, session, tools, slow, errors, invocations ------------------------------------


def test_sessions(journal: pathlib.Path) -> None:
    out = ok("sessions", journal)
    rows = [line.split() for line in out.splitlines() if line.startswith("s")]
    assert rows[0][:2] == ["s1", "planner"] and rows[0][-4:] == ["5,959", "$0.014", "2", "1"]
    assert rows[1][:2] == ["s2", "coder"] and rows[1][-3] == "—"
    d = doc("sessions", journal, "--limit", "1")
    assert [s["session"] for s in d["sessions"]] == ["s1"]


def test_session(journal: pathlib.Path) -> None:
    out = ok("session", journal, "s1")
    assert "Agent          planner" in out
    assert "Turns          1 · 16.0s" in out
    assert "Tool calls     2 · 1 error" in out
    assert lines_with(out, "search")[0].split() == ["search", "2"]
    d = doc("session", journal, "s1")
    assert d["cost"]["total"] == TOTAL_COST and d["turns"] == 1 and d["tools_used"] == {"search": 2}


def test_unknown_session_is_not_found(journal: pathlib.Path) -> None:
    res = run("session", journal, "nope")
    assert res.returncode == 3
    assert "agentmetrics: error:" in res.stderr and "nope" in res.stderr
    assert "agentmetrics sessions" in res.stderr  # the hint


def test_tools(journal: pathlib.Path) -> None:
    out = ok("tools", journal)
    row = lines_with(out, "search")[0]
    assert row.split()[:9] == ["search", "2", "1", "50%", "3.9s", "1.2s", "1.2s", "1.2s", "6.5s"]
    assert row.endswith("upstream timed out")
    d = doc("tools", journal, "--name", "search")
    assert d["name"] == "search" and d["tools"][0]["calls"] == 2
    assert "no calls of tool fetch" in ok("tools", journal, "--name", "fetch")


def test_slow(journal: pathlib.Path) -> None:
    out = ok("slow", journal)
    assert "Operations at or over 5.0s (all records): 2" in out
    assert [line.split()[:3] for line in out.splitlines() if line.strip().endswith("s1")] == [
        ["16.0s", "turn", "turn"], ["6.5s", "tool_call", "search"]]
    d = doc("slow", journal, "--threshold", "2s")
    assert d["threshold_ms"] == 2000 and len(d["operations"]) == 4


def test_errors(journal: pathlib.Path) -> None:
    out = ok("errors", journal)
    assert "Model errors  1" in out and "Tool errors   1" in out
    assert lines_with(out, "upstream timed out")[0].split()[1:5] == ["tool_call", "search", "timeout", "s1"]
    d = doc("errors", journal)
    assert d["error_counts_by_tool"] == {"search": 1} and d["error_counts_by_model"] == {"mystery-model": 1}


def test_invocations(journal: pathlib.Path) -> None:
    out = ok("invocations", journal)
    assert "Success rate    50.0%" in out and "Escalations     1" in out
    assert lines_with(out, "planner")[0].split() == ["planner", "2", "1", "5,959", "$0.014", "30.0s"]
    d = doc("invocations", journal, "--bucket", "30s")
    assert d["total_invocations"] == 2 and d["total_cost"] == TOTAL_COST
    assert len(d["parallelism_over_time"]) == 3
    # With "high" ranked below "low", the retry is no escalation.
    assert doc("invocations", journal, "--tiers", "high,low")["escalation_count"] == 0


# ---- report and export -----------------------------------------------------------------------


def test_report_is_written_atomically(journal: pathlib.Path, tmp_path: pathlib.Path) -> None:
    page = tmp_path / "report.html"
    out = ok("report", journal, "--html", page, "--title", "Run <42>")
    assert out.startswith(f"wrote {page} (")
    html = page.read_text()
    assert "<html" in html.lower() and "Run &lt;42&gt;" in html
    d = doc("report", journal, "--html", page)
    assert d["path"] == str(page) and d["bytes"] == page.stat().st_size and d["records"] > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["metrics.jsonl", "report.html"]


def test_export_csv_to_stdout(journal: pathlib.Path) -> None:
    out = run("export", journal, "--format", "csv")
    assert out.returncode == 0
    rows = out.stdout.split("\n")
    assert rows[0].startswith("kind,timestamp,session")
    assert len([r for r in rows if r]) == 1 + len(RECORDS)
    assert any(r.startswith("model_call,") and ",gpt-4o," in r and r.rstrip("\r").endswith(",0.0045") for r in rows)


def test_export_json_to_a_file(journal: pathlib.Path, tmp_path: pathlib.Path) -> None:
    target = tmp_path / "rows.json"
    out = ok("export", journal, "--format", "json", "-o", target)
    assert out.startswith(f"wrote {target} (")
    rows = json.loads(target.read_text(), parse_float=Decimal)
    assert len(rows) == len(RECORDS)
    assert sum(r["cost_usd"] or 0 for r in rows if r["kind"] == "model_call") == TOTAL_COST
    d = doc("export", journal, "--format", "json", "-o", target)
    assert d == {"path": str(target), "bytes": target.stat().st_size, "records": len(RECORDS)}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["metrics.jsonl", "rows.json"]  # no temporary left


def test_export_to_an_unwritable_path_fails_and_leaves_nothing(journal: pathlib.Path, tmp_path: pathlib.Path) -> None:
    res = run("export", journal, "--format", "csv", "-o", tmp_path / "missing" / "rows.csv")
    assert res.returncode == 1 and "agentmetrics: error: cannot create" in res.stderr
    res = run("export", journal, "--format", "csv", "-o", journal / "rows.csv")  # parent is a file
    assert res.returncode == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["metrics.jsonl"]


def test_export_metric_formats(journal: pathlib.Path) -> None:
    prom = ok("export", journal, "--format", "prometheus", "--resource", "service.name=cli-test")
    assert "gen_ai_client_token_usage" in prom
    otlp = json.loads(ok("export", journal, "--format", "otlp-json", "--resource", "service.name=cli-test"))
    attrs = otlp["resourceMetrics"][0]["resource"]["attributes"]
    assert {"key": "service.name", "value": {"stringValue": "cli-test"}} in attrs
    env = {"OTEL_RESOURCE_ATTRIBUTES": "deployment.environment=ci"}
    otlp = json.loads(ok("export", journal, "--format", "otlp-json", env=env))
    assert any(a["key"] == "deployment.environment" for a in otlp["resourceMetrics"][0]["resource"]["attributes"])


class Receiver(JsonHandler):
    got: list[tuple[str, dict[str, str], bytes]] = []
    statuses: list[int] = []  # the answers to the next requests, then 200
    retry_after: str | None = None  # sent with a 503

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        # Field names are case-insensitive: urllib (python -m) sends "X-Api-Key", libcurl "x-api-key".
        Receiver.got.append((self.path, {name.lower(): value for name, value in self.headers.items()}, body))
        status = Receiver.statuses.pop(0) if Receiver.statuses else 200
        if status == 503 and Receiver.retry_after is not None:
            self.send_response(status)
            self.send_header("Retry-After", Receiver.retry_after)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.reply(status, {"partialSuccess": {}} if status == 200 else {"error": "no"})


@pytest.fixture
def receiver(local_only: None) -> Iterator[str]:
    Receiver.got = []
    Receiver.statuses = []
    Receiver.retry_after = None
    with serve(Receiver) as url:
        yield url


def test_push_to_an_otlp_receiver(journal: pathlib.Path, receiver: str) -> None:
    out = ok("export", journal, "--endpoint", receiver, "--header", "x-api-key=secret", "--timeout", "5s",
             env={"OTEL_EXPORTER_OTLP_HEADERS": "x-tenant=acme"})
    assert re.fullmatch(rf"pushed \d+ records to {re.escape(receiver)}\n", out)
    path, headers, body = Receiver.got[0]
    assert path == "/v1/metrics" and headers["x-api-key"] == "secret" and headers["x-tenant"] == "acme"
    assert "resourceMetrics" in json.loads(body)
    assert doc("export", journal, "--endpoint", receiver) == {"partialSuccess": {}}


def test_a_refused_push_fails(journal: pathlib.Path, receiver: str) -> None:
    Receiver.statuses = [500]
    res = run("export", journal, "--endpoint", receiver)
    assert res.returncode == 1 and "agentmetrics: error:" in res.stderr and "500" in res.stderr
    assert len(Receiver.got) == 1  # not a transient status: not retried


def test_a_push_stops_after_its_attempts(journal: pathlib.Path, receiver: str) -> None:
    Receiver.statuses = [503, 503]
    res = run("export", journal, "--endpoint", receiver, "--attempts", "2")
    assert res.returncode == 1 and "HTTP 503" in res.stderr and "(attempt 2 of 2)" in res.stderr
    assert len(Receiver.got) == 2
    assert run("export", journal, "--endpoint", receiver, "--attempts", "0").returncode == 2


def test_a_push_waits_what_retry_after_asks(journal: pathlib.Path, receiver: str) -> None:
    Receiver.statuses = [503]
    Receiver.retry_after = "2"
    start = time.monotonic()
    out = ok("export", journal, "--endpoint", receiver)
    assert re.fullmatch(rf"pushed \d+ records to {re.escape(receiver)}\n", out)
    assert len(Receiver.got) == 2 and Receiver.got[0][2] == Receiver.got[1][2]
    assert time.monotonic() - start >= 1.9  # the receiver's two seconds, not the 1 s backoff


def test_a_push_to_a_refused_port_is_retried(journal: pathlib.Path, local_only: None) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    res = run("export", journal, "--endpoint", url, "--attempts", "2")
    assert res.returncode == 1 and "(attempt 2 of 2)" in res.stderr, res.stderr
    assert f"hint: nothing was pushed to {url}" in res.stderr


# ---- python -m agentmetrics is the native program ---------------------------------------------


def _native_program() -> str | None:
    """The C library's agentmetrics program: AGM_NATIVE_CLI, else build/cli/agentmetrics of this
    checkout (./run test builds it)."""
    path = os.environ.get("AGM_NATIVE_CLI") or str(pathlib.Path(__file__).resolve().parents[2] / "build" / "cli"
                                                   / "agentmetrics")
    return path if os.access(path, os.X_OK) else None


@pytest.mark.skipif(bool(os.environ.get("AGM_CLI")), reason="compares `python -m agentmetrics` with the program")
def test_python_m_prints_byte_for_byte_what_the_native_program_prints(journal: pathlib.Path,
                                                                     tmp_path: pathlib.Path) -> None:
    native = _native_program()
    if native is None:
        pytest.skip("no native agentmetrics program (AGM_NATIVE_CLI, or build/cli/agentmetrics)")
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "OTEL_RESOURCE_ATTRIBUTES")}
    for args in (["--version"], ["--help"], ["export", "--help"], ["summary", journal], ["summary", journal, "--json"],
                 ["summary", journal, "--by", "tool"], ["tools", journal], ["session", journal, "s1"],
                 ["invocations", journal], ["tail", journal, "-n", "4"], ["export", journal, "--format", "csv"],
                 ["export", journal, "--format", "otlp-json"], ["prices", "lookup", "gpt-4o"],
                 ["summary", tmp_path / "missing.jsonl"], ["bogus"], ["summary", journal, "--period", "year"], []):
        mine = subprocess.run([*CLI, *map(str, args)], capture_output=True, env=env, timeout=60, check=False)
        program = subprocess.run([native, *map(str, args)], capture_output=True, env=env, timeout=60, check=False)
        assert (mine.returncode, mine.stdout, mine.stderr) == (program.returncode, program.stdout, program.stderr), args


# ---- prices ----------------------------------------------------------------------------------


def test_prices_lookup(tmp_path: pathlib.Path) -> None:
    out = ok("prices", "lookup", "gpt-4o")
    assert "Resolved    gpt-4o" in out
    assert "Input       $2.50 / 1M tokens" in out and "Output      $10.00 / 1M tokens" in out
    d = doc("prices", "lookup", "gpt-4o-2024-08-06")
    assert d["model"] == "gpt-4o-2024-08-06" and d["input_cost_per_token"] == "0.0000025"


def test_prices_lookup_of_an_unpriced_model_is_not_found() -> None:
    res = run("prices", "lookup", "no-such-model")
    assert res.returncode == 3
    assert "agentmetrics: error:" in res.stderr and "no-such-model" in res.stderr


def test_prices_show_and_a_price_file(tmp_path: pathlib.Path) -> None:
    out = ok("prices", "show", "gpt-4o-mini")
    row = next(line for line in out.splitlines() if line.startswith("gpt-4o-mini "))
    assert row.split()[1:4] == ["openai", "$0.15", "$0.60"]
    assert 'models matching "gpt-4o-mini" · USD per 1M tokens · bundled table:' in out
    entries = doc("prices", "gpt-4o-mini")
    assert entries and all("gpt-4o-mini" in e["model"] for e in entries)
    prices = tmp_path / "prices.json"
    prices.write_text(json.dumps({"my-model": {"litellm_provider": "custom", "input_cost_per_token": 1.5e-06,
                                               "output_cost_per_token": 2e-06}}))
    out = ok("prices", "lookup", "my-model", "--prices", prices)
    assert re.search(r"^Input +\$1\.50 / 1M tokens$", out, re.M) and re.search(r"^Output +\$2\.00 / 1M", out, re.M)


def test_prices_check(tmp_path: pathlib.Path) -> None:
    good = tmp_path / "good.json"
    good.write_text(json.dumps({
        "sample_spec": {"max_tokens": "set to max_output_tokens if provider specifies it"},
        "a-model": {"input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06},
        "b-model": {"input_cost_per_token": 3e-06},
    }))
    out = ok("prices", "check", good)
    assert out == f"{good}: OK · 2 priced models of 3 entries (1 skipped: not a model or no token rates)\n"
    assert doc("prices", "check", good) == {"path": str(good), "entries": 3, "priced": 2, "skipped": 1}
    broken = tmp_path / "broken.json"
    broken.write_text('{"a-model": {"input_cost_per_token": ')
    res = run("prices", "check", broken)
    assert res.returncode == 4 and "agentmetrics: error:" in res.stderr
    assert run("prices", "check", tmp_path / "missing.json").returncode == 3


# ---- tail ------------------------------------------------------------------------------------


def test_tail_prints_the_last_records(journal: pathlib.Path) -> None:
    out = ok("tail", journal, "-n", "3").splitlines()
    assert out[0].split() == ["TIME", "KIND", "NAME", "SESSION", "TOKENS", "COST", "DURATION"]
    assert [line.split()[1:3] for line in out[1:]] == [["model_call", "mystery-model"], ["invocation", "i1"],
                                                        ["invocation", "i2"]]
    assert out[1].split()[3:7] == ["s2", "150", "—", "800ms"] and out[1].endswith("error: rate_limit")
    rows = [json.loads(line) for line in ok("tail", journal, "-n", "2", "--json").splitlines()]
    assert [r["invocation_id"] for r in rows] == ["i1", "i2"]


def _read_line(proc: subprocess.Popen[bytes], buf: bytearray, deadline: float) -> bytes:
    """The next line of proc's stdout, polling until `deadline`."""
    assert proc.stdout is not None
    while b"\n" not in buf:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"no line before the deadline; got {bytes(buf)!r}")
        ready, _, _ = select.select([proc.stdout], [], [], left)
        if ready:
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                raise AssertionError(f"stdout closed; got {bytes(buf)!r}")
            buf += chunk
    line, _, rest = bytes(buf).partition(b"\n")
    buf[:] = rest
    return line


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_tail_follow_picks_up_appended_records(journal: pathlib.Path, stop: signal.Signals) -> None:
    proc = subprocess.Popen([*CLI, "tail", str(journal), "-f", "-n", "1", "--interval", "50ms", "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    buf = bytearray()
    try:
        deadline = time.monotonic() + 30
        assert json.loads(_read_line(proc, buf, deadline))["invocation_id"] == "i2"
        with journal.open("a") as f:
            f.write("a torn line\n")
            f.write(json.dumps({"v": 1, "kind": "tool_call", "ts": T0 + 90 * S, "session": "s3",
                                "tool": "fetch", "call_id": "c9", "outcome": "ok", "duration_ns": S}) + "\n")
        row = json.loads(_read_line(proc, buf, deadline))
        assert (row["kind"], row["tool"], row["session"]) == ("tool_call", "fetch", "s3")
    finally:
        proc.send_signal(stop)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert err.decode().count("agentmetrics: warning: skipped 1 malformed line\n") == 1, err


# ---- usage, errors, warnings, progress --------------------------------------------------------

HELP = {
    ("summary",): ["--by", "--limit", "--period", "--from", "--to", "--now", "--json", "--progress", "STORE"],
    ("sessions",): ["--limit", "--period", "--json"],
    ("session",): ["ID", "--period", "--json"],
    ("tools",): ["--name", "--limit"],
    ("slow",): ["--threshold", "--limit"],
    ("errors",): ["--limit", "--period"],
    ("invocations",): ["--bucket", "--tiers"],
    ("report",): ["--html", "--title", "--limit"],
    ("export",): ["--format", "--output", "--resource", "--endpoint", "--header", "--timeout"],
    ("prices",): ["--prices", "show", "lookup", "check"],
    ("prices", "show"): ["FILTER", "--prices"],
    ("prices", "lookup"): ["MODEL", "--provider", "--prices"],
    ("prices", "check"): ["FILE", "--json"],
    ("tail",): ["--follow", "--lines", "--interval", "--json"],
}


@pytest.mark.parametrize("command", sorted(HELP), ids=" ".join)
def test_help(command: tuple[str, ...]) -> None:
    out = ok(*command, "--help")
    assert out.startswith("") and f"agentmetrics {' '.join(command)}" in out
    for option in HELP[command]:
        assert option in out, option
    assert "Exit codes:" in out


def test_top_level_help_and_version() -> None:
    out = ok("--help")
    for command in ["summary", "sessions", "session", "tools", "slow", "errors", "invocations", "report",
                    "export", "prices", "tail", "Exit codes:"]:
        assert command in out
    assert ok("--version").startswith("agentmetrics ")


@pytest.mark.parametrize("args", [
    [],
    ["bogus"],
    ["summary"],
    ["summary", "{store}", "--period", "year"],
    ["summary", "{store}", "--by", "color"],
    ["summary", "{store}", "--period", "day", "--from", "2026-11-22"],
    ["summary", "{store}", "--from", "22/11/2026"],
    ["summary", "{store}", "--limit", "0"],
    ["slow", "{store}", "--threshold", "5"],
    ["export", "{store}"],
    ["export", "{store}", "--format", "xml"],
    ["export", "{store}", "--format", "csv", "--header", "a=b"],
    ["summary", "{store}", "--progress", "--no-progress"],
    ["tail", "{store}", "--interval", "0s"],
    ["tail", "{store}", "-n", "-1"],
], ids=lambda a: " ".join(a) or "(none)")
def test_bad_usage_exits_2(args: list[str], journal: pathlib.Path) -> None:
    res = run(*[str(journal) if a == "{store}" else a for a in args])
    assert res.returncode == 2, res
    assert res.stdout == ""
    assert res.stderr


@pytest.mark.parametrize("command", [["summary"], ["tail"], ["report", "--html", "x.html"],
                                     ["export", "--format", "csv"]], ids=lambda c: c[0])
def test_missing_store_exits_3(command: list[str], tmp_path: pathlib.Path) -> None:
    missing = tmp_path / "nothing.jsonl"
    res = run(command[0], missing, *command[1:])
    assert res.returncode == 3
    assert f"agentmetrics: error: no journal or database at {missing}" in res.stderr
    assert "hint:" in res.stderr


@pytest.mark.parametrize("command", ["summary", "tail"])
def test_corrupt_database_exits_4(command: str, tmp_path: pathlib.Path) -> None:
    db = tmp_path / "broken.db"
    db.write_bytes(b"SQLite format 3\0" + b"garbage" * 600)
    res = run(command, db)
    assert res.returncode == 4 and "agentmetrics: error:" in res.stderr


def test_malformed_lines_are_a_warning(tmp_path: pathlib.Path) -> None:
    path = write_journal(tmp_path / "bad.jsonl", RECORDS)
    with path.open("a") as f:
        f.write('{"v":1,"kind":"model_call","ts":oops\n')
        f.write("garbage\n")
    res = run("summary", path, "--json")
    assert res.returncode == 0
    assert json.loads(res.stdout, parse_float=Decimal)["cost"]["total"] == TOTAL_COST
    assert res.stderr.startswith(f"agentmetrics: warning: skipped 2 malformed lines (first: {path}:11: ")
    assert res.stderr.count("\n") == 1


def test_progress_bar(journal: pathlib.Path) -> None:
    res = subprocess.run([*CLI, "summary", str(journal), "--progress"], capture_output=True, check=False)
    assert res.returncode == 0
    # Drawn in place with \r, reaching 100 %, then erased.
    bar = res.stderr.decode()
    assert bar.startswith("\r[") and "] 100%" in bar and bar.endswith("\r") and "\n" not in bar
    assert run("summary", journal).stderr == ""  # stderr is not a terminal


# ---- a database store ----------------------------------------------------------------------

# Writes a database with one session and two gpt-4o calls of 1,000 input and 200 output tokens,
# through the Python package when it is installed, else through the C library with ctypes. It
# runs in a child process: a library built with ASan cannot be loaded into this one.
_MAKE_DATABASE = r"""
import ctypes, sys
path, library = sys.argv[1], sys.argv[2]
S = 10**9
try:
    import agentmetrics as am
except ImportError:
    am = None
if am is not None:
    with am.Recorder() as rec:
        rec.open_store(database=path)
        with rec.session("db-1") as s:
            for _ in range(2):
                s.record_model_call(model="gpt-4o", provider="openai",
                                    usage={"input_tokens": 1000, "output_tokens": 200}, duration_ns=2 * S)
        rec.flush()
    sys.exit(0)
if not library:
    sys.exit("neither the agentmetrics package nor libagentmetrics (AGM_LIBRARY) is available")

class StoreOptions(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_uint32), ("flush_policy", ctypes.c_uint32),
                ("journal", ctypes.c_char_p), ("journal_dir", ctypes.c_char_p), ("database", ctypes.c_char_p),
                ("flush_interval_ns", ctypes.c_int64)]

class Usage(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_uint32), ("reserved0", ctypes.c_uint32), ("present", ctypes.c_uint64)] + [
        (name, ctypes.c_int64)
        for name in ("input", "cache_read", "cache_write", "cache_write_1h", "output", "reasoning", "total")]

class ModelCall(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_uint32), ("outcome", ctypes.c_int32), ("present", ctypes.c_uint64),
                ("usage", ctypes.POINTER(Usage))] + [
        (name, ctypes.c_char_p) for name in ("model", "provider", "source", "stop_reason", "error_type")] + [
        (name, ctypes.c_int64) for name in ("start_ns", "end_ns", "duration_ns", "ttft_ns", "attempt")]

lib = ctypes.CDLL(library)
rec, session = ctypes.c_void_p(), ctypes.c_void_p()
assert lib.agm_recorder_new(ctypes.byref(rec), None) == 0
opts = StoreOptions(ctypes.sizeof(StoreOptions), 0, None, None, path.encode(), 0)
assert lib.agm_recorder_open_store(rec, ctypes.byref(opts)) == 0
assert lib.agm_session_new(ctypes.byref(session), rec, None) == 0
usage = Usage(ctypes.sizeof(Usage), 0, 1 | 16, 1000, 0, 0, 0, 200, 0, 0)  # AGM_USAGE_HAS_INPUT | _OUTPUT
call = ModelCall(ctypes.sizeof(ModelCall), 0, 1 << 2, ctypes.pointer(usage), b"gpt-4o", b"openai",  # HAS_DURATION
                 None, None, None, 0, 0, 2 * S, 0, 0)
for _ in range(2):
    assert lib.agm_session_record_model_call(session, ctypes.byref(call)) == 0
lib.agm_session_free(session)
assert lib.agm_recorder_close_store(rec) == 0
lib.agm_recorder_free(rec)
"""


def _library() -> str:
    """libagentmetrics at AGM_LIBRARY, or in the build folder of AGM_CLI; "" if neither."""
    if os.environ.get("AGM_LIBRARY"):
        return os.environ["AGM_LIBRARY"]
    if os.environ.get("AGM_CLI"):
        build = pathlib.Path(shlex.split(os.environ["AGM_CLI"])[0]).resolve().parent.parent
        candidate = build / "core" / "libagentmetrics.so"
        if candidate.exists():
            return str(candidate)
    return ""


@pytest.fixture
def database(tmp_path: pathlib.Path) -> pathlib.Path:
    path = tmp_path / "metrics.db"
    res = subprocess.run([sys.executable, "-c", _MAKE_DATABASE, str(path), _library()], capture_output=True,
                         text=True, timeout=60, check=False)
    if res.returncode != 0:
        pytest.skip(f"cannot write a database here: {res.stderr.strip()[-300:]}")
    return path


def test_database_store(database: pathlib.Path) -> None:
    d = doc("summary", database)
    assert d["model_calls"] == 2 and d["cost"]["total"] == Decimal("0.009")  # 2 x (1000 x 2.5e-6 + 200 x 1e-5)
    assert "Cost           $0.0090" in ok("summary", database)
    res = run("summary", database, "--progress")
    assert "rows" in res.stderr and "100%" in res.stderr
    out = ok("tail", database).splitlines()
    assert [line.split()[1] for line in out[1:]] == ["session", "model_call", "model_call"]


def test_every_command_reports_the_same_malformed_lines(database: pathlib.Path, tmp_path: pathlib.Path) -> None:
    """A database row that cannot be loaded is a malformed line, like a journal's, and every
    command that reads the whole store reports the same number, whatever its period or kinds."""
    import sqlite3

    con = sqlite3.connect(database)
    con.execute("INSERT INTO records (kind, ts) VALUES ('mystery', 1)")
    con.execute("INSERT INTO records (kind, ts, cost_total) VALUES ('model_call', 2, 'twelve dollars')")
    con.execute("INSERT INTO records (kind, ts, turn, session) VALUES ('turn', 3, 'third', 'db-1')")
    con.execute("INSERT INTO records (kind, ts, tool) VALUES ('tool_call', 'yesterday', 'grep')")
    # TEXT takes any bytes; invalid UTF-8 once made every document of the store unparseable.
    con.execute("INSERT INTO records (kind, ts, model) VALUES ('model_call', 5, CAST(? AS TEXT))", (b"gpt\x80\xff",))
    con.commit()
    con.close()
    journal = write_journal(tmp_path / "bad.jsonl", RECORDS)
    with journal.open("ab") as f:
        f.write(b'garbage\n{"v":99,"kind":"turn","ts":1}\n{"v":1,"kind":"turn","ts":"third"}\n'
                b'{"v":1,"kind":"model_call","ts":5,"model":"gpt\x80\xff"}\n{"v":1,"ki\n')

    for store, session in ((database, "db-1"), (journal, "s1")):
        commands = [["summary"], ["summary", "--period", "hour"], ["sessions"], ["session", session],
                    ["tools"], ["slow"], ["errors"], ["invocations"],
                    ["report", "--html", tmp_path / "report.html"], ["tail"]]
        commands += [["export", "--format", f, "-o", tmp_path / f"out.{f}"]
                     for f in ("otlp-json", "prometheus", "csv", "json")]
        counts = {}
        for command in commands:
            res = run(command[0], store, *command[1:])
            assert res.returncode == 0, (command, res.stderr)
            counts[" ".join(map(str, command))] = re.findall(r"skipped (\d+) malformed lines?", res.stderr)
        assert all(found == ["5"] for found in counts.values()), (store, counts)
    res = run("summary", database)
    assert f"skipped 5 malformed lines (first: {database}:4: unknown record kind" in res.stderr, res.stderr


def test_every_command_reports_the_records_a_writer_dropped(database: pathlib.Path, tmp_path: pathlib.Path) -> None:
    """A store remembers the records its writer dropped (queue full) in "dropped" markers, and
    every command that reads the store warns with the same count and time range, whatever its
    period; a marker is not a record and not a malformed line."""
    import sqlite3

    markers = [(T0 + 1 * S, 3, T0 + 2 * S), (T0 + 5 * S, 40, T0 + 6 * S)]
    con = sqlite3.connect(database)
    for ts, records, last in markers:  # as the writer stores them (README "SQLite store")
        con.execute("INSERT INTO records (kind, ts, model_calls, duration_ns) VALUES ('dropped', ?, ?, ?)",
                    (ts, records, last - ts))
    con.commit()
    con.close()
    journal = write_journal(tmp_path / "dropped.jsonl", RECORDS + [
        {"v": 1, "kind": "dropped", "ts": ts, "records": records, "last_ts": last} for ts, records, last in markers])
    expected = ("agentmetrics: warning: 43 records were dropped by a writer (queue full) between "
                "2026-11-22T10:00:01Z and 2026-11-22T10:00:06Z\n")
    for store in (database, journal):
        commands = [["summary"], ["summary", "--period", "hour"], ["summary", "--by", "tool"], ["sessions"],
                    ["tools"], ["errors"], ["slow"], ["report", "--html", tmp_path / "report.html"]]
        commands += [["export", "--format", f, "-o", tmp_path / f"out.{f}"]
                     for f in ("otlp-json", "prometheus", "csv", "json")]
        for command in commands:
            res = run(command[0], store, *command[1:])
            assert res.returncode == 0, (store, command, res.stderr)
            assert res.stderr == expected, (store, command, res.stderr)
        d = doc("summary", store)
        assert d["dropped_records"] == 43, d
        assert d["dropped_from"] == "2026-11-22T10:00:01.000Z" and d["dropped_to"] == "2026-11-22T10:00:06.000Z", d
        assert "dropped" not in ok("tail", store)  # a marker is not a record
    assert doc("summary", journal)["model_calls"] == doc("summary", write_journal(tmp_path / "plain.jsonl",
                                                                                  RECORDS))["model_calls"]


def _on_a_terminal(*args: str | os.PathLike[str], env: dict[str, str] | None = None) -> str:
    """stdout of the command when it is a terminal (a pseudo-terminal read back here)."""
    import pty

    master, slave = pty.openpty()
    full_env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    full_env.update(env or {})
    try:
        proc = subprocess.run([*CLI, *map(str, args)], stdout=slave, stderr=subprocess.PIPE, env=full_env,
                              timeout=60, check=False)
        assert proc.returncode == 0, proc.stderr
        out = b""
        while select.select([master], [], [], 0.5)[0]:
            chunk = os.read(master, 65536)
            if not chunk:
                break
            out += chunk
        return out.decode()
    finally:
        os.close(slave)
        os.close(master)


def test_bold_headers_only_on_a_terminal_with_colour(journal: pathlib.Path) -> None:
    assert "\x1b[1mTOOL" in _on_a_terminal("tools", journal)
    assert "\x1b[" not in _on_a_terminal("tools", journal, "--no-color")
    assert "\x1b[" not in _on_a_terminal("tools", journal, env={"NO_COLOR": "1"})


# ---- hostile strings -------------------------------------------------------------------------

# Stored strings come from anywhere (a tool's exception text from a fetched web page). The
# human-readable outputs escape C0 and C1 controls (agm_format_terminal_text) and cut columns by
# terminal cell, never inside a character or an escape; --json stays exact.
WIDE = "漢" * 40  # 80 cells
HOSTILE: list[dict[str, Any]] = [
    {"v": 1, "kind": "session", "ts": T0, "session": "s\x1b]0;pwned\x07", "agent": "evil\r\x1b[K"},
    {"v": 1, "kind": "tool_call", "ts": T0 + S, "session": "s1", "agent": "a", "tool": "web\x1b[2J",
     "call_id": "c1", "outcome": "error", "error_type": "boom\u009b31m",
     "error": "\r\x1b[Kforged line\nsecond", "duration_ns": 5},
    {"v": 1, "kind": "tool_call", "ts": T0 + 2 * S, "session": "s1", "agent": "a", "tool": "wide",
     "call_id": "c2", "outcome": "error", "error": WIDE, "duration_ns": 5},
    {"v": 1, "kind": "tool_call", "ts": T0 + 3 * S, "session": "s1", "agent": "a", "tool": "cut",
     "call_id": "c3", "outcome": "error", "error": "a" * 57 + "\x1b[K", "duration_ns": 5},
    {"v": 1, "kind": "model_call", "ts": T0 + 4 * S, "session": "s1", "agent": "a", "model": "gpt\x1b[31m",
     "provider": "p", "outcome": "error", "error_type": "x", "error": "e\u202eabc\x7f",
     "usage": {"input": 1, "output": 1}},
]
CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


@pytest.fixture
def hostile(tmp_path: pathlib.Path) -> pathlib.Path:
    return write_journal(tmp_path / "hostile.jsonl", HOSTILE)


def test_errors_escape_hostile_strings(hostile: pathlib.Path) -> None:
    out = ok("errors", hostile)
    assert not CONTROL.search(out), out
    assert lines_with(out, "Recent errors")  # the table follows
    rows = out.split("Recent errors\n")[1].split("\n\n")[0].splitlines()
    assert rows == [
        "TIME                      TYPE        NAME         ERROR          SESSION  MESSAGE",
        "2026-11-22T10:00:04.000Z  model_call  gpt\\x1b[31m  x              s1       e\\u202eabc\\x7f",
        "2026-11-22T10:00:03.000Z  tool_call   cut          —              s1       " + "a" * 57 + "…",
        "2026-11-22T10:00:02.000Z  tool_call   wide         —              s1       " + "漢" * 29 + "…",
        "2026-11-22T10:00:01.000Z  tool_call   web\\x1b[2J   boom\\u009b31m  s1       \\r\\x1b[Kforged line\\nsecond",
    ]
    assert "web\\x1b[2J       1" in out  # errors by tool, aligned on the escaped width
    # The JSON keeps the strings exactly.
    d = doc("errors", hostile)
    assert {e["message"] for e in d["recent_errors"]} == {
        "e\u202eabc\x7f", "a" * 57 + "\x1b[K", WIDE, "\r\x1b[Kforged line\nsecond"}


def test_tools_escape_hostile_strings(hostile: pathlib.Path) -> None:
    out = ok("tools", hostile)
    assert not CONTROL.search(out), out
    assert out.splitlines()[1:] == [
        "cut             1       1       0%  0ms  0ms  0ms  0ms  0ms  " + "a" * 57 + "…",
        "web\\x1b[2J      1       1       0%  0ms  0ms  0ms  0ms  0ms  \\r\\x1b[Kforged line\\nsecond",
        "wide            1       1       0%  0ms  0ms  0ms  0ms  0ms  " + "漢" * 29 + "…",
    ]
    assert ok("tools", hostile, "--name", "a\x1b[2J\u009bb") == "no calls of tool a\\x1b[2J\\u009bb in this period\n"


def test_tail_escapes_hostile_strings(hostile: pathlib.Path) -> None:
    out = ok("tail", hostile)
    assert not CONTROL.search(out), out
    lines = out.splitlines()
    assert lines[1] == ("2026-11-22T10:00:00.000Z  session     evil\\r\\x1b[K                  "
                        "s\\x1b]0;pwned\\x07           —         —         —")
    assert lines[2].endswith("0ms  error: boom\\u009b31m: \\r\\x1b[Kforged line\\nsecond")
    assert lines[3].endswith("0ms  error: " + "漢" * 29 + "…")
    rows = [json.loads(line) for line in ok("tail", hostile, "--json").splitlines()]
    assert rows[0]["session"] == "s\x1b]0;pwned\x07" and rows[1]["error_message"] == "\r\x1b[Kforged line\nsecond"


def test_summary_by_escapes_hostile_strings(hostile: pathlib.Path) -> None:
    for by, key in (("tool", "web\\x1b[2J"), ("model", "gpt\\x1b[31m")):
        out = ok("summary", hostile, "--by", by)
        assert not CONTROL.search(out), (by, out)
        assert lines_with(out, key), (by, out)
    table = ok("summary", hostile, "--by", "tool").split("\n\n")[1].splitlines()
    assert table[0].startswith("TOOL        TOOL CALLS")  # the escaped name sets the width
    out = ok("summary", hostile)
    assert not CONTROL.search(out), out
    assert "gpt\\x1b[31m" in out and "web\\x1b[2J" in out


def test_messages_escape_arguments(tmp_path: pathlib.Path) -> None:
    res = run("summary", tmp_path / "no\x1b[2Jstore.jsonl")
    assert res.returncode == 3 and "no\\x1b[2Jstore.jsonl" in res.stderr and "\x1b" not in res.stderr


def test_more_names_than_the_cap_fold_into_other(tmp_path: pathlib.Path) -> None:
    many = write_journal(tmp_path / "many.jsonl", [
        {"v": 1, "kind": "model_call", "ts": T0, "model": f"m{i}", "usage": {"input": 1, "output": 1}}
        for i in range(10_003)])  # AGM_MAX_GROUP_KEYS + 3
    res = run("summary", many, "--by", "model")
    assert res.returncode == 0, res.stderr
    assert "agentmetrics: warning: 3 records grouped under (other): more than 10,000 distinct names" in res.stderr
    assert lines_with(res.stdout, "(other)")[0].split()[:2] == ["(other)", "3"]
    d = doc("summary", many, "--by", "model")
    assert d["folded_records"] == 3 and len(d["groups"]) == 10_001


# ---- rules the core owns (defaults, open range ends, files written whole) ---------------------

def test_defaults_and_open_range_ends_come_from_the_core(journal: pathlib.Path, tmp_path: pathlib.Path) -> None:
    assert doc("slow", journal, "--json")["threshold_ms"] == 5000  # no --threshold: the core's default
    assert doc("slow", journal, "--threshold", "5s", "--json") == doc("slow", journal, "--json")
    assert doc("invocations", journal, "--json") == doc("invocations", journal, "--bucket", "1m", "--json")
    # --from alone and --to alone leave the other end open (no sentinel instants).
    since = json.loads(ok("export", journal, "--format", "json", "--from", "2026-11-22T10:00:12Z"))
    until = json.loads(ok("export", journal, "--format", "json", "--to", "2026-11-22T10:00:12Z"))
    everything = json.loads(ok("export", journal, "--format", "json"))
    assert len(since) + len(until) == len(everything) and since and until
    assert all(r["timestamp"] >= "2026-11-22T10:00:12" for r in since)
    # A report over a folder that is in the way: the core names the path, nothing is left.
    taken = tmp_path / "taken.html"
    taken.mkdir()
    res = run("report", journal, "--html", taken)
    assert res.returncode == 1 and f"cannot write {taken}" in res.stderr, res.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["metrics.jsonl", "taken.html"]
