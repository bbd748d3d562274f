"""The HTTP client of the OTLP push (``History.push_otlp`` and ``python -m agentmetrics export
--endpoint``), from the standard library. The core makes no network calls: it builds each
request, calls :func:`send` for every attempt and decides from the outcome what happens next
(a retry after a wait, or a final error). :func:`send` only performs one POST and says what its
client saw."""

from __future__ import annotations

import email.message
import errno
import socket
import ssl
import urllib.error
import urllib.request
from http.client import HTTPResponse, IncompleteRead
from typing import IO, NamedTuple, Optional, Sequence, Union

from ._native import HttpOutcome

# A receiver's reply is small (an ExportMetricsServiceResponse); the start of a huge one is enough.
_MAX_REPLY = 1 << 20


class Response(NamedTuple):
    """One exchange as the core reads it (agm_http_response)."""

    outcome: int
    status: int = 0
    retry_after: Optional[str] = None
    body: bytes = b""
    error: Optional[str] = None


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is the receiver's answer, returned as it is (final for the core), never
    followed: urllib would follow a 301, 302 or 303 with a GET and without the body."""

    def redirect_request(self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str,
                         headers: email.message.Message, newurl: str) -> Optional[urllib.request.Request]:
        return None


# Proxies from the environment (http_proxy, no_proxy...) are honoured, as libcurl does.
_opener = urllib.request.build_opener(_NoRedirects)


def _read(reply: Union[HTTPResponse, urllib.error.HTTPError]) -> bytes:
    try:
        return reply.read(_MAX_REPLY)
    except IncompleteRead as e:  # the status is known: what arrived of the body is enough
        return bytes(e.partial)


# Connecting failed: the host or its network is unreachable or down.
_UNREACHABLE = frozenset({errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EHOSTDOWN, errno.ENETDOWN})


def _failure(error: BaseException) -> Response:
    """What a failed exchange was, in the core's terms."""
    message = str(error) or type(error).__name__
    if isinstance(error, socket.gaierror):  # the name does not resolve: final, as for libcurl
        return Response(HttpOutcome.FAILED, error=f"cannot resolve the receiver's host: {message}")
    if isinstance(error, TimeoutError):  # socket.timeout, and a connect() the kernel gave up on
        return Response(HttpOutcome.TIMED_OUT, error=message)
    # Refused, reset, aborted, a broken pipe, closed without a response (RemoteDisconnected).
    if isinstance(error, ConnectionError) or (isinstance(error, OSError) and error.errno in _UNREACHABLE):
        return Response(HttpOutcome.CONNECT_FAILED, error=message)
    if isinstance(error, ssl.SSLError):
        return Response(HttpOutcome.FAILED, error=f"TLS: {message}")
    return Response(HttpOutcome.FAILED, error=f"{type(error).__name__}: {message}")


def _post(url: str, headers: Sequence[tuple[str, str]], body: bytes, timeout_ms: int) -> Response:
    request = urllib.request.Request(url, data=body, method="POST")
    for name, value in headers:
        request.add_header(name, value)
    try:
        with _opener.open(request, timeout=timeout_ms / 1000) as reply:
            return Response(HttpOutcome.RESPONDED, reply.status, reply.headers.get("Retry-After"), _read(reply))
    except urllib.error.HTTPError as e:  # any status but 2xx, redirects included: an answer
        with e:
            return Response(HttpOutcome.RESPONDED, e.code, e.headers.get("Retry-After") if e.headers else None,
                            _read(e))


def send(url: str, headers: Sequence[tuple[str, str]], body: bytes, timeout_ms: int) -> Response:
    """POST `body` to `url` with `headers` (Content-Type first); `timeout_ms` bounds each
    blocking step (connecting, sending, each read). Never raises: a failure is an outcome."""
    try:
        return _post(url, headers, body, timeout_ms)
    except urllib.error.URLError as e:  # what urllib wraps: connecting and sending
        return _failure(e.reason if isinstance(e.reason, BaseException) else e)
    except Exception as e:  # reading the response, or anything else
        return _failure(e)
