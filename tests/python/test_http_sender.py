"""The HTTP sender of the OTLP push (agentmetrics._http.send, urllib): each way an exchange can
end, as the core reads it, against local servers; and through History.push_otlp, what the core
then does with it (retries, Retry-After)."""

from __future__ import annotations

import contextlib
import pathlib
import socket
import threading
import time
from typing import Any, Iterator

import pytest

import agentmetrics as am
from agentmetrics import _http
from agentmetrics._native import HttpOutcome
from conftest import JsonHandler, closed_port, serve

BODY = b'{"resourceMetrics":[]}'
HEADERS = [("Content-Type", "application/json"), ("x-api-key", "secret")]


class Scripted(JsonHandler):
    """Answers each POST with the next scripted (status, headers), then 200; keeps every request."""

    got: list[tuple[str, str, dict[str, str], bytes]] = []
    script: list[tuple[int, dict[str, str]]] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Scripted.got.append(("POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body))
        status, headers = Scripted.script.pop(0) if Scripted.script else (200, {})
        payload = b'{"partialSuccess":{}}' if status == 200 else b'{"code":14,"message":"try later"}'
        self.send_response(status)
        for name, value in {"Content-Type": "application/json", **headers}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self) -> None:  # noqa: N802
        Scripted.got.append(("GET", self.path, {}, b""))
        self.reply(200, {})


@pytest.fixture
def scripted(local_only: None) -> Iterator[str]:
    Scripted.got = []
    Scripted.script = []
    with serve(Scripted) as url:
        yield url


@contextlib.contextmanager
def raw_server(on_connection: Any) -> Iterator[str]:
    """A TCP server on 127.0.0.1 that hands each connection to `on_connection` in a thread."""
    listener = socket.create_server(("127.0.0.1", 0))
    done = threading.Event()

    def accept() -> None:
        while not done.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=on_connection, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        done.set()
        listener.close()
        thread.join(5)


def test_a_response_is_responded_with_status_body_and_retry_after(scripted: str) -> None:
    reply = _http.send(scripted + "/v1/metrics", HEADERS, BODY, 5000)
    assert reply == (HttpOutcome.RESPONDED, 200, None, b'{"partialSuccess":{}}', None)
    [(method, path, headers, body)] = Scripted.got
    assert (method, path, body) == ("POST", "/v1/metrics", BODY)
    assert headers["content-type"] == "application/json" and headers["x-api-key"] == "secret"
    Scripted.script = [(503, {"Retry-After": "Sun, 06 Nov 1994 08:49:37 GMT"})]
    reply = _http.send(scripted + "/v1/metrics", HEADERS, BODY, 5000)
    assert reply == (HttpOutcome.RESPONDED, 503, "Sun, 06 Nov 1994 08:49:37 GMT",
                     b'{"code":14,"message":"try later"}', None)


def test_a_redirect_is_an_answer_never_followed(scripted: str) -> None:
    Scripted.script = [(302, {"Location": "/elsewhere"}), (307, {"Location": "/elsewhere"})]
    for status in (302, 307):
        reply = _http.send(scripted + "/v1/metrics", HEADERS, BODY, 5000)
        assert (reply.outcome, reply.status) == (HttpOutcome.RESPONDED, status)
    assert [(method, path) for method, path, _, _ in Scripted.got] == [("POST", "/v1/metrics")] * 2


def test_a_refused_connection_failed_to_connect() -> None:
    reply = _http.send(f"http://127.0.0.1:{closed_port()}/v1/metrics", HEADERS, BODY, 5000)
    assert reply.outcome == HttpOutcome.CONNECT_FAILED
    assert reply.error and "refused" in reply.error


def test_a_connection_closed_without_a_response_failed_to_connect() -> None:
    def hang_up(conn: socket.socket) -> None:
        with conn:
            conn.recv(65536)

    with raw_server(hang_up) as url:
        reply = _http.send(url + "/v1/metrics", HEADERS, BODY, 5000)
    assert reply.outcome == HttpOutcome.CONNECT_FAILED, reply


def test_a_receiver_that_never_answers_timed_out() -> None:
    release = threading.Event()

    def stall(conn: socket.socket) -> None:
        with conn:
            release.wait(10)

    with raw_server(stall) as url:
        start = time.monotonic()
        reply = _http.send(url + "/v1/metrics", HEADERS, BODY, 200)
        elapsed = time.monotonic() - start
        release.set()
    assert reply.outcome == HttpOutcome.TIMED_OUT, reply
    assert elapsed < 5


def test_a_name_that_does_not_resolve_is_final(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_such_host(*args: Any, **kwargs: Any) -> Any:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_host)
    reply = _http.send("http://collector.invalid:4318/v1/metrics", HEADERS, BODY, 5000)
    assert reply.outcome == HttpOutcome.FAILED
    assert reply.error and "resolve" in reply.error


# ---- through History.push_otlp: the core's rules over this sender ----


@pytest.fixture
def history(tmp_path: pathlib.Path) -> Iterator[am.History]:
    with am.Recorder() as rec:
        rec.open_store(journal=tmp_path / "m.jsonl")
        with rec.session("s") as s:
            s.record_model_call(model="gpt-4o", usage={"input_tokens": 10, "output_tokens": 2}, duration_ns=10**9)
    with am.History(tmp_path / "m.jsonl") as h:
        yield h


def test_push_retries_a_refused_connection_up_to_its_attempts(history: am.History, local_only: None) -> None:
    with pytest.raises(am.StoreError, match=r"refused.*\(attempt 3 of 3\)") as error:
        history.push_otlp(f"http://127.0.0.1:{closed_port()}", max_attempts=3, retry_delay=0.001)
    assert error.value.status == "AGM_E_IO"  # type: ignore[attr-defined]


def test_push_waits_what_retry_after_asks_then_succeeds(history: am.History, scripted: str) -> None:
    Scripted.script = [(503, {"Retry-After": "1"})]
    start = time.monotonic()
    assert history.push_otlp(scripted, retry_delay=0.001) == {"partialSuccess": {}}
    assert time.monotonic() - start >= 0.9  # the receiver's second, not the millisecond backoff
    assert len(Scripted.got) == 2 and Scripted.got[0][3] == Scripted.got[1][3]


def test_push_does_not_follow_a_redirect(history: am.History, scripted: str) -> None:
    Scripted.script = [(308, {"Location": "/v2/metrics"})]
    with pytest.raises(am.StoreError, match=r"HTTP 308"):
        history.push_otlp(scripted, retry_delay=0.001)
    assert len(Scripted.got) == 1


def test_an_exception_in_the_sender_is_raised_as_it_is(history: am.History, scripted: str) -> None:
    def broken(*args: Any) -> Any:
        raise RuntimeError("the sender broke")

    with pytest.raises(RuntimeError, match="the sender broke"):
        history._push_otlp(scripted, send=broken)
    with pytest.raises(TypeError, match=r"\(outcome, status, retry_after, body, error\)"):
        history._push_otlp(scripted, send=lambda *args: "not a tuple")
    with pytest.raises(am.InvalidArgumentError, match="not an AGM_HTTP_\\* outcome"):
        history._push_otlp(scripted, send=lambda *args: (9, 0, None, b"", None))
    assert Scripted.got == []
