"""Exports through the Python API, validated by the consumers' own parsers: OTLP/JSON parsed into
the ExportMetricsServiceRequest protobuf (opentelemetry-proto), Prometheus text by
prometheus_client's parser, CSV by the csv module. Also the OTLP/HTTP push to a local receiver,
following a store, and the report's escaping."""

from __future__ import annotations

import csv
import io
import json
import pathlib
from decimal import Decimal
from http.server import BaseHTTPRequestHandler
from typing import Any, Iterator

import pytest
from google.protobuf import json_format
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.metrics.v1.metrics_pb2 import AggregationTemporality
from prometheus_client.parser import text_string_to_metric_families

import agentmetrics as am
from conftest import FakeClock, JsonHandler, serve

SCRIPT = "<script>window.__pwned=1</script>"
IMG = '"><img src=x onerror="window.__pwned=1">'
TRICKY = 'back\\slash "quoted"\nnew line'


@pytest.fixture(params=["journal", "database"])
def store(request: pytest.FixtureRequest, tmp_path: pathlib.Path, clock: FakeClock) -> Iterator[am.History]:
    """A store written by a scripted agent: priced and unpriced calls, a failing call without
    usage, tools (one failing), a turn and an invocation; hostile names throughout."""
    path = tmp_path / ("m.jsonl" if request.param == "journal" else "m.db")
    with am.Recorder(clock=clock, wall_clock=clock.wall_clock) as rec:
        rec.open_store(**{request.param: path})
        with rec.session("s1", agent=SCRIPT) as s, s.turn():
            s.record_model_call(model="gpt-4o", provider="openai", duration_ns=1_500_000_000,
                                usage={"input_tokens": 1000, "cache_read_tokens": 200, "output_tokens": 300})
            s.record_model_call(model=IMG, provider="openai", duration_ns=30_000_000,
                                error="=cmd|' /C calc'!A0")
            s.record_tool_call(TRICKY, duration_ns=250_000_000, error="timeout", error_message=TRICKY)
            s.record_tool_call("+sum(A1:A9)", duration_ns=5, error="-1", error_message="@evil")
            clock.advance(2_000_000_000)
        rec.record_invocation({"invocation_id": "i1", "agent": "builder", "phase": 2, "task_id": "t1",
                               "model": "gpt-4o", "tier": "high", "duration_ms": 5000, "tokens": 900,
                               "cost": 0.01, "exit_code": 0, "success": True, "attempt": 1,
                               "output_parsed": True, "timestamp": "2026-11-22T10:00:00Z"})
        rec.flush()
    with am.History(path) as h:
        yield h


def otlp(text: str) -> ExportMetricsServiceRequest:
    """OTLP/JSON into the protobuf message; unknown or mistyped fields fail the parse."""
    return json_format.Parse(text, ExportMetricsServiceRequest(), ignore_unknown_fields=False)


def attributes(point: Any) -> dict[str, str]:
    return {kv.key: kv.value.string_value for kv in point.attributes}


