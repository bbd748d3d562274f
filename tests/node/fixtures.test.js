"use strict";
// Every case of ../shared/fixtures (usage, cost, format) through the Node API: the same results
// as the C and Python tests give.
const { test } = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const am = require("agentmetrics-native");
const { fixtureDir, loadFixture } = require("./fixtures.js");

const USAGE_FILES = ["openai_chat", "openai_responses", "anthropic", "google_genai", "bedrock",
  "ai_sdk_v4", "ai_sdk_v5", "ai_sdk_v6", "mastra"];
const FIELDS = { input_tokens: "inputTokens", cache_read_tokens: "cacheReadTokens",
  cache_write_tokens: "cacheWriteTokens", output_tokens: "outputTokens", reasoning_tokens: "reasoningTokens",
  total_tokens: "totalTokens" };

function contextOf(c) {
  const ctx = c.context || {};
  const model = typeof ctx.model === "object" && ctx.model !== null ? ctx.model : {};
  return { provider: ctx.provider || model.provider, modelVersion: model.version, streamEvent: ctx.stream_event,
    partial: ctx.adk_partial === true };
}

function picked(usage) {
  return Object.fromEntries(Object.values(FIELDS).map((f) => [f, usage[f]]));
}
function expectedOf(expected) {
  return Object.fromEntries(Object.entries(FIELDS).map(([k, f]) => [f, expected[k]]));
}

test("fixture folders exist", () => {
  for (const kind of ["usage", "cost", "format"]) assert.ok(fs.statSync(fixtureDir(kind)).isDirectory(), fixtureDir(kind));
});

for (const file of USAGE_FILES) {
  for (const c of loadFixture("usage", `${file}.json`)) {
    test(`usage ${file}/${c.name}`, () => {
      const ctx = contextOf(c);
      const usage = am.normalizeUsage(c.payload, file, ctx);
      // Recorded in one step: the same numbers, and a payload without usage counts as missing.
      const rec = new am.Recorder();
      const s = rec.session();
      s.recordModelCall({ model: "m", usage: c.payload, usageFormat: file, usageProvider: ctx.provider,
        modelVersion: ctx.modelVersion, streamEvent: ctx.streamEvent, partial: ctx.partial });
      const totals = s.totals();
      s[Symbol.dispose]();
      rec.close();
      if (c.expected === null) {
        assert.deepEqual(Object.values(picked(usage)), Array(6).fill(null));
        assert.equal(totals.callsMissingUsage, 1);
      } else {
        assert.deepEqual(picked(usage), expectedOf(c.expected));
        assert.deepEqual(picked(totals), expectedOf(c.expected));
      }
    });
  }
}

const COST = loadFixture("cost", "cases.json");
const costRecorder = new am.Recorder({ bundledPrices: false }); // the fixture table is the only one
costRecorder.loadPrices(COST.pricing);
const CANONICAL = { input_tokens: "inputTokens", cache_read_tokens: "cacheReadTokens",
  cache_write_tokens: "cacheWriteTokens", cache_write_1h_tokens: "cacheWrite1hTokens",
  output_tokens: "outputTokens", reasoning_tokens: "reasoningTokens" };

for (const c of COST.cases) {
  test(`cost ${c.name}`, () => {
    const usage = Object.fromEntries(Object.entries(CANONICAL).map(([k, f]) => [f, c.usage[k] ?? null]));
    const cost = costRecorder.cost(c.model, usage);
    assert.equal(cost === null ? null : cost.total, c.expected_cost_usd);
    const s = costRecorder.session();
    s.recordModelCall({ model: c.model, usage });
    const totals = s.totals();
    s.close();
    assert.equal(totals.cost === null ? null : totals.cost.total, c.expected_cost_usd);
    assert.equal(totals.callsUnpriced, c.expected_cost_usd === null ? 1 : 0);
  });
}

const FORMAT = loadFixture("format", "cases.json");
for (const [tokens, text] of FORMAT.tokens) {
  test(`formatTokens ${tokens}`, () => assert.equal(am.formatTokens(tokens), text));
}
for (const [ms, text] of FORMAT.duration_ms) {
  test(`formatDurationMs ${ms}`, () => {
    assert.equal(am.formatDurationMs(ms), text);
    if (Number.isInteger(ms)) assert.equal(am.formatDurationNs(BigInt(ms) * 1_000_000n), text);
  });
}
for (const [amount, text] of FORMAT.cost_usd) {
  test(`formatCost ${amount}`, () => assert.equal(am.formatCost(amount), text));
}
