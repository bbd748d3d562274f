"""End to end through a real OpenTelemetry Collector: History.push_otlp and `agentmetrics export
--endpoint` push to the collector's OTLP/HTTP receiver on 127.0.0.1, and what its file exporter
wrote (OTLP/JSON, one request per line) is checked against what was recorded.

The collector (tests/collector: the OTLP receiver and the file exporter) is the binary AGM_OTELCOL
names; tests/collector/build.sh builds it. Without it the test is skipped, unless
AGM_REQUIRE_COLLECTOR=1, as ./run test sets both."""

from __future__ import annotations

import contextlib
import os
import pathlib
import shlex
import socket
import subprocess
import sys
import time
from typing import Any, Callable, Iterable, Iterator

import pytest
from google.protobuf import json_format
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest

import agentmetrics as am
from conftest import FakeClock

T0 = FakeClock().wall_clock()  # the first record's time; the last one's is 3 s later
DEADLINE_S = 60.0


def _binary() -> str:
    path = os.environ.get("AGM_OTELCOL", "")
    if path and os.access(path, os.X_OK):
        return path
    reason = f"no OpenTelemetry Collector at AGM_OTELCOL={path!r} (tests/collector/build.sh builds one)"
    if os.environ.get("AGM_REQUIRE_COLLECTOR") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _poll(done: Callable[[], bool], proc: subprocess.Popen[bytes]) -> bool:
    """Whether `done` came to hold before the collector exited and before the deadline."""
    deadline = time.monotonic() + DEADLINE_S
    while not done():
        if proc.poll() is not None or time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


