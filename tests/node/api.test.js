"use strict";
// Recorder, sessions, turns, tool calls, budgets, display, errors and clocks through the Node API.
const { test } = require("node:test");
const assert = require("node:assert/strict");
const am = require("agentmetrics-native");
const { FakeClock } = require("./fixtures.js");

const USAGE = { inputTokens: 1000, cacheReadTokens: 500, outputTokens: 200, reasoningTokens: 50 };

function setup() {
  const clock = new FakeClock();
  const rec = new am.Recorder({ clock: clock.clock, wallClock: clock.wallClock });
  return { clock, rec };
}

test("session totals, exact cost and the per-turn line", () => {
  const { clock, rec } = setup();
  const s = rec.session({ sessionId: "thread-1", agent: "planner", phase: "plan", tags: { team: "a" } });
  assert.deepEqual(s.labels, { session_id: "thread-1", agent: "planner", phase: "plan", team: "a" });
  s.turnBegin();
  assert.equal(s.recordModelCall({ model: "gpt-4o", usage: USAGE, durationMs: 1200 }), "ok");
  clock.advance(2_300_000_000);
  s.turnEnd();
  const t = s.totals();
  assert.deepEqual([t.modelCalls, t.inputTokens, t.cacheReadTokens, t.outputTokens, t.reasoningTokens, t.totalTokens,
    t.cacheWriteTokens], [1, 1000, 500, 200, 50, 1700, null]);
  assert.equal(t.cost.total, "0.005125"); // 1000 * 2.5e-6 + 500 * 1.25e-6 + 200 * 1e-5, exactly
  assert.equal(s.formatTurn(),
    "  1,500 in · 200 out · 50 reasoning · 500 cached · 1,700 total (session 1,700) · $0.0051 · 2.3s");
  assert.equal(s.formatTurn({ color: true }), `\x1b[2m${s.formatTurn()}\x1b[0m`);
  assert.equal(s.turnStats().durationMs, 2300);
  assert.equal(s.durations("model_call").p50Ms, 1200);
  s.close();
  assert.throws(() => s.totals(), (e) => e instanceof am.AgentMetricsError && /closed/.test(e.message));
  rec.close();
});

test("missing usage is never zero; sessions do not leak", () => {
  const { rec } = setup();
  const a = rec.session({ sessionId: "same" });
  const b = rec.session({ sessionId: "same" });
  a.recordModelCall({ model: "gpt-4o" });
  a.recordModelCall({ model: "gpt-4o", usage: { inputTokens: null, outputTokens: 5 } });
  const t = a.totals();
  assert.deepEqual([t.callsMissingUsage, t.callsWithUsage, t.inputTokens, t.outputTokens, t.totalTokens], [1, 1, null, 5, null]);
  assert.equal(b.totals().modelCalls, 0);
  assert.equal(rec.totals().modelCalls, 2);
});

test("totals count the calls folded into (other) past the session's distinct names", () => {
  const { rec } = setup();
  const s = rec.session();
  for (let i = 0; i < 1000 + 3; ++i) s.recordToolCall(`tool-${String(i).padStart(4, "0")}`, { durationMs: 1 });
  s.recordToolCall("tool-0000", { durationMs: 1 }); // a known name keeps its own group
  const t = s.totals();
  assert.deepEqual([t.toolCalls, t.foldedCalls], [1004, 3]);
  const other = rec.session();
  other.recordToolCall("plain", { durationMs: 1 });
  assert.equal(other.totals().foldedCalls, 0);
});

test("parallel tool calls, errors and batch mode", async () => {
  const { clock, rec } = setup();
  const s = rec.session();
  s.turnBegin();
  s.toolStart("search", "a");
  clock.advance(100);
  s.toolStart("fetch", "b");
  clock.advance(300);
  s.toolEnd("a");
  clock.advance(100);
  s.toolEnd("b", { error: "timeout", errorMessage: "took too long" });
  assert.throws(() => s.toolEnd("never"), (e) => e.status === "AGM_E_STATE");
  await assert.rejects(s.toolCall("parse", () => { clock.advance(50); throw new SyntaxError("bad json"); }), SyntaxError);
  s.recordToolCall("cache", { durationMs: 0.000007 });
  const stats = s.turnStats();
  assert.deepEqual([stats.toolWallMs, stats.toolCalls], [0.00055, 4]);
  const tools = s.breakdown("tool");
  assert.equal(tools.fetch.lastError, "took too long");
  assert.equal(tools.parse.lastError, "bad json");
  assert.equal(tools.search.durations.tool_call.maxMs, 0.0004);
  s.turnEnd();
  s.turnBegin();
  clock.advance(1_000);
  s.recordModelCall({ model: "m", sinceLastStep: true });
  clock.advance(3_000);
  s.recordToolCall("t", { sinceLastStep: true });
  assert.equal(s.durations("model_call").sumMs, 0.001);
  assert.equal(s.breakdown("tool").t.durations.tool_call.sumMs, 0.003);
});

