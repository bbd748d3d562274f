"use strict";
// Exports, the HTML report in headless Chromium, and `npx agentmetrics`, through the installed
// package.
const { test } = require("node:test");
const assert = require("node:assert/strict");
const { spawn, spawnSync } = require("node:child_process");
const { once } = require("node:events");
const fs = require("node:fs");
const http = require("node:http");
const net = require("node:net");
const os = require("node:os");
const path = require("node:path");
const { Worker } = require("node:worker_threads");
const am = require("agentmetrics-native");
const { FakeClock } = require("./fixtures.js");

const SCRIPT = "<script>window.__pwned=1</script>";
const IMG = '"><img src=x onerror="window.__pwned=1">';
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const ARTIFACTS = process.env.AGM_ARTIFACTS || fs.mkdtempSync(path.join(os.tmpdir(), "agentmetrics-artifacts-"));

// A journal of a scripted agent whose every name is hostile: models, tools, agent, errors.
function hostileStore() {
  const clock = new FakeClock();
  const rec = new am.Recorder({ clock: clock.clock, wallClock: clock.wallClock });
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "agentmetrics-report-")), "m.jsonl");
  rec.openStore({ journal: file });
  for (let n = 0; n < 3; n++) {
    const s = rec.session({ sessionId: `${SCRIPT}-${n}`, agent: IMG });
    for (let turn = 0; turn < 2; turn++) {
      s.turnBegin();
      s.recordModelCall({ model: "gpt-4o", provider: "openai", durationMs: 1200 + 300 * n,
        usage: { inputTokens: 1000 * (n + 1), cacheReadTokens: 200, outputTokens: 300 } });
      s.recordModelCall({ model: SCRIPT, provider: IMG, durationMs: 800, usage: { inputTokens: 50, outputTokens: 5 } });
      s.recordToolCall(IMG, { durationMs: 250 });
      s.recordToolCall(SCRIPT, { durationMs: 40, error: SCRIPT, errorMessage: IMG });
      clock.advance(3_600_000_000_000);  // an hour per turn: a chart over several hours
      s.turnEnd();
    }
    s.close();
  }
  rec.flush();
  rec.close();
  return file;
}

test("the HTML report runs no script in headless Chromium, even with hostile names", (t) => {
  if (!fs.existsSync(CHROMIUM)) {
    if (process.env.AGM_REQUIRE_BROWSER === "1") assert.fail(`no Chromium at ${CHROMIUM}`);
    t.skip(`no Chromium at ${CHROMIUM}`);
    return;
  }
  const history = new am.History(hostileStore());
  const html = history.reportHtml({ title: `Costs ${SCRIPT}` });
  assert.ok(!html.toLowerCase().includes("<script"), "no script element or hostile tag in the page");
  assert.ok(!html.toLowerCase().includes("<img"));
  const page = path.join(ARTIFACTS, "report-hostile.html");
  const shot = path.join(ARTIFACTS, "report-hostile.png");
  fs.writeFileSync(page, html);
  const check = path.join(__dirname, "..", "browser", "check_report.mjs");
  const run = spawnSync(process.execPath, [check, page, shot], { encoding: "utf8", timeout: 120_000 });
  assert.equal(run.status, 0, `browser check failed:\n${run.stdout}\n${run.stderr}`);
  const result = JSON.parse(run.stdout.trim().split("\n").pop());
  assert.equal(result.ok, true);
  assert.ok(fs.statSync(shot).size > 10_000, "a screenshot was taken");
});