class Collector:
    """The collector running with an OTLP/HTTP receiver on a free 127.0.0.1 port and a metrics
    pipeline into the file exporter."""

    def __init__(self, binary: str, folder: pathlib.Path) -> None:
        self.output = folder / "received.jsonl"
        self.log = folder / "collector.log"
        config = folder / "collector.yaml"
        for _ in range(5):  # another process may take the free port before the collector binds it
            port = _free_port()
            self.endpoint = f"http://127.0.0.1:{port}"
            config.write_text(f"""\
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:{port}
exporters:
  file:
    path: {self.output}
    format: json
    flush_interval: 20ms
service:
  pipelines:
    metrics:
      receivers: [otlp]
      exporters: [file]
""")
            with self.log.open("wb") as log:
                self.proc = subprocess.Popen([binary, "--config", str(config)], stdin=subprocess.DEVNULL,
                                             stdout=log, stderr=subprocess.STDOUT)
            if _poll(lambda: "Everything is ready" in self.log.read_text(errors="replace"), self.proc):
                return
            text = self.stop()
            if "address already in use" not in text:
                pytest.fail(f"the collector did not start (exit status {self.proc.returncode}):\n{text}")
        pytest.fail(f"the collector found no free port:\n{text}")

    def received(self, count: int) -> dict[str, ExportMetricsServiceRequest]:
        """The first `count` requests the file exporter wrote (waiting for them) by service.name."""
        def lines() -> list[str]:
            text = self.output.read_text() if self.output.exists() else ""
            return text.splitlines()[:count] if text.count("\n") >= count else []
        if not _poll(lambda: bool(lines()), self.proc):
            pytest.fail(f"the collector exported fewer than {count} requests:\n{self.stop()}")
        # The consumers' parser: unknown or mistyped fields fail.
        requests = [json_format.Parse(line, ExportMetricsServiceRequest(), ignore_unknown_fields=False)
                    for line in lines()]
        return {_attributes(r.resource_metrics[0].resource.attributes)["service.name"]: r for r in requests}

    def stop(self) -> str:
        """SIGTERM, then the collector's log; a clean shutdown exits 0."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=DEADLINE_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.log.read_text(errors="replace")


@contextlib.contextmanager
def collector(folder: pathlib.Path) -> Iterator[Collector]:
    c = Collector(_binary(), folder)
    try:
        yield c
    finally:
        c.stop()


@pytest.fixture
def journal(tmp_path: pathlib.Path, clock: FakeClock) -> pathlib.Path:
    """A planner session: two gpt-4o calls (one reading from the cache), one claude call that
    failed without usage, two tool calls (one failed) and a turn."""
    path = tmp_path / "m.jsonl"
    with am.Recorder(clock=clock, wall_clock=clock.wall_clock) as rec:
        rec.open_store(journal=path)
        with rec.session("s1", agent="planner") as s, s.turn():
            s.record_model_call(model="gpt-4o", provider="openai", duration_ns=1_500_000_000,
                                usage={"input_tokens": 1000, "cache_read_tokens": 200, "output_tokens": 300})
            s.record_model_call(model="gpt-4o", provider="openai", duration_ns=500_000_000,
                                usage={"input_tokens": 500, "output_tokens": 100})
            s.record_model_call(model="claude-sonnet-4-5", provider="anthropic", duration_ns=40_000_000,
                                error="overloaded")
            s.record_tool_call("search", duration_ns=250_000_000)
            s.record_tool_call("search", duration_ns=750_000_000, error="timeout")
            clock.advance(3_000_000_000)
        rec.flush()
    return path


def _attributes(attributes: Iterable[Any]) -> dict[str, str]:
    return {kv.key: kv.value.string_value for kv in attributes}


def _check(request: ExportMetricsServiceRequest, service: str) -> None:
    """What the journal holds, as the collector passed it on."""
    [resource_metrics] = request.resource_metrics
    resource = _attributes(resource_metrics.resource.attributes)
    assert resource["service.name"] == service and resource["telemetry.sdk.name"] == "agentmetrics"
    [scope] = resource_metrics.scope_metrics
    assert scope.scope.name == "agentmetrics"
    metrics = {m.name: m for m in scope.metrics}

    usage = metrics["gen_ai.client.token.usage"]
    assert usage.unit == "{token}"
    points = {(a["gen_ai.request.model"], a["gen_ai.token.type"]): p
              for p in usage.histogram.data_points for a in [_attributes(p.attributes)]}
    assert set(points) == {("gpt-4o", "input"), ("gpt-4o", "output")}  # the failed call: no usage
    # input: fresh + cache read, per call (1200 and 500)
    assert (points["gpt-4o", "input"].count, points["gpt-4o", "input"].sum) == (2, 1700)
    assert (points["gpt-4o", "input"].min, points["gpt-4o", "input"].max) == (500, 1200)
    assert (points["gpt-4o", "output"].count, points["gpt-4o", "output"].sum) == (2, 400)
    attrs = _attributes(points["gpt-4o", "input"].attributes)
    assert attrs["gen_ai.provider.name"] == "openai" and attrs["gen_ai.agent.name"] == "planner"
    assert attrs["gen_ai.operation.name"] == "chat"
    for p in usage.histogram.data_points:
        assert sum(p.bucket_counts) == p.count
        assert (p.start_time_unix_nano, p.time_unix_nano) == (T0, T0 + 3 * 10**9)

    durations = {_attributes(p.attributes)["gen_ai.request.model"]: p
                 for p in metrics["gen_ai.client.operation.duration"].histogram.data_points}
    assert (durations["gpt-4o"].count, durations["gpt-4o"].sum) == (2, 2.0)
    assert _attributes(durations["claude-sonnet-4-5"].attributes)["error.type"] == "overloaded"

    tools = {_attributes(p.attributes).get("error.type", ""): p
             for p in metrics["gen_ai.execute_tool.duration"].histogram.data_points}
    assert (tools[""].count, tools[""].sum) == (1, 0.25)
    assert (tools["timeout"].count, tools["timeout"].sum) == (1, 0.75)

    tokens = {_attributes(p.attributes)["agentmetrics.token.kind"]: p.as_int
              for p in metrics["agentmetrics.tokens"].sum.data_points}
    assert tokens == {"input": 1500, "cache_read": 200, "output": 400}
    calls = {(a["gen_ai.request.model"], a["agentmetrics.outcome"]): p.as_int
             for p in metrics["agentmetrics.model.calls"].sum.data_points for a in [_attributes(p.attributes)]}
    assert calls == {("gpt-4o", "ok"): 2, ("claude-sonnet-4-5", "error"): 1}
    [turn] = metrics["gen_ai.invoke_agent.duration"].histogram.data_points
    assert turn.sum == 3.0


def test_push_to_an_opentelemetry_collector(journal: pathlib.Path, tmp_path: pathlib.Path,
                                            local_only: None, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("OTEL_RESOURCE_ATTRIBUTES", "OTEL_EXPORTER_OTLP_HEADERS"):
        monkeypatch.delenv(var, raising=False)
    cli_command = shlex.split(os.environ.get("AGM_CLI", "")) or [sys.executable, "-m", "agentmetrics"]
    with collector(tmp_path) as otelcol, am.History(journal) as history:
        reply = history.push_otlp(otelcol.endpoint, resource={"service.name": "fleet"})
        assert reply == {"partialSuccess": {}}
        cli = subprocess.run([*cli_command, "export", str(journal), "--endpoint", otelcol.endpoint,
                              "--resource", "service.name=fleet-cli"],
                             capture_output=True, text=True, timeout=DEADLINE_S, check=False)
        assert cli.returncode == 0, cli.stderr
        received = otelcol.received(2)
        assert set(received) == {"fleet", "fleet-cli"}
        # Unchanged by the trip through the collector: what the export says, to the field.
        for service in received:
            expected = history.export("otlp-json", resource={"service.name": service})
            assert received[service] == json_format.Parse(expected, ExportMetricsServiceRequest())
        _check(received["fleet"], "fleet")
        _check(received["fleet-cli"], "fleet-cli")
        log = otelcol.stop()
    assert otelcol.proc.returncode == 0 and "Shutdown complete." in log, log