test("budgets: a notice, the callback, the record kept", () => {
  const { rec } = setup();
  const s = rec.session({ sessionId: "b" });
  const events = [];
  s.addBudget({ maxTokens: 1000, callback: (e) => events.push(e) });
  assert.equal(s.recordModelCall({ model: "gpt-4o", usage: { inputTokens: 100, outputTokens: 10 } }), "ok");
  assert.equal(s.recordModelCall({ model: "gpt-4o", usage: { inputTokens: 900, outputTokens: 10 } }), "budget_exceeded");
  assert.equal(s.totals().modelCalls, 2);
  assert.equal(events.length, 1);
  assert.deepEqual([events[0].kind, events[0].measure, events[0].sessionId, events[0].tokens, events[0].maxTokens],
    ["limit", "tokens", "b", 1020, 1000]);
  const w = rec.session();
  w.addBudget({ maxCost: "0.001", warn: true });
  assert.equal(w.recordModelCall({ model: "gpt-4o", usage: { inputTokens: 1000, outputTokens: 0 } }), "budget_warning");
  assert.throws(() => w.addBudget({ maxCost: 0.5 }), TypeError);
});

test("bad arguments throw TypeError or RangeError and change nothing", () => {
  const { rec } = setup();
  const s = rec.session();
  assert.throws(() => s.recordModelCall({ model: 3 }), TypeError);
  assert.throws(() => s.recordModelCall({ usage: { inputTokens: -1 } }), RangeError);
  assert.throws(() => s.recordModelCall({ usage: { inputTokens: 1.5 } }), /usage.inputTokens must be a whole number >= 0, not 1.5/);
  assert.throws(() => s.recordModelCall({ usage: { prompt_tokens: 1 } }), /usageFormat/);
  assert.throws(() => s.recordModelCall({ durationMs: -1 }), RangeError);
  assert.throws(() => s.recordModelCall({ durationMs: "1" }), TypeError);
  assert.throws(() => s.recordModelCall({ usageFormat: "nope", usage: {} }), RangeError);
  assert.throws(() => s.recordModelCall({ source: "toolbox" }), RangeError);
  assert.throws(() => s.turnEnd(), (e) => e instanceof am.AgentMetricsError && e.status === "AGM_E_STATE");
  assert.throws(() => s.durations("nope"), RangeError);
  assert.throws(() => am.formatTokens(-1), RangeError);
  assert.throws(() => rec.loadPrices("{not json"), (e) => e.status === "AGM_E_CORRUPT");
  assert.equal(s.totals().modelCalls, 0);
});

test("labels over AGM_MAX_LABEL_BYTES throw a RangeError and change nothing", () => {
  const { rec } = setup();
  const long = "m".repeat(1025);
  const s = rec.session();
  assert.throws(() => s.recordModelCall({ model: long, usage: { inputTokens: 1, outputTokens: 1 } }),
    (e) => e instanceof RangeError && /call->model is 1025 bytes long/.test(e.message));
  assert.throws(() => s.recordToolCall(long), /call->name is 1025 bytes long/);
  assert.throws(() => rec.session({ agent: long }), /opts->agent is 1025 bytes long.*AGM_MAX_LABEL_BYTES/);
  s.recordModelCall({ model: "m".repeat(1024), usage: { inputTokens: 1, outputTokens: 1 } });
  assert.equal(s.totals().modelCalls, 1);
  assert.equal(s.totals().toolCalls, 0);
});

test("prices, cost without recording, usage streams", () => {
  const { rec } = setup();
  rec.setPrice("my-model", { input_cost_per_token: 1e-6, output_cost_per_token: 2e-6 });
  assert.equal(rec.cost("my-model", { inputTokens: 1000, outputTokens: 500 }).total, "0.002");
  assert.equal(rec.cost("no-such-model", { inputTokens: 1 }), null);
  assert.equal(rec.price("openai/gpt-4o").resolved, "gpt-4o");
  assert.equal(rec.price("no-such-model"), null);
  assert.ok(am.bundledPricesInfo().models > 100);
  const stream = new am.UsageStream("anthropic");
  stream.add({ type: "message_start", message: { usage: { input_tokens: 20, output_tokens: 1 } } });
  stream.add({ type: "message_delta", usage: { output_tokens: 300 } });
  const u = stream.result();
  assert.deepEqual([u.inputTokens, u.outputTokens, u.totalTokens], [20, 300, 320]);
  assert.throws(() => new am.UsageStream("mastra"), (e) => e.status === "AGM_E_UNSUPPORTED");
});

test("an injected clock drives durations; nowNs reads it", () => {
  const { clock, rec } = setup();
  const s = rec.session();
  assert.equal(s.nowNs(), clock.now);
  const start = s.nowNs();
  clock.advance(42_000);
  s.recordModelCall({ model: "m", startNs: start });
  assert.equal(s.durations().sumMs, 0.042);
  // The default clock is the one process.hrtime reads.
  const real = new am.Recorder().session();
  real.recordModelCall({ model: "m", startNs: process.hrtime.bigint() - 5_000_000n });
  const d = real.durations().sumMs;
  assert.ok(d >= 5 && d < 60_000, String(d));
});

test("a clock that throws: the record still counts, the error surfaces", () => {
  const rec = new am.Recorder({ clock: () => { throw new Error("clock broke"); } });
  const s = rec.session();
  assert.throws(() => s.recordModelCall({ model: "m" }), /clock broke/);
  assert.equal(s.totals().modelCalls, 1);
});

test("closing a recorder leaves its sessions working", () => {
  const { rec } = setup();
  const s = rec.session();
  rec.close();
  assert.throws(() => rec.totals(), /closed/);
  s.recordModelCall({ model: "m", usage: { inputTokens: 1, outputTokens: 1 } });
  assert.equal(s.totals().modelCalls, 1);
});

test("ESM and CommonJS give the same module", async () => {
  const esm = await import("agentmetrics-native");
  assert.equal(esm.Recorder, am.Recorder);
  assert.equal(esm.default, am);
});
