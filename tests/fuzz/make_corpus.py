#!/usr/bin/env python3
"""Seed corpora of the libFuzzer harnesses (tests/fuzz), generated from the fixtures at run time
(nothing is copied into the repository).

    make_corpus.py OUT_DIR

writes OUT_DIR/usage, OUT_DIR/prices, OUT_DIR/journal and OUT_DIR/invocation. Fixture folders: AGM_USAGE_FIXTURES
and AGM_COST_FIXTURES when set, else usage/ and cost/ of ../shared/fixtures beside the
repository (as the test suite finds them). The price seeds add slices of the bundled table
(core/data/litellm_prices.json).
"""
import hashlib
import json
import os
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = ROOT.parent / "shared" / "fixtures"

# fixture file -> AGM_FORMAT_* (metrics_c.h); the first five have streams.
FORMATS = {"openai_chat": 1, "openai_responses": 2, "anthropic": 3, "google_genai": 4, "bedrock": 5,
           "ai_sdk_v4": 6, "ai_sdk_v5": 7, "ai_sdk_v6": 8, "mastra": 9}


def fixture_dir(env, kind):
    path = pathlib.Path(os.environ.get(env) or FIXTURES / kind)
    if not path.is_dir():
        sys.exit(f"make_corpus.py: no fixtures at {path} (set {env})")
    return path