def test_otlp_json_parses_into_export_metrics_service_request(store: am.History) -> None:
    request = otlp(store.export("otlp-json", resource={"service.name": "my agent", "team": "a,b=c"}))
    [resource_metrics] = request.resource_metrics
    resource = {kv.key: kv.value.string_value for kv in resource_metrics.resource.attributes}
    assert resource["service.name"] == "my agent" and resource["team"] == "a,b=c"
    assert resource["telemetry.sdk.name"] == "agentmetrics"
    [scope] = resource_metrics.scope_metrics
    assert scope.scope.name == "agentmetrics" and scope.scope.version == am.__version__
    metrics = {m.name: m for m in scope.metrics}
    assert {"gen_ai.client.token.usage", "gen_ai.client.operation.duration", "gen_ai.execute_tool.duration",
            "gen_ai.invoke_agent.duration", "agentmetrics.tokens", "agentmetrics.cost",
            "agentmetrics.model.calls", "agentmetrics.tool.calls", "agentmetrics.invocations"} <= set(metrics)

    usage = metrics["gen_ai.client.token.usage"]
    assert usage.unit == "{token}" and usage.WhichOneof("data") == "histogram"
    assert usage.histogram.aggregation_temporality == AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE
    by_type = {attributes(p)["gen_ai.token.type"]: p for p in usage.histogram.data_points}
    assert set(by_type) == {"input", "output"}  # the failed call reported no usage: no point
    # input is every input token (fresh + cache read), as the conventions count billable input
    assert by_type["input"].count == 1 and by_type["input"].sum == 1200
    assert by_type["output"].sum == 300 and by_type["output"].min == 300 == by_type["output"].max
    attrs = attributes(by_type["input"])
    assert attrs["gen_ai.operation.name"] == "chat" and attrs["gen_ai.provider.name"] == "openai"
    assert attrs["gen_ai.request.model"] == "gpt-4o" and attrs["gen_ai.agent.name"] == SCRIPT
    for p in usage.histogram.data_points:
        assert list(p.explicit_bounds) == [4.0**i for i in range(14)]
        assert sum(p.bucket_counts) == p.count and len(p.bucket_counts) == 15
        assert 0 < p.start_time_unix_nano <= p.time_unix_nano

    duration = metrics["gen_ai.client.operation.duration"]
    assert duration.unit == "s"
    points = {attributes(p)["gen_ai.request.model"]: p for p in duration.histogram.data_points}
    assert points["gpt-4o"].sum == 1.5 and "error.type" not in attributes(points["gpt-4o"])
    assert attributes(points[IMG])["error.type"] == "=cmd|' /C calc'!A0"
    assert list(points["gpt-4o"].explicit_bounds)[:3] == [0.01, 0.02, 0.04]

    tools = {attributes(p)["gen_ai.tool.name"]: p for p in metrics["gen_ai.execute_tool.duration"].histogram.data_points}
    assert tools[TRICKY].sum == 0.25 and attributes(tools["+sum(A1:A9)"])["error.type"] == "-1"
    assert attributes(tools[TRICKY])["error.type"] == "timeout"

    kinds = {attributes(p)["agentmetrics.token.kind"]: p.as_int for p in metrics["agentmetrics.tokens"].sum.data_points}
    assert kinds == {"input": 1000, "cache_read": 200, "output": 300}
    assert metrics["agentmetrics.tokens"].sum.is_monotonic
    cost = {attributes(p)["agentmetrics.cost.item"]: Decimal(repr(p.as_double))
            for p in metrics["agentmetrics.cost"].sum.data_points}
    # gpt-4o: 1000 * 2.5e-6 + 200 * 1.25e-6 + 300 * 1e-5
    assert cost["input"] == Decimal("0.0025") and cost["cache_read"] == Decimal("0.00025")
    assert cost["output"] == Decimal("0.003")
    calls = {(a["gen_ai.request.model"], a["agentmetrics.outcome"], a["agentmetrics.usage_missing"]): p.as_int
             for p in metrics["agentmetrics.model.calls"].sum.data_points for a in [attributes(p)]}
    assert calls == {("gpt-4o", "ok", "false"): 1, (IMG, "error", "true"): 1}
    agents = {attributes(p)["agentmetrics.record.kind"]: p for p in metrics["gen_ai.invoke_agent.duration"].histogram.data_points}
    assert agents["turn"].sum == 2.0 and agents["invocation"].sum == 5.0


def test_otlp_json_of_an_empty_range_is_a_valid_empty_request(store: am.History) -> None:
    request = otlp(store.export("otlp-json", since=0, until=1))
    assert len(request.resource_metrics[0].scope_metrics[0].metrics) == 0


def test_prometheus_text_parses_with_prometheus_client(store: am.History) -> None:
    text = store.export("prometheus")
    families = {f.name: f for f in text_string_to_metric_families(text)}
    assert families["gen_ai_client_token_usage"].type == "histogram"
    assert families["agentmetrics_tokens"].type == "counter"
    assert families["target_info"].samples[0].labels == {"service_name": "agentmetrics"}

    # Label values survive escaping exactly: backslash, quote and line feed.
    tool_samples = families["gen_ai_execute_tool_duration_seconds"].samples
    names = {s.labels.get("gen_ai_tool_name") for s in tool_samples}
    assert names == {TRICKY, "+sum(A1:A9)"}
    agents = {s.labels.get("gen_ai_agent_name") for s in families["agentmetrics_tokens"].samples}
    assert agents == {SCRIPT}

    # Histograms: cumulative buckets ending in +Inf == _count, and _sum in seconds.
    durations = [s for s in families["gen_ai_client_operation_duration_seconds"].samples
                 if s.labels.get("gen_ai_request_model") == "gpt-4o"]
    buckets = [s for s in durations if s.name.endswith("_bucket")]
    assert [b.value for b in buckets] == sorted(b.value for b in buckets)
    assert buckets[-1].labels["le"] == "+Inf" and buckets[-1].value == 1
    assert next(s.value for s in durations if s.name.endswith("_sum")) == 1.5
    assert next(s.value for s in buckets if s.labels["le"] == "1.28") == 0
    assert next(s.value for s in buckets if s.labels["le"] == "2.56") == 1

    tokens = {s.labels["agentmetrics_token_kind"]: s.value for s in families["agentmetrics_tokens"].samples}
    assert tokens == {"input": 1000, "cache_read": 200, "output": 300}
    cost = sum(Decimal(repr(s.value)) for s in families["agentmetrics_cost_usd"].samples)
    assert cost == Decimal("0.00575")


