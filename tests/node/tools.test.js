"use strict";
// The get_metrics agent tool through the Node API: every case of the shared contract
// (tests/shared/metrics_tool_cases.json, which Python's test_tools.py checks too), the current
// session, the definitions and the AI SDK form.
const { test } = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const am = require("agentmetrics-native");
const { FakeClock } = require("./fixtures.js");

const CASES = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "shared", "metrics_tool_cases.json"), "utf8")).cases;

function seedStore(clock) {
  const rec = new am.Recorder({ clock: clock.clock, wallClock: clock.wallClock });
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "agentmetrics-tool-")), "m.db");
  rec.openStore({ database: file });
  const s = rec.session({ sessionId: "s1", agent: "coder" });
  s.turnBegin();
  s.recordModelCall({ model: "gpt-4o", usage: { inputTokens: 1000, outputTokens: 100 }, durationMs: 7000 });
  s.recordToolCall("search", { durationMs: 1, error: "timeout", errorMessage: "took too long" });
  s.turnEnd();
  s.close();
  rec.flush();
  return { rec, file };
}

function at(doc, dotted) {
  let value = doc;
  for (const part of dotted.split(".")) {
    if (value === undefined || value === null) return undefined;
    value = Array.isArray(value) && /^\d+$/.test(part) ? value[Number(part)] : value[part];
  }
  return value;
}

function checkCase(result, c) {
  for (const [key, expected] of Object.entries(c.expect)) {
    if (key.endsWith("~")) {
      const actual = at(result, key.slice(0, -1));
      assert.ok(typeof actual === "string" && actual.includes(expected), `${JSON.stringify(c.args)}: ${key} = ${actual}`);
    } else {
      assert.deepEqual(at(result, key), expected, `${JSON.stringify(c.args)}: ${key} in ${JSON.stringify(result)}`);
    }
  }
}

test("every shared case, over the recorder, a History and the store's path", () => {
  const clock = new FakeClock();
  const { rec, file } = seedStore(clock);
  const nowNs = clock.wall + clock.now; // the recorder's wall clock: "period" ends there for all three
  const sources = [am.metricsTool(rec), am.metricsTool(new am.History(file), { nowNs }), am.metricsTool(file, { nowNs })];
  for (const c of CASES) {
    const results = sources.map((tool) => tool.call(c.args));
    checkCase(results[0], c);
    assert.deepEqual(results[1], results[0]);
    assert.deepEqual(results[2], results[0]);
    assert.deepEqual(am.getMetrics(file, JSON.stringify(c.args), { nowNs }), results[0]); // JSON text in
  }
  rec.close();
});

test("period ends at nowNs", () => {
  const clock = new FakeClock();
  const { rec, file } = seedStore(clock);
  const later = clock.wall + clock.now + 2n * 3600n * 1_000_000_000n;
  const tool = am.metricsTool(file, { nowNs: later });
  assert.equal(tool.call({ action: "summary", period: "hour" }).model_calls, 0);
  assert.equal(tool.call({ action: "summary", period: "day" }).model_calls, 1);
  assert.equal(tool.call({ action: "summary", period: "hour" }, { nowNs: clock.wall + clock.now }).model_calls, 1);
  rec.close();
});

test("the current session, live and without a store", () => {
  const rec = new am.Recorder({ bundledPrices: true });
  const s = rec.session({ sessionId: "live", agent: "x", tags: { k: "v" } });
  s.recordModelCall({ model: "gpt-4o", usage: { inputTokens: 10, outputTokens: 1 } });
  const tool = am.metricsTool(rec, { session: s });
  const live = tool.call({ action: "session" });
  assert.deepEqual(live.session, { session_id: "live", agent: "x", k: "v" });
  assert.equal(live.totals.model_calls, 1);
  assert.equal(live.totals.input_tokens, 10);
  assert.equal(live.totals.cache_read_tokens, null);
  assert.equal(live.turn, null);
  assert.equal(live.model_call_durations.count, 0);
  assert.deepEqual(JSON.parse(JSON.stringify(live)), live);
  // This recorder keeps no store: a readable error, no throw.
  assert.match(tool.call({ action: "summary" }).error, /openStore/);
  assert.match(am.metricsTool(rec).call({ action: "session" }).error, /session_id is required/);
  s.close();
  rec.close();
});

test("definitions: OpenAI, Anthropic, AI SDK", async () => {
  const tool = am.metricsTool(new am.Recorder());
  assert.equal(tool.openaiTool.function.name, "get_metrics");
  assert.equal(tool.openaiTool.function.parameters, am.METRICS_TOOL.parameters);
  assert.deepEqual(tool.anthropicTool.input_schema.required, ["action"]);
  assert.deepEqual(am.METRICS_TOOL.actions, ["summary", "costs", "tools", "session", "slow", "errors"]);
  assert.deepEqual(am.METRICS_TOOL.parameters.properties.action.enum, am.METRICS_TOOL.actions);
  const jsonSchema = (schema) => ({ jsonSchema: schema }); // the AI SDK helper's shape
  const aiTool = tool.aiSdkTool(jsonSchema);
  assert.equal(aiTool.inputSchema.jsonSchema, am.METRICS_TOOL.parameters);
  assert.equal(aiTool.description, am.METRICS_TOOL.description);
  assert.match((await aiTool.execute({ action: "nonsense" })).error, /action must be one of/);
  assert.throws(() => tool.aiSdkTool(), TypeError);
  assert.throws(() => am.metricsTool(42), TypeError);
});

test("an ADK partial response records no usage: the core's rule, the binding passes the flag", () => {
  const rec = new am.Recorder();
  const s = rec.session({ sessionId: "adk" });
  s.recordModelCall({ model: "gpt-4o", usage: { inputTokens: 100, outputTokens: 10 }, partial: true });
  assert.equal(s.totals().callsMissingUsage, 1);
  s.recordModelCall({ model: "gpt-4o", usage: { inputTokens: 100, outputTokens: 10 } });
  assert.equal(s.totals().inputTokens, 100);
  s.close();
  rec.close();
});
