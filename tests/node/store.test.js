"use strict";
// The journal and SQLite store, loading and resuming, history queries (sync and Promise) and
// invocations through the Node API.
const { test } = require("node:test");
const assert = require("node:assert/strict");
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const net = require("node:net");
const os = require("node:os");
const path = require("node:path");
const am = require("agentmetrics-native");
const { FakeClock } = require("./fixtures.js");

function tmp() {
  return fs.mkdtempSync(path.join(os.tmpdir(), "agentmetrics-node-"));
}

function runAgent(rec, clock, sessionId, calls) {
  const s = rec.session({ sessionId, agent: "coder", phase: "build" });
  s.turnBegin();
  for (let i = 0; i < calls; i++) {
    s.recordModelCall({ model: "gpt-4o", provider: "openai", usage: { inputTokens: 1000, outputTokens: 100 }, durationMs: 2000 });
    s.recordToolCall("search", { durationMs: 6000 });
  }
  s.recordToolCall("fetch", { durationMs: 0.00001, error: "http_500", errorMessage: "server error" });
  clock.advance(1_000_000);
  s.turnEnd();
  s.close();
}

for (const kind of ["journal", "database"]) {
  test(`${kind}: stored, flushed, queried sync and async`, async () => {
    const clock = new FakeClock();
    const rec = new am.Recorder({ clock: clock.clock, wallClock: clock.wallClock });
    const file = path.join(tmp(), kind === "journal" ? "m.jsonl" : "m.db");
    rec.openStore({ [kind]: file, flush: "every_record" });
    runAgent(rec, clock, "s1", 3);
    await rec.flushAsync();
    const status = rec.storeStatus();
    assert.equal(status.failed, 0);
    assert.equal(status.written, status.queued);
    assert.equal(rec.journalPath, kind === "journal" ? file : null);

    const h = new am.History(file);
    const summary = h.summary();
    assert.equal(summary.model_calls, 3);
    assert.deepEqual(summary.tokens, { input: 3000, output: 300, total: 3300 });
    assert.equal(summary.cost.total, 0.0105);
    assert.deepEqual(await h.async.summary(), summary);
    const tools = Object.fromEntries(h.tools().tools.map((t) => [t.name, t]));
    assert.equal(tools.search.calls, 3);
    assert.equal(tools.fetch.last_error, "server error");
    assert.equal(h.costs({ by: "model" }).groups[0].key, "gpt-4o");
    assert.equal(h.slow({ thresholdMs: 5000 }).operations.length, 3);
    assert.equal(h.errors().recent_errors[0].message, "server error");
    assert.equal(h.session("s1").agent, "coder");
    assert.equal(h.expensiveSessions().sessions[0].session, "s1");
    assert.throws(() => h.session("nope"), (e) => e.status === "AGM_E_NOT_FOUND");
    await assert.rejects(h.async.session("nope"), (e) => e instanceof am.AgentMetricsError && e.status === "AGM_E_NOT_FOUND");
    assert.deepEqual(rec.history.tools(), h.tools());
    assert.deepEqual(await rec.history.async.tools(), h.tools());
    h.close();
    rec.close();
  });
}

test("load and resume give the totals of an uninterrupted run; a torn tail is skipped", async () => {
  const clock = new FakeClock();
  const journal = path.join(tmp(), "runs", "metrics.jsonl");
  const rec = new am.Recorder({ clock: clock.clock });
  rec.openStore({ journal });
  runAgent(rec, clock, "a", 2);
  runAgent(rec, clock, "b", 1);
  rec.flush();
  const expected = rec.totals();
  rec.close();
  const count = am.storeCount(journal);
  const fresh = new am.Recorder();
  const report = fresh.load(journal);
  assert.deepEqual([report.files, report.records, report.malformed, report.firstMalformedLine], [1, count, 0, null]);
  assert.deepEqual(fresh.totals(), expected);
  fs.appendFileSync(journal, '{"v":1,"kind":"model_call","ses');
  const torn = new am.Recorder();
  const r2 = await torn.loadAsync(journal);
  assert.deepEqual([r2.malformed, r2.firstMalformedLine, r2.warnings[0].line], [1, count + 1, count + 1]);
  assert.deepEqual(torn.totals(), expected);
  const resumed = new am.Recorder();
  const r3 = resumed.load(journal, { skip: count - 1 });
  assert.deepEqual([r3.records, r3.skipped, r3.dropped], [1, count - 1, 0]);
  // A "dropped" marker (a store whose queue was full) is not a record: counted apart.
  fs.appendFileSync(journal, '\n{"v":1,"kind":"dropped","ts":2,"records":7,"last_ts":3}\n');
  const r4 = new am.Recorder().load(journal);
  assert.deepEqual([r4.records, r4.malformed, r4.dropped], [count, 1, 7]);
  assert.throws(() => resumed.load(path.join(tmp(), "missing.jsonl")), (e) => e.status === "AGM_E_NOT_FOUND");
  await assert.rejects(resumed.loadAsync(path.join(tmp(), "missing.jsonl")), (e) => e.status === "AGM_E_NOT_FOUND");
});

test("onRecord sees each new record", () => {
  const clock = new FakeClock();
  const rec = new am.Recorder({ clock: clock.clock });
  const seen = [];
  rec.onRecord((kind, record) => seen.push([kind, record]), ["model_call", "turn"]);
  runAgent(rec, clock, "o", 1);
  assert.deepEqual(seen.map(([k]) => k), ["model_call", "turn"]);
  assert.equal(seen[0][1].model, "gpt-4o");
  rec.onRecord(null);
  runAgent(rec, clock, "p", 1);
  assert.equal(seen.length, 2);
});