def compact(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def write(folder, data):
    """One seed, named by its content (duplicates collapse)."""
    if isinstance(data, str):
        data = data.encode()
    (folder / hashlib.sha1(data).hexdigest()).write_bytes(data)


def stream_events(fmt, payload, event):
    """The payload wrapped as the stream events of its format (agm_usage_stream_add)."""
    if fmt == 1:
        return [{"choices": [{"delta": {"content": "hi"}}]}, {"choices": [], "usage": payload}]
    if fmt == 2:
        return [{"type": "response.created"}, {"type": event or "response.completed", "response": {"usage": payload}}]
    if fmt == 3:
        return [{"type": "message_start", "message": {"usage": payload}}, {"type": "message_delta", "usage": payload}]
    if fmt == 4:
        return [{"candidates": []}, {"usageMetadata": payload}, {"usage_metadata": payload}]
    return [{"contentBlockDelta": {}}, {"metadata": {"usage": payload}}]


def usage_seeds(out):
    folder = out / "usage"
    folder.mkdir(parents=True, exist_ok=True)
    fixtures = fixture_dir("AGM_USAGE_FIXTURES", "usage")
    for name, fmt in FORMATS.items():
        for case in json.loads((fixtures / f"{name}.json").read_text()):
            ctx = case.get("context") or {}
            model = ctx.get("model") if isinstance(ctx.get("model"), dict) else {}
            provider = ctx.get("provider") if isinstance(ctx.get("provider"), str) else model.get("provider")
            version = model.get("version")
            event = ctx.get("stream_event")
            flags = (1 if ctx.get("adk_partial") else 0) | (2 if provider else 0) | (4 if version else 0) | \
                (8 if event else 0)
            head = bytes([fmt - 1, flags]) + b"".join(
                s.encode() + b"\n" for s in (provider, version, event) if s)
            write(folder, head + compact(case["payload"]).encode())
            if fmt <= 5:
                events = stream_events(fmt, case["payload"], ctx.get("event"))
                write(folder, bytes([fmt - 1, flags | 16]) + head[2:] +
                      "\n".join(compact(e) for e in events).encode())


def prices_seeds(out):
    folder = out / "prices"
    folder.mkdir(parents=True, exist_ok=True)
    fixtures = fixture_dir("AGM_COST_FIXTURES", "cost")
    for path in sorted(fixtures.glob("*.json")):
        doc = json.loads(path.read_text())
        if isinstance(doc, dict) and isinstance(doc.get("pricing"), dict):
            write(folder, json.dumps(doc["pricing"], indent=1))
            for model, entry in doc["pricing"].items():
                write(folder, compact({model: entry}))
    bundled = json.loads((ROOT / "core" / "data" / "litellm_prices.json").read_text())
    # Small slices, every kind of entry: tiers, cache rates, reasoning, entries without rates.
    items = list(bundled.items())
    for i in range(0, len(items), 97):
        write(folder, compact(dict(items[i:i + 3])))
    write(folder, '{"sample_spec": {"input_cost_per_token": 0}, "m": {"input_cost_per_token": 1e-06}}')


def journal_seeds(out):
    """Lines of every record kind (record.hpp's schema), with the usage fixtures' counts."""
    folder = out / "journal"
    folder.mkdir(parents=True, exist_ok=True)
    fixtures = fixture_dir("AGM_USAGE_FIXTURES", "usage")
    ts = 1767225600000000000
    lines = [
        {"v": 1, "kind": "session", "ts": ts, "session": "s-1", "agent": "planner", "phase": "plan",
         "task": "t-9", "tags": {"team": "core", "run": "ci"}},
        {"v": 1, "kind": "tool_call", "ts": ts + 5, "session": "s-1", "turn": 1, "tool": "search",
         "call_id": "c-1", "outcome": "error", "error_type": "Timeout", "error": "timed out \u00e9\\n",
         "duration_ns": 1200000, "input_bytes": 10, "output_bytes": 0},
        {"v": 1, "kind": "turn", "ts": ts + 9, "session": "s-1", "turn": 1, "duration_ns": 5000000,
         "tool_wall_ns": 1200000, "tool_work_ns": 1200000, "model_calls": 1, "tool_calls": 1,
         "tokens": 40, "cost": 0.0002},
        {"v": 1, "kind": "invocation", "ts": ts, "agent": "builder", "timestamp": "2026-01-01T00:00:00.000Z",
         "invocation_id": "i-1", "phase": 2, "task_id": "t-1", "duration_ns": 3000000000, "tokens": 1500,
         "input_tokens": 1000, "output_tokens": 500, "cached_tokens": 200, "cost": 0.0125, "exit_code": 0,
         "success": True, "attempt": 1, "output_parsed": True, "model": "gpt-4o", "tier": "standard",
         "error_class": ""},
    ]
    keys = {"input_tokens": "input", "cache_read_tokens": "cache_read", "cache_write_tokens": "cache_write",
            "output_tokens": "output", "reasoning_tokens": "reasoning", "total_tokens": "total"}
    for name in FORMATS:
        for n, case in enumerate(json.loads((fixtures / f"{name}.json").read_text())):
            expected = case.get("expected")
            line = {"v": 1, "kind": "model_call", "ts": ts + n, "session": "s-1", "agent": name, "turn": 1,
                    "model": "claude-sonnet-4-5", "provider": "anthropic", "source": "agent",
                    "stop_reason": "end_turn", "attempt": 1 + n % 2, "outcome": "ok", "duration_ns": 800000 + n,
                    "ttft_ns": 20000}
            if expected:
                line["usage"] = {keys[k]: v for k, v in expected.items() if k in keys and v is not None}
                line["cost"] = {"input": 0.000075, "cache_read": 0, "cache_write_5m": 0, "cache_write_1h": 0,
                                "output": 0.000225, "reasoning": 0, "total": 0.0003}
            lines.append(line)
    encoded = [compact(line) for line in lines]
    for line in encoded:
        write(folder, line + "\n")
    write(folder, "\n".join(encoded) + "\n")
    # A torn tail, a blank line and a line of another schema version between good ones.
    write(folder, encoded[0] + "\n\n" + encoded[4][:37] + "\n" + encoded[1].replace('"v":1', '"v":2') + "\n" +
          encoded[5])


def invocation_seeds(out):
    """agm_recorder_record_invocation_json inputs: seed 004's InvocationMetric in its camelCase,
    in snake_case, mixed, and with each kind of value left out or null."""
    folder = out / "invocation"
    folder.mkdir(parents=True, exist_ok=True)
    camel = {"invocationId": "i-1", "agent": "builder", "phase": 2, "taskId": "t-1", "durationMs": 1500.25,
             "tokens": 1500, "inputTokens": 1000, "outputTokens": 500, "cachedTokens": 200, "cost": 0.0125,
             "exitCode": 137, "success": False, "attempt": 2, "outputParsed": True, "model": "gpt-4o",
             "tier": "high", "timestamp": "2026-01-01T00:00:00.000+01:00", "errorClass": "oom \u00e9"}
    snake = {"invocation_id": "i-2", "agent": "reviewer", "phase": 1, "task_id": "t-2", "duration_ns": 3000000000,
             "tokens": 10, "input_tokens": 7, "output_tokens": 3, "cached_tokens": 0, "cost": 1e-18,
             "exit_code": 0, "success": True, "attempt": 1, "output_parsed": False, "model": "m", "tier": "low",
             "timestamp": "2026-01-01T00:00:00Z", "error_class": None}
    mixed = {"invocationId": "i-3", "agent": "a", "duration_ms": 0, "input_tokens": 1, "outputTokens": None}
    for seed in (camel, snake, mixed, {"invocationId": "x", "agent": "a"}):
        write(folder, compact(seed))
    for key in camel:
        write(folder, compact({k: v for k, v in camel.items() if k != key}))


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = pathlib.Path(sys.argv[1])
    usage_seeds(out)
    prices_seeds(out)
    journal_seeds(out)
    invocation_seeds(out)
    for kind in ("usage", "prices", "journal", "invocation"):
        print(f"{kind}: {len(list((out / kind).iterdir()))} seeds")


if __name__ == "__main__":
    main()
