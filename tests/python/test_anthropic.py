"""agentmetrics.integrations.anthropic: SDK Message / Usage, raw stream events, and the real
client against a local Messages API server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

anthropic = pytest.importorskip("anthropic")
# the SDK warns on every request naming a model it lists as deprecated

import agentmetrics as am  # noqa: E402
from conftest import JsonHandler, serve  # noqa: E402
from agentmetrics.integrations import anthropic as am_anthropic  # noqa: E402
from anthropic.types import (  # noqa: E402
    CacheCreation,
    Message,
    MessageDeltaUsage,
    RawContentBlockDeltaEvent,
    RawContentBlockStartEvent,
    RawContentBlockStopEvent,
    RawMessageDeltaEvent,
    RawMessageStartEvent,
    RawMessageStopEvent,
    TextBlock,
    TextDelta,
    Usage,
)
from anthropic.types.raw_message_delta_event import Delta  # noqa: E402

MODEL = "claude-sonnet-4-5-20250929"
# input_tokens is already fresh; 1500 written to cache (500 with a 5-minute TTL, 1000 with 1 hour)
USAGE = {
    "input_tokens": 100,
    "cache_read_input_tokens": 2000,
    "cache_creation_input_tokens": 1500,
    "cache_creation": {"ephemeral_5m_input_tokens": 500, "ephemeral_1h_input_tokens": 1000},
    "output_tokens": 300,
}
# claude-sonnet-4-5-20250929 (bundled table), USD per token
SONNET_COST = {
    "input": 100 * Decimal("3e-6"),  # 0.0003
    "cache_read": 2000 * Decimal("3e-7"),  # 0.0006
    "cache_write_5m": 500 * Decimal("3.75e-6"),  # 0.001875
    "cache_write_1h": 1000 * Decimal("6e-6"),  # 0.006
    "output": 300 * Decimal("1.5e-5"),  # 0.0045
    "total": Decimal("0.013275"),
}


pytestmark = [pytest.mark.usefixtures("local_only"),
              pytest.mark.filterwarnings("ignore:The model .* is deprecated:DeprecationWarning")]


def assert_sonnet_totals(s: Any, reasoning: int | None = None) -> None:
    t = s.totals()
    assert (t.model_calls, t.calls_with_usage, t.calls_missing_usage) == (1, 1, 0)
    assert (t.input_tokens, t.cache_read_tokens, t.output_tokens) == (100, 2000, 300)
    assert (t.cache_write_tokens, t.cache_write_1h_tokens) == (1500, 1000)
    assert t.total_tokens == 3900
    assert t.reasoning_tokens == reasoning
    assert t.cost is not None
    for item, value in SONNET_COST.items():
        if item == "output" and reasoning:
            value -= reasoning * Decimal("1.5e-5")
        assert getattr(t.cost, item) == value, item
    assert t.cost.reasoning == (reasoning or 0) * Decimal("1.5e-5")


def assert_timed(s: Any, calls: int, streamed: int = 0) -> None:
    assert s.durations(am.DurationKind.MODEL_CALL).count == calls
    assert s.durations(am.DurationKind.TTFT).count == streamed


def message(usage: dict[str, Any], stop_reason: str | None = "end_turn", text: str = "Hello") -> Message:
    return Message(
        id="msg_1",
        content=[TextBlock(type="text", text=text)] if text else [],
        model=MODEL,
        role="assistant",
        stop_reason=stop_reason,
        type="message",
        usage=Usage.model_validate(usage),
    )


# ---- SDK objects -----------------------------------------------------------------------------


def test_message_usage_and_cost(session: Any) -> None:
    usage = Usage(
        input_tokens=100,
        output_tokens=300,
        cache_read_input_tokens=2000,
        cache_creation_input_tokens=1500,
        cache_creation=CacheCreation(ephemeral_5m_input_tokens=500, ephemeral_1h_input_tokens=1000),
    )
    msg = message(USAGE).model_copy(update={"usage": usage})
    assert am_anthropic.record_message(session, msg, duration_ns=9_000) == am.Notice.OK
    assert_sonnet_totals(session)
    d = session.durations(am.DurationKind.MODEL_CALL)
    assert (d.count, d.sum_ns) == (1, 9_000)


def test_message_without_cache_fields_own_price(rec: am.Recorder, session: Any) -> None:
    rec.set_price("claude-test", {"input_cost_per_token": 3e-06, "output_cost_per_token": 1.5e-05})
    msg = message({"input_tokens": 10, "output_tokens": 5})
    am_anthropic.record_message(session, msg, model="claude-test", start_ns=100, end_ns=200)
    t = session.totals()
    assert (t.input_tokens, t.output_tokens, t.total_tokens) == (10, 5, 15)
    assert t.cache_read_tokens is None and t.cache_write_tokens is None  # not reported, not 0
    assert t.cost is not None
    assert t.cost.total == 10 * Decimal("3e-6") + 5 * Decimal("1.5e-5") == Decimal("0.000105")
    assert_timed(session, 1)


def stream_events() -> list[Any]:
    """message_start (preliminary output 1) and two cumulative message_deltas."""
    start_usage = {**USAGE, "output_tokens": 1}
    delta_usage = {k: v for k, v in USAGE.items() if k != "cache_creation"}
    return [
        RawMessageStartEvent(type="message_start", message=message(start_usage, None, "")),
        RawContentBlockStartEvent(
            type="content_block_start", index=0, content_block=TextBlock(type="text", text="")
        ),
        RawContentBlockDeltaEvent(
            type="content_block_delta", index=0, delta=TextDelta(type="text_delta", text="Hello")
        ),
        RawContentBlockStopEvent(type="content_block_stop", index=0),
        RawMessageDeltaEvent(
            type="message_delta", delta=Delta(), usage=MessageDeltaUsage(output_tokens=150)
        ),
        RawMessageDeltaEvent(
            type="message_delta",
            delta=Delta(stop_reason="end_turn"),
            usage=MessageDeltaUsage.model_validate(
                {**delta_usage, "output_tokens_details": {"thinking_tokens": 120}}
            ),
        ),
        RawMessageStopEvent(type="message_stop"),
    ]


def test_stream_events_overwrite_never_sum(session: Any, records: list[Any]) -> None:
    events = stream_events()
    assert list(am_anthropic.track_stream(session, events)) == events
    assert (records[0]["model"], records[0]["stop_reason"]) == (MODEL, "end_turn")
    assert "ttft_ns" in records[0] and "duration_ns" in records[0]
    assert_sonnet_totals(session, reasoning=120)  # 300 output, not 1 + 150 + 300
    assert_timed(session, 1, streamed=1)


def test_interrupted_stream_is_usage_missing(session: Any, records: list[Any]) -> None:
    def broken() -> Iterator[Any]:
        yield stream_events()[0]
        raise ConnectionResetError("peer went away")

    with pytest.raises(ConnectionResetError):
        for _ in am_anthropic.track_stream(session, broken(), attempt=2):
            pass
    assert records[0]["error_type"] == "ConnectionResetError" and "usage" not in records[0]
    t = session.totals()
    assert (t.model_calls, t.model_errors, t.retries) == (1, 1, 1)
    assert t.calls_missing_usage == 1  # message_start alone is preliminary: no usage
    assert t.input_tokens is None and t.output_tokens is None and t.cost is None
    assert_timed(session, 1, streamed=0)


def test_async_events(session: Any) -> None:
    async def events() -> Any:
        for e in stream_events():
            yield e

    async def run() -> int:
        return len([e async for e in am_anthropic.track_async_stream(session, events())])

    assert asyncio.run(run()) == 7
    assert_sonnet_totals(session, reasoning=120)
    assert_timed(session, 1, streamed=1)


# ---- the real client against a local server ----------------------------------------------------


class MessagesHandler(JsonHandler):
    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.path != "/v1/messages":
            return self.reply(404, {"type": "error", "error": {"type": "not_found_error", "message": "x"}})
        if body["model"] == "overloaded":
            return self.reply(529, {"type": "error", "error": {"type": "overloaded_error", "message": "busy"}})
        if not body.get("stream"):
            return self.reply(200, message(USAGE).model_dump(exclude_none=True))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        events = stream_events()
        events.insert(1, {"type": "ping"})
        for event in events:
            data = event if isinstance(event, dict) else event.model_dump(exclude_none=True)
            self.wfile.write(f"event: {data['type']}\ndata: {json.dumps(data)}\n\n".encode())


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with serve(MessagesHandler) as url:
        yield url


@pytest.fixture
def client(base_url: str) -> Iterator[Any]:
    with anthropic.Anthropic(base_url=base_url, api_key="test", max_retries=0) as c:
        yield c


REQUEST: dict[str, Any] = {"max_tokens": 1024, "messages": [{"role": "user", "content": "Hi"}]}


def test_client_non_streamed(client: Any, session: Any) -> None:
    with am_anthropic.track_call(session, model=MODEL) as call:
        call.result = client.messages.create(model=MODEL, **REQUEST)
    assert call.notice == am.Notice.OK
    assert_sonnet_totals(session)
    assert_timed(session, 1)


def test_client_create_stream_true(client: Any, session: Any) -> None:
    stream = client.messages.create(model=MODEL, stream=True, **REQUEST)
    types = [e.type for e in am_anthropic.track_stream(session, stream)]
    assert types.count("message_delta") == 2
    assert_sonnet_totals(session, reasoning=120)
    assert_timed(session, 1, streamed=1)


def test_client_message_stream(client: Any, session: Any) -> None:
    with client.messages.stream(model=MODEL, **REQUEST) as stream:
        text = "".join(e.text for e in am_anthropic.track_stream(session, stream) if e.type == "text")
    assert text == "Hello"
    assert_sonnet_totals(session, reasoning=120)
    assert_timed(session, 1, streamed=1)


def test_client_message_stream_final_message(client: Any, session: Any) -> None:
    with client.messages.stream(model=MODEL, **REQUEST) as stream:
        final = stream.get_final_message()  # the SDK's own overwrite accumulation
    assert final.usage.output_tokens == 300
    am_anthropic.record_message(session, final, duration_ns=1_000)
    assert_sonnet_totals(session, reasoning=120)


def test_client_error_recorded(client: Any, session: Any, records: list[Any]) -> None:
    with pytest.raises(anthropic.APIStatusError) as raised:
        with am_anthropic.track_call(session, model="overloaded"):
            client.messages.create(model="overloaded", **REQUEST)
    assert records[0]["error_type"] == type(raised.value).__name__
    t = session.totals()
    assert (t.model_calls, t.model_errors, t.calls_missing_usage) == (1, 1, 1)


def test_async_client_message_stream(base_url: str, session: Any) -> None:
    async def run() -> str:
        async with anthropic.AsyncAnthropic(base_url=base_url, api_key="test", max_retries=0) as c:
            async with c.messages.stream(model=MODEL, **REQUEST) as stream:
                tracked = am_anthropic.track_async_stream(session, stream)
                return "".join([e.text async for e in tracked if e.type == "text"])

    assert asyncio.run(run()) == "Hello"
    assert_sonnet_totals(session, reasoning=120)
    assert_timed(session, 1, streamed=1)