test("invocations and the seed 004 aggregate", () => {
  const rec = new am.Recorder();
  const base = "2026-11-18T00:00:00.000Z";
  rec.recordInvocation({ invocationId: "i1", agent: "coder", taskId: "t1", phase: 1, tier: "low", durationMs: 60000,
    tokens: 1000, cost: 0.25, attempt: 1, success: false, exitCode: 1, timestamp: base });
  rec.recordInvocation({ invocationId: "i2", agent: "coder", taskId: "t1", phase: 1, tier: "high", durationMs: 30000,
    tokens: 500, cost: 0.5, attempt: 2, success: true, exitCode: 0, timestamp: "2026-11-18T00:00:10.000Z" });
  assert.equal(rec.invocationCount(), 2);
  assert.deepEqual(rec.invocations().map((i) => i.invocation_id), ["i1", "i2"]);
  const agg = rec.invocationAggregate({ tiers: ["low", "high"], bucketMs: 60000 });
  assert.deepEqual([agg.total_invocations, agg.total_retries, agg.escalation_count, agg.total_cost,
    agg.peak_parallel_invocations], [2, 1, 1, 0.75, 2]);
  assert.throws(() => rec.recordInvocation({ invocationId: "bad", agent: "a", attempt: 0 }), RangeError);
});

test("flushAsync leaves the event loop free", { timeout: 60_000 }, async () => {
  // The journal is a pipe that only this event loop drains: if flushAsync blocked the loop,
  // nothing would read the pipe, the writer would stay blocked and the flush never settle.
  const fifo = path.join(tmp(), "journal.fifo");
  execFileSync("mkfifo", [fifo]);
  // Non-blocking, so that neither this open nor the writer's waits for the other end.
  const fd = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  const reader = new net.Socket({ fd, readable: true, writable: false });
  let received = 0;
  reader.on("data", (chunk) => { received += chunk.length; });
  const rec = new am.Recorder();
  rec.openStore({ journal: fifo });
  const s = rec.session();
  for (let i = 0; i < 3000; i++) s.recordModelCall({ model: "m".repeat(100), usage: { inputTokens: 1, outputTokens: 1 } });
  await rec.flushAsync();
  assert.ok(received > 65536, String(received));
  rec.close();
  reader.destroy();
});

// The queue's bound: with the database locked by another process (python3 holding a write
// transaction), records beyond maxQueueBytes are dropped, counted and reported.
test("a stalled store drops records beyond maxQueueBytes and reports every drop", async () => {
  const { spawn } = require("node:child_process");
  const { once } = require("node:events");
  const db = path.join(tmp(), "m.db");
  const drops = [];
  const rec = new am.Recorder();
  rec.openStore({ database: db, maxQueueBytes: 64 * 1024, onDrop: (n, queued) => drops.push([n, queued]) });
  const s = rec.session({ sessionId: "stalled", agent: "a" });
  rec.flush();
  const before = rec.storeStatus();
  assert.deepEqual([before.maxQueueBytes, before.dropped, before.queuedBytes], [64 * 1024, 0, 0]);
  const locker = spawn("python3", ["-c", [
    "import sqlite3, sys",
    "db = sqlite3.connect(sys.argv[1], isolation_level=None)",
    "db.execute('BEGIN IMMEDIATE')",
    "print('locked', flush=True)",
    "sys.stdin.read()",
    "db.execute('ROLLBACK')",
  ].join("\n"), db], { stdio: ["pipe", "pipe", "inherit"] });
  const [line] = await once(locker.stdout, "data");
  assert.equal(String(line).trim(), "locked");
  for (let i = 0; i < 3000; i++) {
    s.recordModelCall({ model: "gpt-4o", usage: { inputTokens: 100, outputTokens: 10 }, durationMs: 1 });
  }
  const stalled = rec.storeStatus();
  locker.stdin.end();
  assert.equal((await once(locker, "exit"))[0], 0);
  const accepted = stalled.queued - before.queued;
  assert.ok(stalled.queuedBytes > 0 && stalled.queuedBytes <= 64 * 1024, `${stalled.queuedBytes}`);
  assert.ok(stalled.dropped > 0);
  assert.equal(accepted + stalled.dropped, 3000);
  assert.deepEqual(drops, [[1, stalled.queuedBytes]]);  // once per overflow, at its first drop
  assert.throws(() => rec.flush(), (e) => e instanceof am.AgentMetricsError && e.status === "AGM_E_DROPPED" &&
    e.message.includes(`${stalled.dropped} records were dropped`));
  const after = rec.storeStatus();
  assert.deepEqual([after.failed, after.queuedBytes, after.dropped], [0, 0, stalled.dropped]);
  assert.equal(after.written, before.written + accepted);  // nothing queued was lost
  rec.flush();  // reported once
  s.close();
  rec.close();
  const loaded = new am.Recorder();
  loaded.load(db);
  assert.equal(loaded.totals().modelCalls + stalled.dropped, 3000);
  loaded.close();
});

test("maxQueueBytes defaults to 64 MiB and is checked", () => {
  const rec = new am.Recorder();
  rec.openStore({ journal: path.join(tmp(), "m.jsonl") });
  assert.equal(rec.storeStatus().maxQueueBytes, 64 * 1024 * 1024);
  rec.closeStore();
  assert.throws(() => rec.openStore({ journal: path.join(tmp(), "m.jsonl"), maxQueueBytes: -1 }), RangeError);
  assert.throws(() => rec.openStore({ journal: path.join(tmp(), "m.jsonl"), onDrop: 42 }), TypeError);
  rec.close();
});