def test_csv_neutralises_formulas_and_round_trips_text(store: am.History) -> None:
    text = store.export("csv")
    assert text.startswith("kind,timestamp,session,agent,") and "\r\n" in text
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [r["kind"] for r in rows].count("model_call") == 2
    failing = next(r for r in rows if r["model"] == IMG)
    # Cells a spreadsheet would run as a formula start with a quote mark instead.
    assert failing["error_type"] == "'=cmd|' /C calc'!A0"
    tool = next(r for r in rows if r["tool"] == "'+sum(A1:A9)")
    assert tool["error_type"] == "'-1" and tool["error_message"] == "'@evil"
    # Commas, quotes, backslashes and line breaks come back unchanged.
    tricky = next(r for r in rows if r["tool"] == TRICKY)
    assert tricky["duration_ms"] == "250" and tricky["error_message"] == TRICKY
    priced = next(r for r in rows if r["model"] == "gpt-4o")
    assert priced["cost_usd"] == "0.00575" and priced["cache_write_tokens"] == ""
    # No cell anywhere starts with a formula character.
    for row in rows:
        for value in row.values():
            assert not value or value[0] not in "=+-@\t\r", value


def test_json_rows_and_streaming_to_files(store: am.History, tmp_path: pathlib.Path) -> None:
    rows = json.loads(store.export("json"), parse_float=Decimal)
    kinds = [r["kind"] for r in rows]
    assert kinds.count("model_call") == 2 and "invocation" in kinds and "session" in kinds
    priced = next(r for r in rows if r["model"] == "gpt-4o")
    assert priced["cost_usd"] == Decimal("0.00575") and priced["input_tokens"] == 1000
    assert priced["cache_write_tokens"] is None  # not reported: null, never 0
    assert next(r for r in rows if r["model"] == IMG)["cost_usd"] is None

    target = tmp_path / "out.csv"
    store.export("csv", target)
    assert target.read_bytes().decode() == store.export("csv")
    binary = io.BytesIO()
    store.export("prometheus", binary)
    assert binary.getvalue().decode() == store.export("prometheus")

    # A failed export leaves no file behind, and the error says why.
    def broken(_: bytes) -> None:
        raise OSError("disk full")
    with pytest.raises(OSError, match="disk full"):
        store._export(int(am.ExportFormat.JSON), broken)
    with pytest.raises(OSError):
        store.export("json", tmp_path / "missing-dir" / "x.json")
    assert not list((tmp_path).glob("**/*.tmp"))
    with pytest.raises(ValueError, match="unknown export format"):
        store.export("xml")
    with pytest.raises(am.InvalidArgumentError, match="not key=value"):
        store.export("otlp-json", resource="service.name")


def test_progress_reaches_the_total(store: am.History) -> None:
    seen: list[tuple[int, int]] = []
    store.progress = lambda done, total: seen.append((done, total))
    store.export("json")
    assert seen and seen[-1][0] == seen[-1][1] > 0
    store.progress = None
    with pytest.raises(TypeError):
        store.progress = 42  # type: ignore[assignment]


class OtlpReceiver(JsonHandler):
    """An OTLP/HTTP receiver: parses each request into the protobuf message, as a collector would."""

    received: list[tuple[str, dict[str, str], ExportMetricsServiceRequest]] = []
    statuses: list[int] = []  # the answers to the next requests, then 200

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        # Field names are case-insensitive (urllib sends "Authorization", libcurl "authorization").
        headers = {name.lower(): value for name, value in self.headers.items()}
        OtlpReceiver.received.append((self.path, headers, otlp(body.decode())))
        status = OtlpReceiver.statuses.pop(0) if OtlpReceiver.statuses else 200
        if status != 200:
            self.reply(status, {"code": 14, "message": "try later"})
            return
        reply = ExportMetricsServiceResponse()
        reply.partial_success.rejected_data_points = 0
        self.reply(200, json.loads(json_format.MessageToJson(reply)))


