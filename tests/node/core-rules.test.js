"use strict";
// Rules the core owns, so that the Node binding only translates: exports and reports written to
// a file by the core (whole or not at all), defaults left to the core (undefined passes 0), and
// open range ends passed as absent, not as 0 / 2^63-1 sentinels.
const { test } = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const am = require("agentmetrics-native");

const LIB = path.dirname(require.resolve("agentmetrics-native"));
const T0 = 1763800000000000000n;
const S = 1000000000n;

// Tool calls at T0 + i s lasting durations[i] seconds.
function store(durations) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "agentmetrics-rules-"));
  const file = path.join(dir, "m.jsonl");
  fs.writeFileSync(file, durations.map((d, i) => JSON.stringify({ v: 1, kind: "tool_call", ts: "TS", session: "s1",
    tool: `t${i}`, call_id: `c${i}`, outcome: "ok", duration_ns: "DUR" })
    .replace('"TS"', String(T0 + BigInt(i) * S)).replace('"DUR"', String(BigInt(d) * S)) + "\n").join(""));
  return { dir, file };
}

test("export and reportHtml write the file through the core, whole or not at all", async () => {
  const { dir, file } = store([1, 6]);
  const h = new am.History(file);
  const csv = h.export("csv");
  const target = path.join(dir, "rows.csv");
  assert.equal(h.export("csv", { file: target }), undefined);
  assert.equal(fs.readFileSync(target, "utf8"), csv);
  const page = h.reportHtml({ title: "rules", nowNs: T0 });
  const html = path.join(dir, "r.html");
  assert.equal(h.reportHtml({ title: "rules", nowNs: T0, file: html }), undefined);
  assert.equal(fs.readFileSync(html, "utf8"), page);
  assert.equal(await h.async.reportHtml({ title: "rules", nowNs: T0, file: html }), undefined);
  assert.equal(await h.async.export("json", { file: target }), undefined);
  assert.equal(fs.readFileSync(target, "utf8"), h.export("json"));
  assert.deepEqual(fs.readdirSync(dir).sort(), ["m.jsonl", "r.html", "rows.csv"]); // no temporary left
  const missing = path.join(dir, "missing", "x.html");
  for (const call of [() => h.reportHtml({ file: missing }), () => h.export("csv", { file: missing })]) {
    assert.throws(call, (e) => e instanceof am.AgentMetricsError && e.status === "AGM_E_IO" && e.message.includes(missing));
  }
  await assert.rejects(h.async.reportHtml({ file: missing }), (e) => e.status === "AGM_E_IO");
  assert.throws(() => h.reportHtml({ file: 3 }), TypeError);
  assert.deepEqual(fs.readdirSync(dir).sort(), ["m.jsonl", "r.html", "rows.csv"]);
  h.close();
});

test("defaults are the core's: undefined passes 0, and the binding has no copy of them", async () => {
  const { file } = store([1, 4, 5, 6]);
  const h = new am.History(file);
  const slow = h.slow();
  assert.equal(slow.threshold_ms, 5000);
  assert.equal(slow.operations.length, 2);
  assert.deepEqual(h.slow({ thresholdMs: 5000 }), slow);
  // The push's timeout: 0 reaches the core, which asks the sender for its 10 s.
  const http = require(path.join(LIB, "http.js"));
  const send = http.send;
  const seen = [];
  http.send = async (request) => {
    seen.push(request.timeoutMs);
    return { outcome: http.RESPONDED, status: 200, retryAfter: null, body: Buffer.from("{}") };
  };
  try {
    assert.deepEqual(await h.pushOtlp("http://127.0.0.1:9/"), {});
    await h.pushOtlp("http://127.0.0.1:9/", { timeoutMs: 1234 });
  } finally {
    http.send = send;
  }
  assert.deepEqual(seen, [10000, 1234]);
  h.close();
  const source = fs.readFileSync(path.join(LIB, "index.js"), "utf8");
  for (const literal of ["10000", "10_000", "5000", "60000", "63n"]) assert.ok(!source.includes(literal), literal);
});

test("an open range end is absent, not a sentinel", () => {
  const { file } = store([1, 1, 1, 1, 1]);
  const h = new am.History(file);
  const rows = (o) => JSON.parse(h.export("json", o)).length;
  assert.equal(rows({ sinceNs: T0 + 2n * S }), 3);
  assert.equal(rows({ untilNs: T0 + 2n * S }), 2);
  assert.equal(rows({ sinceNs: T0 + S, untilNs: T0 + 3n * S }), 2);
  assert.equal(rows({ sinceNs: 0n }), 5);
  assert.equal(h.summary({ sinceNs: T0 + 3n * S }).tool_calls, 2);
  assert.throws(() => h.summary({ sinceNs: T0 + 3n * S, untilNs: T0 }), RangeError);
  h.close();
});
