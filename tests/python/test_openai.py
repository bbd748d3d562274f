"""agentmetrics.integrations.openai: SDK response types, stream events, and the real client
against a local chat-completions server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from typing import Any

import pytest

openai = pytest.importorskip("openai")

import agentmetrics as am  # noqa: E402
from conftest import JsonHandler, serve  # noqa: E402
from agentmetrics.integrations import openai as am_openai  # noqa: E402
from openai.types import CompletionUsage  # noqa: E402
from openai.types.chat import ChatCompletion, ChatCompletionChunk, ChatCompletionMessage  # noqa: E402
from openai.types.chat.chat_completion import Choice  # noqa: E402
from openai.types.completion_usage import CompletionTokensDetails, PromptTokensDetails  # noqa: E402
from openai.types.responses import (  # noqa: E402
    Response,
    ResponseCompletedEvent,
    ResponseCreatedEvent,
    ResponseTextDeltaEvent,
    ResponseUsage,
)
from openai.types.responses.response_usage import InputTokensDetails, OutputTokensDetails  # noqa: E402

# prompt 1000 of which 400 cached, completion 200 of which 50 reasoning
USAGE = {
    "prompt_tokens": 1000,
    "completion_tokens": 200,
    "total_tokens": 1200,
    "prompt_tokens_details": {"cached_tokens": 400},
    "completion_tokens_details": {"reasoning_tokens": 50},
}
# gpt-4o (bundled table): input 2.5e-6, cache read 1.25e-6, output 1e-5 USD per token
GPT4O_COST = {
    "input": Decimal("600") * Decimal("2.5e-6"),  # 0.0015
    "cache_read": Decimal("400") * Decimal("1.25e-6"),  # 0.0005
    "output": Decimal("150") * Decimal("1e-5"),  # output minus reasoning: 0.0015
    "reasoning": Decimal("50") * Decimal("1e-5"),  # 0.0005
    "total": Decimal("0.004"),
}


pytestmark = pytest.mark.usefixtures("local_only")


def assert_gpt4o_totals(s: Any, calls: int = 1) -> None:
    t = s.totals()
    assert (t.model_calls, t.calls_with_usage, t.calls_missing_usage) == (calls, calls, 0)
    assert t.input_tokens == 600 * calls  # fresh = prompt - cached
    assert t.cache_read_tokens == 400 * calls
    assert t.cache_write_tokens is None  # not reported: missing, not 0
    assert t.output_tokens == 200 * calls  # reasoning included
    assert t.reasoning_tokens == 50 * calls
    assert t.total_tokens == 1200 * calls
    assert t.cost is not None
    for item, value in GPT4O_COST.items():
        assert getattr(t.cost, item) == value * calls, item
    assert t.cost.cache_write_5m == 0 and t.cost.cache_write_1h == 0


def assert_timed(s: Any, calls: int, streamed: int = 0) -> None:
    assert s.durations(am.DurationKind.MODEL_CALL).count == calls
    assert s.durations(am.DurationKind.TTFT).count == streamed


def chat_completion(usage: CompletionUsage | None, model: str = "gpt-4o") -> ChatCompletion:
    return ChatCompletion(
        id="chatcmpl-1",
        choices=[
            Choice(
                finish_reason="stop",
                index=0,
                message=ChatCompletionMessage(role="assistant", content="hi"),
            )
        ],
        created=0,
        model=model,
        object="chat.completion",
        usage=usage,
    )


# ---- SDK objects -----------------------------------------------------------------------------


def test_chat_completion_usage_and_cost(session: Any) -> None:
    usage = CompletionUsage(
        prompt_tokens=1000,
        completion_tokens=200,
        total_tokens=1200,
        prompt_tokens_details=PromptTokensDetails(cached_tokens=400),
        completion_tokens_details=CompletionTokensDetails(reasoning_tokens=50),
    )
    notice = am_openai.record_chat_completion(session, chat_completion(usage), duration_ns=7_000_000)
    assert notice == am.Notice.OK
    assert_gpt4o_totals(session)
    d = session.durations(am.DurationKind.MODEL_CALL)
    assert (d.count, d.sum_ns) == (1, 7_000_000)


def test_chat_completion_without_usage_is_missing(session: Any) -> None:
    am_openai.record_chat_completion(session, chat_completion(None), start_ns=0, end_ns=1_000)
    t = session.totals()
    assert (t.model_calls, t.calls_with_usage, t.calls_missing_usage) == (1, 0, 1)
    assert t.input_tokens is None and t.output_tokens is None and t.total_tokens is None
    assert t.cost is None
    assert_timed(session, 1)


def response(status: str = "completed", model: str = "resp-test") -> Response:
    return Response(
        id="resp_1",
        created_at=0,
        model=model,
        object="response",
        output=[],
        parallel_tool_calls=False,
        tool_choice="auto",
        tools=[],
        status=status,
        usage=ResponseUsage(
            input_tokens=1200,
            input_tokens_details=InputTokensDetails(cached_tokens=200, cache_write_tokens=100),
            output_tokens=300,
            output_tokens_details=OutputTokensDetails(reasoning_tokens=120),
            total_tokens=1500,
        ),
    )


RESP_PRICE = {
    "input_cost_per_token": 1e-06,
    "output_cost_per_token": 4e-06,
    "cache_read_input_token_cost": 1e-07,
    "cache_creation_input_token_cost": 1.25e-06,
}


def assert_response_totals(rec: am.Recorder, s: Any) -> None:
    t = s.totals()
    assert (t.model_calls, t.calls_with_usage) == (1, 1)
    assert t.input_tokens == 900  # 1200 - 200 cached - 100 written to cache
    assert (t.cache_read_tokens, t.cache_write_tokens) == (200, 100)
    assert (t.output_tokens, t.reasoning_tokens, t.total_tokens) == (300, 120, 1500)
    assert t.cost is not None
    expected = (
        900 * Decimal("1e-6")
        + 200 * Decimal("1e-7")
        + 100 * Decimal("1.25e-6")
        + 300 * Decimal("4e-6")
    )
    assert expected == Decimal("0.002245")
    assert t.cost.total == expected
    assert t.cost.reasoning == 120 * Decimal("4e-6")


def test_response_usage_and_cost(rec: am.Recorder, session: Any) -> None:
    rec.set_price("resp-test", RESP_PRICE)
    am_openai.record_response(session, response(), duration_ns=3_000)
    assert_response_totals(rec, session)
    assert_timed(session, 1)


def test_failed_response_is_an_error(session: Any) -> None:
    am_openai.record_response(session, response(status="failed"), duration_ns=1)
    t = session.totals()
    assert (t.model_calls, t.model_errors) == (1, 1)


def test_responses_stream_events(rec: am.Recorder, session: Any, records: list[Any]) -> None:
    rec.set_price("resp-test", RESP_PRICE)
    created = response(status="in_progress").model_copy(update={"usage": None})
    events: list[Any] = [
        ResponseCreatedEvent(response=created, sequence_number=0, type="response.created"),
        ResponseTextDeltaEvent(
            content_index=0, delta="Hi", item_id="m1", logprobs=[], output_index=0,
            sequence_number=1, type="response.output_text.delta",
        ),
        ResponseCompletedEvent(response=response(), sequence_number=2, type="response.completed"),
    ]
    assert list(am_openai.track_stream(session, iter(events))) == events
    assert (records[0]["model"], records[0]["stop_reason"]) == ("resp-test", "completed")
    assert_response_totals(rec, session)
    assert_timed(session, 1, streamed=1)


def test_stream_error_and_retry(session: Any) -> None:
    chunk = ChatCompletionChunk.model_validate(sse_chunks("gpt-4o", include_usage=False)[0])

    def broken() -> Iterator[ChatCompletionChunk]:
        yield chunk
        raise ConnectionResetError("peer went away")

    with pytest.raises(ConnectionResetError):
        for _ in am_openai.track_stream(session, broken(), attempt=2):
            pass
    t = session.totals()
    assert (t.model_calls, t.model_errors, t.retries, t.calls_missing_usage) == (1, 1, 1, 1)
    assert_timed(session, 1, streamed=1)


def test_track_call_without_result_and_with_error(session: Any) -> None:
    with am_openai.track_call(session, model="gpt-4o") as call:
        call.result = chat_completion(
            CompletionUsage.model_validate(USAGE), model="gpt-4o-2024-08-06"
        )
    assert call.notice == am.Notice.OK
    assert_gpt4o_totals(session)
    with pytest.raises(ValueError), am_openai.track_call(session, model="gpt-4o"):
        raise ValueError("bad request")
    t = session.totals()
    assert (t.model_calls, t.model_errors, t.calls_missing_usage) == (2, 1, 1)
    assert_timed(session, 2)


# ---- the real client against a local server ----------------------------------------------------


def sse_chunks(model: str, include_usage: bool) -> list[dict[str, Any]]:
    base = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 0, "model": model}
    deltas: list[tuple[dict[str, Any], str | None]] = [
        ({"role": "assistant", "content": ""}, None),
        ({"content": "Hel"}, None),
        ({"content": "lo"}, None),
        ({}, "stop"),
    ]
    chunks = [
        {**base, "choices": [{"index": 0, "delta": d, "finish_reason": f}]} for d, f in deltas
    ]
    if include_usage:  # every chunk carries "usage": null, then one extra chunk with no choices
        chunks = [{**c, "usage": None} for c in chunks] + [{**base, "choices": [], "usage": USAGE}]
    return chunks


class ChatHandler(JsonHandler):
    bodies: list[dict[str, Any]] = []

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.bodies.append(body)
        if self.path != "/v1/chat/completions":
            return self.reply(404, {"error": {"message": "not found", "type": "invalid_request_error"}})
        if body["model"] == "rate-limited":
            return self.reply(429, {"error": {"message": "slow down", "type": "rate_limit_error"}})
        if not body.get("stream"):
            return self.reply(200, {**chat_completion(None, body["model"]).model_dump(), "usage": USAGE})
        include = bool((body.get("stream_options") or {}).get("include_usage"))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        for chunk in sse_chunks(body["model"], include):
            self.wfile.write(b"data: " + json.dumps(chunk).encode() + b"\n\n")
        self.wfile.write(b"data: [DONE]\n\n")


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with serve(ChatHandler) as url:
        yield url + "/v1"


@pytest.fixture
def client(base_url: str) -> Iterator[Any]:
    with openai.OpenAI(base_url=base_url, api_key="test", max_retries=0) as c:
        yield c


MESSAGES = [{"role": "user", "content": "Hello"}]


def test_client_non_streamed(client: Any, session: Any) -> None:
    with am_openai.track_call(session, model="gpt-4o") as call:
        call.result = client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    assert call.result is not None and call.result.usage is not None
    assert_gpt4o_totals(session)
    assert_timed(session, 1)


def test_client_streamed_with_usage(client: Any, session: Any, records: list[Any]) -> None:
    stream = client.chat.completions.create(
        model="gpt-4o", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(am_openai.track_stream(session, stream))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "Hello"
    assert chunks[-1].usage is not None
    assert records[0]["model"] == "gpt-4o" and records[0]["stop_reason"] == "stop"
    assert records[0]["outcome"] == "ok" and "ttft_ns" in records[0] and "duration_ns" in records[0]
    assert_gpt4o_totals(session)
    assert_timed(session, 1, streamed=1)


def test_client_streamed_without_include_usage_is_missing(
    client: Any, session: Any, records: list[Any]
) -> None:
    stream = client.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)
    chunks = list(am_openai.track_stream(session, stream))
    assert len(chunks) == 4 and all(c.usage is None for c in chunks)
    assert ChatHandler.bodies[-1].get("stream_options") is None
    assert "usage" not in records[0] and "cost" not in records[0]
    assert records[0]["stop_reason"] == "stop"
    t = session.totals()
    assert (t.model_calls, t.calls_with_usage, t.calls_missing_usage) == (1, 0, 1)
    assert t.input_tokens is None and t.output_tokens is None and t.cost is None  # never 0
    assert_timed(session, 1, streamed=1)


def test_client_stream_helper_events(client: Any, session: Any) -> None:
    with client.chat.completions.stream(
        model="gpt-4o", messages=MESSAGES, stream_options={"include_usage": True}
    ) as stream:
        for _ in am_openai.track_stream(session, stream):
            pass
    assert_gpt4o_totals(session)
    assert_timed(session, 1, streamed=1)


def test_client_rate_limit_recorded_as_error(client: Any, session: Any, records: list[Any]) -> None:
    with pytest.raises(openai.RateLimitError), am_openai.track_call(session, model="rate-limited"):
        client.chat.completions.create(model="rate-limited", messages=MESSAGES)
    assert (records[0]["outcome"], records[0]["error_type"]) == ("error", "RateLimitError")
    t = session.totals()
    assert (t.model_calls, t.model_errors, t.calls_missing_usage) == (1, 1, 1)


def test_async_client_streamed(base_url: str, session: Any) -> None:
    async def run() -> None:
        async with openai.AsyncOpenAI(base_url=base_url, api_key="test", max_retries=0) as c:
            stream = await c.chat.completions.create(
                model="gpt-4o", messages=MESSAGES, stream=True,
                stream_options={"include_usage": True},
            )
            tracked: AsyncIterator[Any] = am_openai.track_async_stream(session, stream)
            assert len([chunk async for chunk in tracked]) == 5

    asyncio.run(run())
    assert_gpt4o_totals(session)
    assert_timed(session, 1, streamed=1)
