"use strict";
// The values of metrics_c.h reach JavaScript only through the addon (native.constants, built
// from the header's macros), and the package version is the header's. Each test reads the
// header the package ships (include/agentmetrics/metrics_c.h) as an independent source: a macro
// changed in the header without the addon being rebuilt from it, or a value typed into
// lib/index.js or lib/http.js again, fails here.
const { test } = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const am = require("agentmetrics-native");
const ROOT = path.dirname(require.resolve("agentmetrics-native/package.json"));
const http = require(path.join(ROOT, "bindings", "node", "lib", "http.js")); // the instance index.js uses
const HEADER = fs.readFileSync(path.join(ROOT, "include", "agentmetrics", "metrics_c.h"), "utf8");
const C = am._native.constants;
const E = am._enums;

// Every integer #define of the header: 7, (-7), 7u, (1u << 7), (64ull << 20).
const MACROS = new Map();
for (const [, name, text] of HEADER.matchAll(/^#define (AGM_\w+) +([^\s/][^/\n]*?)\s*(?:\/\*.*)?$/gm)) {
  const m = /^\(?(-?\d+)u?l{0,2}(?: << (\d+))?\)?$/.exec(text.trim());
  if (m) MACROS.set(name, Number(m[1]) * 2 ** Number(m[2] ?? 0));
}
const macro = (name) => {
  assert.ok(MACROS.has(name), `metrics_c.h has no integer macro ${name}`);
  return MACROS.get(name);
};

// The group of the addon's constants.<group> in the header: its macros' prefix, and the macros
// with that prefix that are not members (sizes, initialisers, presence bits of other structs).
const GROUPS = {
  status: { prefix: "AGM_", members: /^AGM_(OK|BUDGET_EXCEEDED|BUDGET_WARNING|E_\w+)$/ },
  format: { prefix: "AGM_FORMAT_" },
  call_has: { prefix: "AGM_CALL_HAS_" },
  call_f: { prefix: "AGM_CALL_F_" },
  duration: { prefix: "AGM_DURATION_", others: /^AGM_DURATION_(HAS_|STATS_)/ },
  by: { prefix: "AGM_BY_" },
  flush: { prefix: "AGM_FLUSH_" },
  record: { prefix: "AGM_RECORD_" },
  query: { prefix: "AGM_QUERY_", others: /^AGM_QUERY_(HAS_|SIZE_)/ },
  period: { prefix: "AGM_PERIOD_" },
  export: { prefix: "AGM_EXPORT_", others: /^AGM_EXPORT_OPTIONS_/ },
  http: { prefix: "AGM_HTTP_", others: /^AGM_HTTP_(REQUEST|RESPONSE)_/ },
};
const headerGroup = (group) => {
  const { prefix, members, others } = GROUPS[group];
  return [...MACROS.keys()].filter((name) => name.startsWith(prefix) &&
    (members ? members.test(name) : !(others && others.test(name))));
};

test("the addon's constants are the header's macros, every one of each group", () => {
  assert.deepEqual(Object.keys(C).filter((g) => !["version", "usage_fields", "slots"].includes(g)).sort(),
    Object.keys(GROUPS).sort());
  for (const group of Object.keys(GROUPS)) {
    const { prefix } = GROUPS[group];
    for (const [name, value] of Object.entries(C[group])) {
      assert.equal(value, macro(prefix + name.toUpperCase()), `constants.${group}.${name}`);
    }
    // A macro added to the header is exported too (else a binding would have to retype it).
    assert.deepEqual(Object.keys(C[group]).map((n) => prefix + n.toUpperCase()).sort(), headerGroup(group).sort(),
      `constants.${group} against the header's ${prefix}* macros`);
  }
  assert.deepEqual(C.usage_fields.map(([, bit]) => bit), ["INPUT", "CACHE_READ", "CACHE_WRITE", "CACHE_WRITE_1H",
    "OUTPUT", "REASONING", "TOTAL"].map((n) => macro(`AGM_USAGE_HAS_${n}`)));
});

// The public names of the JS API (index.d.ts) and the macro each stands for: the contract.
const PUBLIC = {
  FORMATS: ["AGM_FORMAT_", { openai_chat: "OPENAI_CHAT", openai_responses: "OPENAI_RESPONSES", anthropic: "ANTHROPIC",
    google_genai: "GOOGLE_GENAI", bedrock: "BEDROCK", ai_sdk_v4: "AI_SDK_V4", ai_sdk_v5: "AI_SDK_V5",
    ai_sdk_v6: "AI_SDK_V6", mastra: "MASTRA" }],
  DURATION_KINDS: ["AGM_DURATION_", { model_call: "MODEL_CALL", tool_call: "TOOL_CALL", turn: "TURN", ttft: "TTFT" }],
  BY: ["AGM_BY_", { model: "MODEL", provider: "PROVIDER", source: "SOURCE", tool: "TOOL", agent: "AGENT",
    phase: "PHASE", task: "TASK", session: "SESSION", day: "DAY" }],
  PERIODS: ["AGM_PERIOD_", { all: "ALL", hour: "HOUR", day: "DAY", week: "WEEK", month: "MONTH" }],
  FLUSH: ["AGM_FLUSH_", { none: "NONE", interval: "INTERVAL", every_record: "EVERY_RECORD" }],
  RECORD_KINDS: ["AGM_RECORD_", { session: "SESSION", model_call: "MODEL_CALL", tool_call: "TOOL_CALL", turn: "TURN",
    invocation: "INVOCATION" }],
  QUERY: ["AGM_QUERY_", { summary: "SUMMARY", costs: "COST_BREAKDOWN", tools: "TOOLS", slow: "SLOW", errors: "ERRORS",
    expensive_sessions: "EXPENSIVE_SESSIONS", session: "SESSION", invocations: "INVOCATIONS" }],
  EXPORT_FORMATS: ["AGM_EXPORT_", { "otlp-json": "OTLP_JSON", otlp_json: "OTLP_JSON", prometheus: "PROMETHEUS",
    csv: "CSV", json: "JSON" }],
  CALL: ["AGM_CALL_", { start: "HAS_START", end: "HAS_END", duration: "HAS_DURATION", ttft: "HAS_TTFT",
    attempt: "HAS_ATTEMPT", inputBytes: "HAS_INPUT_BYTES", outputBytes: "HAS_OUTPUT_BYTES",
    sinceLastStep: "F_SINCE_LAST_STEP" }],
};

test("every value lib/index.js passes to the core is the header's", () => {
  for (const [table, [prefix, names]] of Object.entries(PUBLIC)) {
    const expected = Object.fromEntries(Object.entries(names).map(([k, m]) => [k, macro(prefix + m)]));
    assert.deepEqual({ ...E[table] }, expected, table);
  }
  assert.deepEqual({ ...E.NOTICES }, { [macro("AGM_OK")]: "ok", [macro("AGM_BUDGET_EXCEEDED")]: "budget_exceeded",
    [macro("AGM_BUDGET_WARNING")]: "budget_warning" });
  assert.deepEqual(E.USAGE_FIELDS, ["inputTokens", "cacheReadTokens", "cacheWriteTokens", "cacheWrite1hTokens",
    "outputTokens", "reasoningTokens", "totalTokens"]);
  assert.deepEqual(E.USAGE_BITS, C.usage_fields.map(([, bit]) => bit));
  assert.deepEqual(am.FORMATS, Object.keys(PUBLIC.FORMATS[1]));
  assert.deepEqual([http.RESPONDED, http.CONNECT_FAILED, http.TIMED_OUT, http.FAILED],
    ["RESPONDED", "CONNECT_FAILED", "TIMED_OUT", "FAILED"].map((n) => macro(`AGM_HTTP_${n}`)));
});

test("lib/index.js and lib/http.js hold no copy of a header value", () => {
  const lib = path.join(ROOT, "bindings", "node", "lib");
  for (const file of ["index.js", "http.js"]) {
    const source = fs.readFileSync(path.join(lib, file), "utf8");
    // A table of literals (`{ model_call: 1, ...`) or a constant assigned a small literal.
    assert.doesNotMatch(source, /\b\w+: -?\d+\s*[,}]/, `${file}: a literal in a table of values`);
    assert.doesNotMatch(source, /^const [A-Z_]+ = -?\d+;/m, `${file}: a constant assigned a literal`);
  }
});

