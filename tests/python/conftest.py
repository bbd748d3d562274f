"""Shared pytest fixtures: the contract fixture folders and a deterministic clock."""

from __future__ import annotations

import contextlib
import json
import os
import pathlib
import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, Iterator

import pytest

try:
    import agentmetrics as am
except ImportError:
    # test_cli.py checks the command-line tool named by AGM_CLI and needs no extension.
    if not os.environ.get("AGM_CLI"):
        raise

# ../shared/fixtures beside the repository, or the folders AGM_*_FIXTURES name (as for C).
_DEFAULT = pathlib.Path(__file__).resolve().parents[2].parent / "shared" / "fixtures"


def fixture_dir(kind: str) -> pathlib.Path:
    return pathlib.Path(os.environ.get(f"AGM_{kind.upper()}_FIXTURES", _DEFAULT / kind))


def load_fixture(kind: str, name: str) -> Any:
    return json.loads((fixture_dir(kind) / name).read_text())


class FakeClock:
    """Monotonic and wall clocks that move only when told to."""

    def __init__(self, start_ns: int = 1_000_000_000, wall_ns: int = 1_795_000_000_000_000_000) -> None:
        self.now = start_ns
        self.wall = wall_ns

    def __call__(self) -> int:
        return self.now

    def wall_clock(self) -> int:
        return self.wall + self.now

    def advance(self, ns: int) -> int:
        self.now += ns
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def recorder(clock: FakeClock) -> Iterator[am.Recorder]:
    with am.Recorder(clock=clock, wall_clock=clock.wall_clock) as rec:
        yield rec


class JsonHandler(BaseHTTPRequestHandler):
    """A quiet request handler with a JSON reply."""

    def reply(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def serve(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """An HTTP server on 127.0.0.1 (a free port) in a thread; yields its base URL."""
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, never listening, closed): a
    connection to it is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def local_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Requests go straight to a 127.0.0.1 server, never through a proxy from the environment."""
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def rec() -> Iterator[am.Recorder]:
    """A recorder on the real clocks."""
    with am.Recorder() as r:
        yield r


@pytest.fixture
def session(rec: am.Recorder) -> Iterator[am.Session]:
    with rec.session("sdk-test") as s:
        yield s


@pytest.fixture
def records(rec: am.Recorder) -> list[dict[str, Any]]:
    """The model-call records, as the recorder reports them."""
    got: list[dict[str, Any]] = []
    rec.on_record(lambda kind, record: got.append(record), am.RecordKind.MODEL_CALL)
    return got


def pytest_sessionstart(session: pytest.Session) -> None:
    # ./run test checks the wheel as installed, never the source tree.
    if os.environ.get("AGM_EXPECT_INSTALLED") == "1":
        assert "site-packages" in am.__file__, f"agentmetrics imported from {am.__file__}"