test("exports through the Node API", () => {
  const history = new am.History(hostileStore());
  const rows = JSON.parse(history.export("json"));
  assert.equal(rows.filter((r) => r.kind === "model_call").length, 12);
  assert.ok(rows.some((r) => r.model === SCRIPT));
  const csv = history.export("csv");
  assert.ok(csv.startsWith("kind,timestamp,session,"));
  assert.ok(!/(^|,)[=+\-@]/m.test(csv.replace(/"[^"]*"/g, '""')), "no unquoted formula cell");
  const otlp = JSON.parse(history.export("otlp-json", { resource: { "service.name": "node agent" } }));
  const names = otlp.resourceMetrics[0].scopeMetrics[0].metrics.map((m) => m.name);
  assert.ok(names.includes("gen_ai.client.token.usage"));
  const prom = history.export("prometheus");
  assert.match(prom, /^# TYPE gen_ai_client_token_usage histogram$/m);
  assert.ok(prom.includes('gen_ai_request_model="<script>window.__pwned=1</script>"'));
  assert.ok(prom.includes('gen_ai_agent_name="\\"><img src=x onerror=\\"window.__pwned=1\\">"'));
  const file = path.join(ARTIFACTS, "export.csv");
  assert.equal(history.export("csv", { file }), undefined);
  assert.equal(fs.readFileSync(file, "utf8"), csv);
  assert.throws(() => history.export("xml"), RangeError);
});

// A local OTLP/HTTP receiver answering the given statuses in turn, then 200. A status may be
// [status, headers].
async function receiver(statuses) {
  const got = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => { body += chunk; });
    req.on("end", () => {
      got.push({ method: req.method, path: req.url, headers: req.headers, body: JSON.parse(body || "null") });
      const next = statuses.shift() ?? 200;
      const [status, headers] = Array.isArray(next) ? next : [next, {}];
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(JSON.stringify(status === 200 ? { partialSuccess: {} } : { code: 14, message: "try later" }));
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { got, statuses, url: `http://127.0.0.1:${server.address().port}`, close: () => server.close() };
}

test("pushOtlp posts to an OTLP/HTTP receiver and retries transient failures", async () => {
  const history = new am.History(hostileStore());
  const r = await receiver([503, 429]);
  try {
    const reply = await history.pushOtlp(r.url, { headers: { authorization: "Bearer s3cret" }, retryDelayMs: 1 });
    assert.deepEqual(reply, { partialSuccess: {} });
    assert.equal(r.got.length, 3);
    assert.equal(r.got[2].path, "/v1/metrics");
    assert.equal(r.got[2].headers.authorization, "Bearer s3cret");
    assert.deepEqual(r.got[0].body, r.got[2].body);
    const names = r.got[2].body.resourceMetrics[0].scopeMetrics[0].metrics.map((m) => m.name);
    assert.ok(names.includes("gen_ai.client.token.usage"));
    r.got.length = 0;
    r.statuses.push(502, 504, 503);
    await assert.rejects(history.pushOtlp(r.url, { maxAttempts: 2, retryDelayMs: 1 }), /HTTP 504.*\(attempt 2 of 2\)/);
    assert.equal(r.got.length, 2);
    r.got.length = 0;
    r.statuses.length = 0;
    r.statuses.push(400);
    await assert.rejects(history.pushOtlp(r.url, { retryDelayMs: 1 }), /HTTP 400/);
    assert.equal(r.got.length, 1, "a client error is final");
    await assert.rejects(history.pushOtlp(r.url, { maxAttempts: 0 }), RangeError);
    await assert.rejects(history.pushOtlp(r.url, { retryDelayMs: 1.5 }), RangeError);
  } finally {
    r.close();
  }
});

// A port on 127.0.0.1 nothing listens on (a server's, closed): connecting is refused.
async function closedPort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

// A receiver that takes connections and never answers; `held` fires on each.
async function silentReceiver() {
  const sockets = [];
  const server = net.createServer((socket) => {
    sockets.push(socket);
    socket.on("error", () => {});
    server.emit("held");
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    server,
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => { for (const s of sockets) s.destroy(); server.close(); },
  };
}

test("pushOtlp retries a refused connection up to its attempts", async () => {
  const history = new am.History(hostileStore());
  const url = `http://127.0.0.1:${await closedPort()}`;
  await assert.rejects(history.pushOtlp(url, { maxAttempts: 3, retryDelayMs: 1 }), (error) => {
    assert.equal(error.status, "AGM_E_IO");
    assert.match(error.message, /ECONNREFUSED.*\(attempt 3 of 3\)/);
    return true;
  });
  history.close();
});

test("pushOtlp waits what the receiver's Retry-After asks, and follows no redirect", async () => {
  const history = new am.History(hostileStore());
  const r = await receiver([[503, { "retry-after": "1" }]]);
  try {
    const start = Date.now();
    assert.deepEqual(await history.pushOtlp(r.url, { retryDelayMs: 1 }), { partialSuccess: {} });
    assert.ok(Date.now() - start >= 900, "the receiver's second, not the millisecond backoff");
    assert.equal(r.got.length, 2);
    assert.deepEqual(r.got[0].body, r.got[1].body);
    r.got.length = 0;
    r.statuses.push([307, { location: "/elsewhere" }]);
    await assert.rejects(history.pushOtlp(r.url, { retryDelayMs: 1 }), /HTTP 307/);
    assert.deepEqual(r.got.map((g) => [g.method, g.path]), [["POST", "/v1/metrics"]]);
  } finally {
    r.close();
    history.close();
  }
});

test("pushOtlp times out a receiver that never answers", async () => {
  const history = new am.History(hostileStore());
  const silent = await silentReceiver();
  try {
    await assert.rejects(history.pushOtlp(silent.url, { timeoutMs: 200, maxAttempts: 2, retryDelayMs: 1 }),
      /timeout.*\(attempt 2 of 2\)/i);
  } finally {
    silent.close();
    history.close();
  }
});

test("a worker terminated during a push ends at once, and the process goes on", { timeout: 60_000 }, async () => {
  const store = hostileStore();
  const silent = await silentReceiver();
  try {
    const worker = new Worker(`
      const { workerData } = require("node:worker_threads");
      const am = require(workerData.module);
      new am.History(workerData.store).pushOtlp(workerData.url, { timeoutMs: 60000 });`,
    { eval: true, workerData: { module: require.resolve("agentmetrics-native"), store, url: silent.url } });
    await once(silent.server, "held");  // the push waits for an answer that will never come
    const started = Date.now();
    await worker.terminate();
    assert.ok(Date.now() - started < 10_000, "the teardown did not wait for the push");
  } finally {
    silent.close();
  }
  const r = await receiver([]);
  try {
    assert.deepEqual(await new am.History(store).pushOtlp(r.url), { partialSuccess: {} });
  } finally {
    r.close();
  }
});

test("a process that exits during a push exits with its code", { timeout: 60_000 }, async () => {
  const silent = await silentReceiver();
  try {
    const child = spawn(process.execPath, ["-e", `
      const am = require(${JSON.stringify(require.resolve("agentmetrics-native"))});
      new am.History(process.argv[1]).pushOtlp(process.argv[2], { timeoutMs: 60000 });
      process.stdin.on("data", () => process.exit(7));`, hostileStore(), silent.url],
    { stdio: ["pipe", "inherit", "inherit"] });
    await once(silent.server, "held");
    child.stdin.write("exit\n");
    const [code, signal] = await once(child, "exit");
    assert.deepEqual([code, signal], [7, null]);
  } finally {
    silent.close();
  }
});

// `npx agentmetrics ...` without blocking this process's event loop (the receivers live here).
async function npxAsync(...args) {
  const child = spawn("npx", ["--no-install", "agentmetrics", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "", stderr = "";
  child.stdout.on("data", (d) => { stdout += d; });
  child.stderr.on("data", (d) => { stderr += d; });
  const [status] = await once(child, "exit");
  return { status, stdout, stderr };
}

test("npx agentmetrics pushes through fetch, retrying as the core decides", { timeout: 60_000 }, async () => {
  const store = hostileStore();
  const r = await receiver([[503, { "retry-after": "1" }]]);
  try {
    const pushed = await npxAsync("export", store, "--endpoint", r.url, "--header", "x-api-key=secret", "--json");
    assert.equal(pushed.status, 0, pushed.stderr);
    assert.deepEqual(JSON.parse(pushed.stdout), { partialSuccess: {} });
    assert.equal(r.got.length, 2);
    assert.equal(r.got[1].path, "/v1/metrics");
    assert.equal(r.got[1].headers["x-api-key"], "secret");
    assert.equal(r.got[1].headers["content-type"], "application/json");
  } finally {
    r.close();
  }
  const url = `http://127.0.0.1:${await closedPort()}`;
  const refused = await npxAsync("export", store, "--endpoint", url, "--attempts", "2");
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /^agentmetrics: error: OTLP push to .* failed: .*ECONNREFUSED.*\(attempt 2 of 2\)\n/);
  assert.match(refused.stderr, new RegExp(`hint: nothing was pushed to ${url}`));
});

test("Follow returns rows appended since it started", () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "agentmetrics-follow-")), "m.jsonl");
  const rec = new am.Recorder();
  rec.openStore({ journal: file });
  const s = rec.session({ sessionId: "f" });
  s.recordToolCall("before", { durationMs: 1 });
  rec.flush();
  const follow = new am.Follow(file);
  assert.deepEqual(follow.poll(), []);
  s.recordToolCall("after", { durationMs: 2 });
  rec.flush();
  const rows = follow.poll();
  assert.equal(rows.length, 1);
  assert.equal(rows[0].tool, "after");
  assert.equal(rows[0].duration_ms, 2);
  assert.equal(follow.malformed, 0);
  fs.appendFileSync(file, "not json\n");
  assert.deepEqual(follow.poll(), []);
  assert.equal(follow.malformed, 1);
  follow.close();
  rec.close();
});

test("npx agentmetrics runs the command line in the addon", () => {
  const store = hostileStore();
  const npx = (...args) => spawnSync("npx", ["--no-install", "agentmetrics", ...args], { encoding: "utf8" });
  const version = npx("--version");
  assert.equal(version.status, 0, version.stderr);
  assert.ok(version.stdout.includes(am.version));
  const summary = npx("summary", store, "--json");
  assert.equal(summary.status, 0, summary.stderr);
  const doc = JSON.parse(summary.stdout);
  assert.equal(doc.model_calls, 12);
  assert.equal(doc.tool_errors, 6);
  const missing = npx("summary", path.join(os.tmpdir(), "no-such-store.jsonl"));
  assert.equal(missing.status, 3);
  assert.match(missing.stderr, /no journal or database/);
  const help = npx("export", "--help");
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /--endpoint/);
  assert.equal(npx("bogus").status, 2);
  // No program of its own: the addon holds the one copy of the core.
  const root = path.dirname(require.resolve("agentmetrics-native/package.json"));
  const binaries = [];
  (function walk(dir) {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== "node_modules") walk(file);
        continue;
      }
      const head = Buffer.alloc(4);
      const fd = fs.openSync(file, "r");
      fs.readSync(fd, head, 0, 4, 0);
      fs.closeSync(fd);
      if (head.toString("latin1") === "\x7fELF") binaries.push(path.relative(root, file));
    }
  })(root);
  assert.ok(binaries.length > 0);
  assert.deepEqual(binaries.filter((f) => !f.endsWith(".node")), []);
});
