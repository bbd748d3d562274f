"""Every case of ../shared/fixtures (usage, cost, format) through the Python API: the same
results as the C tests give."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

import agentmetrics as am
from conftest import fixture_dir, load_fixture

USAGE_FILES = ["openai_chat", "openai_responses", "anthropic", "google_genai", "bedrock",
               "ai_sdk_v4", "ai_sdk_v5", "ai_sdk_v6", "mastra"]
FIELDS = ["input_tokens", "cache_read_tokens", "cache_write_tokens", "output_tokens",
          "reasoning_tokens", "total_tokens"]


def usage_cases() -> list[Any]:
    cases = []
    for file in USAGE_FILES:
        for case in load_fixture("usage", f"{file}.json"):
            cases.append(pytest.param(file, case, id=f"{file}/{case['name']}"))
    return cases


def context_of(case: dict[str, Any]) -> dict[str, Any]:
    ctx = case.get("context") or {}
    model = ctx.get("model") if isinstance(ctx.get("model"), dict) else {}
    return {
        "provider": ctx.get("provider") or model.get("provider"),
        "model_version": model.get("version"),
        "stream_event": ctx.get("stream_event"),
        "partial": bool(ctx.get("adk_partial")),
    }


@pytest.mark.parametrize(("file", "case"), usage_cases())
def test_usage(file: str, case: dict[str, Any]) -> None:
    ctx = context_of(case)
    usage = am.normalize_usage(case["payload"] if case["payload"] is not None else "null", file, **ctx)
    expected = case["expected"]
    if expected is None:
        assert usage.missing, "no usage record expected"
    else:
        assert {f: getattr(usage, f) for f in FIELDS} == {f: expected[f] for f in FIELDS}


@pytest.mark.parametrize(("file", "case"), usage_cases())
def test_usage_recorded(file: str, case: dict[str, Any]) -> None:
    # The same payload recorded in one step gives the same totals, missing usage as missing.
    ctx = context_of(case)
    with am.Recorder() as rec, rec.session() as s:
        s.record_model_call(model="m", usage=case["payload"] if case["payload"] is not None else "null",
                            usage_format=file, usage_provider=ctx["provider"],
                            model_version=ctx["model_version"], stream_event=ctx["stream_event"],
                            partial=ctx["partial"])
        totals = s.totals()
    expected = case["expected"]
    assert totals.calls_missing_usage == (1 if expected is None else 0)
    if expected is not None:
        assert {f: getattr(totals, f) for f in FIELDS} == {f: expected[f] for f in FIELDS}


COST = load_fixture("cost", "cases.json")


@pytest.fixture(scope="module")
def cost_recorder() -> Any:
    rec = am.Recorder(bundled_prices=False)  # the fixture table is the only table
    rec.load_prices(COST["pricing"])
    yield rec
    rec.close()


@pytest.mark.parametrize("case", COST["cases"], ids=[c["name"] for c in COST["cases"]])
def test_cost(cost_recorder: am.Recorder, case: dict[str, Any]) -> None:
    usage = am.Usage(**{k: v for k, v in case["usage"].items() if k != "total_tokens"})
    cost = cost_recorder.cost(case["model"], usage)
    expected = case["expected_cost_usd"]
    if expected is None:
        assert cost is None
    else:
        assert cost is not None and cost.total == Decimal(expected)
        parts = [cost.input, cost.cache_read, cost.cache_write_5m, cost.cache_write_1h, cost.output, cost.reasoning]
        assert sum(parts, Decimal(0)) == cost.total
    # Recording gives the same exact amount, and an unpriced call is counted as such.
    with cost_recorder.session() as s:
        s.record_model_call(model=case["model"], usage=usage)
        totals = s.totals()
    assert totals.total_cost == (None if expected is None else Decimal(expected))
    assert totals.calls_unpriced == (1 if expected is None else 0)


FORMAT = load_fixture("format", "cases.json")


@pytest.mark.parametrize(("tokens", "text"), FORMAT["tokens"])
def test_format_tokens(tokens: int, text: str) -> None:
    assert am.format_tokens(tokens) == text


@pytest.mark.parametrize(("ms", "text"), FORMAT["duration_ms"])
def test_format_duration(ms: float, text: str) -> None:
    assert am.format_duration_ms(ms) == text
    if float(ms).is_integer():
        assert am.format_duration_ns(int(ms) * 1_000_000) == text


@pytest.mark.parametrize(("amount", "text"), FORMAT["cost_usd"])
def test_format_cost(amount: str, text: str) -> None:
    assert am.format_cost(amount) == text
    assert am.format_cost(Decimal(amount)) == text


def test_fixture_folders_exist() -> None:
    for kind in ("usage", "cost", "format"):
        assert fixture_dir(kind).is_dir(), fixture_dir(kind)


def sdk_types() -> dict[str, Any]:
    """The SDK's own usage class for each fixture file (when the SDK is installed)."""
    types: dict[str, Any] = {}
    try:
        from openai.types import CompletionUsage
        from openai.types.responses import ResponseUsage

        types.update(openai_chat=CompletionUsage, openai_responses=ResponseUsage)
    except ImportError:
        pass
    try:
        from anthropic.types import Usage

        types["anthropic"] = Usage
    except ImportError:
        pass
    try:
        from google.genai.types import GenerateContentResponseUsageMetadata

        types["google_genai"] = GenerateContentResponseUsageMetadata
    except ImportError:
        pass
    return types


SDK_TYPES = sdk_types()


@pytest.mark.parametrize(("file", "case"), [c for c in usage_cases() if c.values[0] in
                                            ("openai_chat", "openai_responses", "anthropic", "google_genai")])
def test_usage_from_sdk_objects(file: str, case: dict[str, Any]) -> None:
    # The payload as the SDK's own object, recognised by its class: the same numbers.
    if file not in SDK_TYPES:
        pytest.skip(f"the SDK for {file} is not installed")
    ctx = context_of(case)
    if not isinstance(case["payload"], dict) or ctx["stream_event"] or ctx["partial"]:
        pytest.skip("not a plain usage object (a stream event or a partial response)")
    try:
        usage = SDK_TYPES[file].model_validate(case["payload"])
    except ValueError:
        pytest.skip("the SDK's type does not accept this payload (another SDK version's shape)")
    normalized = am.normalize_usage(usage)
    with am.Recorder() as rec, rec.session() as s:
        s.record_model_call(model="m", usage=usage)
        totals = s.totals()
    expected = case["expected"]
    if expected is None:
        assert normalized.missing and totals.calls_missing_usage == 1
    else:
        assert {f: getattr(normalized, f) for f in FIELDS} == {f: expected[f] for f in FIELDS}
        assert {f: getattr(totals, f) for f in FIELDS} == {f: expected[f] for f in FIELDS}