test("index.d.ts names the values the tables accept", () => {
  const dts = fs.readFileSync(path.join(ROOT, "bindings", "node", "lib", "index.d.ts"), "utf8");
  const union = (type) => {
    const m = new RegExp(`export type ${type} =([^;]+);`).exec(dts);
    assert.ok(m, `index.d.ts declares ${type}`);
    return [...m[1].matchAll(/"([^"]+)"/g)].map((x) => x[1]).sort();
  };
  assert.deepEqual(union("UsageFormat"), Object.keys(E.FORMATS).sort());
  assert.deepEqual(union("DurationKind"), Object.keys(E.DURATION_KINDS).sort());
  assert.deepEqual([...union("Dimension"), "day"].sort(), Object.keys(E.BY).sort()); // costs({ by: "day" })
  assert.deepEqual(union("Period"), Object.keys(E.PERIODS).sort());
  assert.deepEqual(union("FlushPolicy"), Object.keys(E.FLUSH).sort());
  assert.deepEqual(union("RecordKind"), Object.keys(E.RECORD_KINDS).sort());
  assert.deepEqual(union("Notice"), Object.values(E.NOTICES).sort());
  assert.deepEqual([...union("ExportFormat"), "otlp_json"].sort(), Object.keys(E.EXPORT_FORMATS).sort());
});

test("the version: the header's, the library's, and package.json's are one", () => {
  const header = ["MAJOR", "MINOR", "PATCH"].map((n) => macro(`AGM_VERSION_${n}`)).join(".");
  assert.equal(C.version.string, header);
  assert.deepEqual([C.version.major, C.version.minor, C.version.patch].join("."), header);
  assert.equal(am.version, header); // the core the addon runs
  assert.equal(require("agentmetrics-native/package.json").version, header);
  assert.equal(C.version.abi, macro("AGM_ABI_VERSION"));
  assert.equal(am.abiVersion, C.version.abi);
});