def test_push_otlp_to_a_local_receiver(store: am.History, local_only: None) -> None:
    OtlpReceiver.received = []
    OtlpReceiver.statuses = []
    with serve(OtlpReceiver) as url:
        reply = store.push_otlp(url, headers={"authorization": "Bearer s3cret"}, resource={"service.name": "fleet"})
        assert isinstance(reply, dict)
        [(path, headers, request)] = OtlpReceiver.received
        assert path == "/v1/metrics"
        assert headers["content-type"] == "application/json" and headers["authorization"] == "Bearer s3cret"
        names = {m.name for m in request.resource_metrics[0].scope_metrics[0].metrics}
        assert "gen_ai.client.token.usage" in names
        OtlpReceiver.statuses = [503]
        with pytest.raises(am.StoreError, match="HTTP 503"):
            store.push_otlp(url + "/v1/metrics", max_attempts=1)
    with pytest.raises(am.StoreError, match="failed"):
        store.push_otlp("http://127.0.0.1:1", timeout=2, max_attempts=1)


def test_push_otlp_retries_what_the_receiver_says_is_transient(store: am.History, local_only: None) -> None:
    OtlpReceiver.received = []
    OtlpReceiver.statuses = [503, 429]
    with serve(OtlpReceiver) as url:
        assert isinstance(store.push_otlp(url, retry_delay=0.001), dict)
        assert len(OtlpReceiver.received) == 3
        assert OtlpReceiver.received[0][2] == OtlpReceiver.received[2][2]  # the same data each time
        OtlpReceiver.received = []
        OtlpReceiver.statuses = [502, 504, 503]
        with pytest.raises(am.StoreError, match=r"HTTP 504.*\(attempt 2 of 2\)"):
            store.push_otlp(url, max_attempts=2, retry_delay=0.001)
        assert len(OtlpReceiver.received) == 2
        OtlpReceiver.received = []
        OtlpReceiver.statuses = [400]
        with pytest.raises(am.StoreError, match="HTTP 400"):
            store.push_otlp(url, retry_delay=0.001)
        assert len(OtlpReceiver.received) == 1  # a client error is final
    with pytest.raises(am.InvalidArgumentError, match="max_attempts"):
        store.push_otlp(url, max_attempts=0)
    with pytest.raises(am.InvalidArgumentError, match="retry_delay"):
        store.push_otlp(url, retry_delay=0)


def test_follow_returns_rows_appended_after_it_started(tmp_path: pathlib.Path, clock: FakeClock) -> None:
    path = tmp_path / "live.jsonl"
    with am.Recorder(clock=clock, wall_clock=clock.wall_clock) as rec:
        rec.open_store(journal=path)
        with rec.session("s") as s:
            s.record_tool_call("before", duration_ns=1)
            rec.flush()
            with am.History(path) as h, h.follow() as follow:
                assert follow.poll() == []
                s.record_tool_call("after", duration_ns=2_000_000)
                s.record_model_call(model="gpt-4o", usage={"input_tokens": 10, "output_tokens": 1})
                rec.flush()
                rows = follow.poll()
                assert [(r["kind"], r["tool"] or r["model"]) for r in rows] == [("tool_call", "after"),
                                                                              ("model_call", "gpt-4o")]
                assert rows[0]["duration_ms"] == 2 and isinstance(rows[1]["cost_usd"], Decimal)
                assert follow.poll() == [] and follow.malformed == 0
                with path.open("a") as f:
                    f.write('{"v":1,"kind":"tool_call"\n{"v":99}\n')
                assert follow.poll() == [] and follow.malformed == 2
            with am.Follow(path, from_start=True) as everything:
                assert len(everything.poll()) == 4  # the session record too
    with pytest.raises(am.NotFoundError):
        am.Follow(tmp_path / "nope.jsonl")


def test_report_escapes_every_stored_string(store: am.History) -> None:
    html = store.report_html(title="Costs <b>& more</b>")
    assert html.startswith("<!DOCTYPE html>")
    assert "<script" not in html.lower() and "<img" not in html.lower()
    assert "&lt;b&gt;&amp; more&lt;/b&gt;" in html
    assert "Content-Security-Policy" in html


def test_prices_listing(rec: am.Recorder) -> None:
    entries = rec.prices("GPT-4O")
    assert entries and all("gpt-4o" in e["model"] for e in entries)
    assert [e["model"] for e in entries] == sorted(e["model"] for e in entries)
    assert rec.prices("no-such-model-anywhere") == []
