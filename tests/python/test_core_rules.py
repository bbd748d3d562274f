"""Rules the core owns, so that the Python binding only translates: exports and reports written
to a file by the core (whole or not at all), defaults left to the core (None passes 0, no literal
copy in the signatures), and open range ends passed as absent, not as 0 / 2**63-1 sentinels."""

from __future__ import annotations

import inspect
import json
import pathlib
from typing import Any

import pytest

import agentmetrics as am

T0 = 1763800000000000000
S = 1_000_000_000


def _store(tmp_path: pathlib.Path, durations: list[int]) -> am.History:
    path = tmp_path / "m.jsonl"
    with path.open("w") as f:
        for i, d in enumerate(durations):
            f.write(json.dumps({"v": 1, "kind": "tool_call", "ts": T0 + i * S, "session": "s1", "tool": f"t{i}",
                                "call_id": f"c{i}", "outcome": "ok", "duration_ns": d * S}) + "\n")
    return am.History(path)


def test_export_and_report_to_a_path_are_written_by_the_core(tmp_path: pathlib.Path) -> None:
    h = _store(tmp_path, [1, 6])
    target = tmp_path / "rows.csv"
    assert h.export("csv", target) is None
    assert target.read_bytes().decode() == h.export("csv")
    page = tmp_path / "r.html"
    html = h.report_html(page, title="rules", now_ns=T0)
    assert page.read_bytes().decode() == html == h.report_html(title="rules", now_ns=T0)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.jsonl", "r.html", "rows.csv"]  # no temporary
    missing = tmp_path / "missing" / "x"
    for call in (lambda: h.export("json", missing), lambda: h.report_html(missing)):
        with pytest.raises(am.StoreError, match=str(missing)):
            call()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.jsonl", "r.html", "rows.csv"]
    h.close()


def test_defaults_are_the_cores(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    h = _store(tmp_path, [1, 4, 5, 6])
    slow = h.slow()
    assert slow["threshold_ms"] == 5000 and len(slow["operations"]) == 2
    assert h.slow(5 * S) == slow
    assert h.invocations() == h.invocations(bucket_ns=60 * S)
    # No copy of a default in the signatures: None (or 0) means "the core's".
    assert inspect.signature(am.History.slow).parameters["threshold_ns"].default is None
    assert inspect.signature(am.History.push_otlp).parameters["timeout"].default is None
    assert inspect.signature(am.History.invocations).parameters["bucket_ns"].default == 0

    from agentmetrics import _http, _native

    seen: list[int] = []

    def send(url: str, headers: Any, body: bytes, timeout_ms: int) -> _http.Response:
        seen.append(timeout_ms)
        return _http.Response(int(_native.HttpOutcome.RESPONDED), 200, None, b"{}")

    monkeypatch.setattr(_http, "send", send)
    assert h.push_otlp("http://127.0.0.1:9") == {}
    h.push_otlp("http://127.0.0.1:9", timeout=1.5)
    assert seen == [10_000, 1_500]  # 0 reached the core, which asked for its 10 s
    h.close()


def test_an_open_range_end_is_absent_not_a_sentinel(tmp_path: pathlib.Path) -> None:
    h = _store(tmp_path, [1, 1, 1, 1, 1])

    def rows(**kw: Any) -> int:
        return len(json.loads(h.export("json", **kw)))

    assert rows(since=T0 + 2 * S) == 3
    assert rows(until=T0 + 2 * S) == 2
    assert rows(since=T0 + S, until=T0 + 3 * S) == 2
    assert rows(since=-(2**63)) == 5  # any instant is a value, none is reserved
    assert h.summary(since=T0 + 3 * S)["tool_calls"] == 2
    with pytest.raises(am.InvalidArgumentError):
        h.summary(since=T0 + 3 * S, until=T0)
    h.close()
