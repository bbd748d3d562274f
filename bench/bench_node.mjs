#!/usr/bin/env node
/**
 * Cost of recording ONE model call from Node: agentmetrics side by side with the alternatives.
 *
 *     node bench/bench_node.mjs [--rounds 15] [--records 20000] [--json [PATH]] [--check]
 *                               [--only a,b,...] [--tmpdir DIR]
 *     # competitors (pinned in bench/package.json):
 *     npm install --prefix bench --ignore-scripts --no-audit --no-fund
 *
 * The Node twin of bench/bench_python.py. One record = one model call: model "gpt-4o", provider
 * "openai", canonical usage (inputTokens, cacheReadTokens, outputTokens, reasoningTokens), a
 * duration in milliseconds, and the labels agent / phase / session. Every candidate is called with
 * exactly the same expression, over the same pre-built inputs:
 *
 *     for (let i = 0; i < n; i++) {
 *       const { usage, durationMs } = inputs[i];
 *       call({ model: "gpt-4o", provider: "openai", usage, durationMs });
 *     }
 *
 * The timed region is that whole loop (process.hrtime.bigint()), i.e. everything the caller pays
 * per record, the object literal included. Each candidate gets its own copy of the loop (the same
 * source text, compiled apart with new Function), so each call site stays monomorphic as in a real
 * program and V8 optimises it for that one callee; a single shared loop would turn megamorphic
 * and penalise whichever candidate V8 would otherwise inline. Setup (recorder, meter provider,
 * session, store files) and the end-of-round flush are outside the timed region (the flush is
 * reported apart, as "flush ns/rec"). Candidates:
 *
 *   native-noop           require("agentmetrics-native")._native.noop({...}): a native (N-API) function
 *                         that does nothing, with the same argument: the floor
 *   js-noop               a JavaScript function that does nothing (for scale: V8 inlines it, so
 *                         this is the loop and the input reads, the object literal optimised away)
 *   agentmetrics          session.recordModelCall({...}) into rec.session({ agent, phase }), no store
 *   agentmetrics+journal      ... with rec.openStore({ journal: <tmp>/j.jsonl })
 *   agentmetrics+database     ... with rec.openStore({ database: <tmp>/m.db })
 *   js-accumulator        a plain JavaScript object per model: sums of the four token kinds, a
 *                         call count, a duration sum, cost from per-million float prices summed in
 *                         floats; no storage, no labels beyond the model
 *   opentelemetry         @opentelemetry/sdk-metrics in memory (MeterProvider + a MetricReader
 *                         collected by hand): histogram gen_ai.client.token.usage recorded once per
 *                         token type (gen_ai.token.type) and histogram gen_ai.client.operation.duration,
 *                         attributes gen_ai.operation.name, gen_ai.request.model,
 *                         gen_ai.provider.name, agent, phase, session
 *
 * OpenTelemetry is used the cheapest documented way: the attribute objects are built once per
 * (model, provider) and reused, as a real integration would cache them (agentmetrics binds its
 * labels once per session); the SDK still hashes them on every record().
 *
 * Rounds are interleaved: each round runs every candidate once, in a rotating order, so machine
 * noise hits all of them alike; the figures are medians over rounds of ns per record. One warm-up
 * round (not counted) comes first, in which every candidate runs at least 5 times and 0.5 s over
 * all the records: V8 takes longer than one 20,000-record loop of a fast candidate to compile it,
 * and each new round's objects (recorder, session, closure) cost one more deoptimisation before
 * the code settles. A method is passed as a closure made per round, `(c) => session.recordModelCall(c)`
 * (not a bound function, which would make the loop's call site see a new target every round).
 * A minor GC (scavenge) runs before every timed loop, so each starts with an empty young
 * generation; not a full GC, which deoptimises the code that embeds the dead objects of earlier
 * runs (--trace-deopt: "weak objects") and made the fast candidates slow and bimodal.
 * After each run, outside the timing, the candidate's totals are checked against the inputs:
 * calls, token sums, duration sum, cost (agentmetrics: the exact decimal string for gpt-4o at
 * 2.50 / 1.25 / 10.00 USD per million input / cache-read / output tokens; reasoning is part of
 * output), and for the stores the record count after rec.flush().
 *
 * Targets (printed; --check makes a miss, an unmeasured target or a failed check exit 1),
 * for agentmetrics with persistence off and on: <= 1000 ns/record, within 3x of the floor
 * (native-noop), and faster than the OpenTelemetry SDK.
 *
 * --json prints the results as JSON to stdout instead of the table; --json PATH writes them to PATH
 * and prints the table.
 */
import { createRequire } from "node:module";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import v8 from "node:v8";
import vm from "node:vm";

const require = createRequire(import.meta.url);

const MODEL = "gpt-4o";
const PROVIDER = "openai";
const AGENT = "planner";
const PHASE = "execute";
const TOKEN_KINDS = ["inputTokens", "cacheReadTokens", "outputTokens", "reasoningTokens"];
const OTEL_TOKEN_TYPE = { inputTokens: "input", cacheReadTokens: "cache_read", outputTokens: "output",
  reasoningTokens: "reasoning" };

// The warm-up round: every candidate at least this many runs and this long (see main()).
const WARMUP_MIN_RUNS = 5;
const WARMUP_MIN_MS = 500;

const TARGET_MAX_NS = 1000;
const TARGET_MAX_FLOOR_RATIO = 3;
const TARGET_MIN_SPEEDUP_VS_OTEL = 1; // "faster than": otel ns / agentmetrics ns must exceed this

// gen_ai semantic-convention advisory bucket boundaries (as bench_python.py)
const TOKEN_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304,
  16777216, 67108864];
const DURATION_BUCKETS = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48,
  40.96, 81.92];

// ----------------------------------------------------------------------------------- agentmetrics
// The package folder named by $AGM_BENCH_PACKAGE (bench/compare_installs.py compares two
// installations so); else from bench/node_modules when ./run bench installed the packed tarball
// there; otherwise the repository itself. (bench/package.json makes bench/ its own package
// scope, so the repository's self-reference only resolves from the repository root's scope:
// hence the second require.)
function loadAgentmetrics() {
  const dir = process.env.AGM_BENCH_PACKAGE;
  if (dir) return { am: require(path.resolve(dir)), from: require.resolve(path.resolve(dir)) };
  try {
    return { am: require("agentmetrics-native"), from: require.resolve("agentmetrics-native") };
  } catch (e) {
    if (e.code !== "MODULE_NOT_FOUND") throw e;
    const rootRequire = createRequire(new URL("../package.json", import.meta.url));
    return { am: rootRequire("agentmetrics-native"), from: rootRequire.resolve("agentmetrics-native") };
  }
}

// A minor GC (scavenge) before each timed loop (see the top), without needing `node --expose-gc`.
// Measured with a full GC instead: js-accumulator 150 ns instead of 10, agentmetrics 700-900
// instead of 540, rounds bimodal.
function exposeMinorGc() {
  let gc = globalThis.gc;
  if (typeof gc !== "function") {
    v8.setFlagsFromString("--expose-gc");
    gc = vm.runInNewContext("gc");
  }
  return () => gc({ type: "minor" });
}

// ------------------------------------------------------------------------------------------ inputs
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n { usage, durationMs }: canonical usage (input and cache read disjoint, reasoning part of
 * output), plausible agent-loop sizes, durations of 0.2 to 12 s with microsecond resolution. */
function makeInputs(n, seed = 1) {
  const rand = mulberry32(seed);
  const randint = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
  const out = [];
  for (let i = 0; i < n; i++) {
    const prompt = randint(500, 30_000);
    const cached = rand() < 0.7 ? randint(0, prompt) : 0;
    const output = randint(20, 2_000);
    const reasoning = randint(0, output >> 1);
    out.push({
      usage: { inputTokens: prompt - cached, cacheReadTokens: cached, outputTokens: output,
        reasoningTokens: reasoning },
      durationMs: randint(200_000, 12_000_000) / 1000,
    });
  }
  return out;
}

/** Exact decimal string of USD from an integer amount of 1e-8 USD (agentmetrics' format). */
function usdFromE8(e8) {
  const s = e8.toString().padStart(9, "0");
  const frac = s.slice(-8).replace(/0+$/, "");
  return s.slice(0, -8) + (frac ? "." + frac : "");
}

function expectedTotals(inputs) {
  const t = { calls: inputs.length, durationNs: 0, durationMs: 0 };
  for (const k of TOKEN_KINDS) t[k] = 0;
  for (const { usage, durationMs } of inputs) {
    for (const k of TOKEN_KINDS) t[k] += usage[k];
    t.durationNs += Math.round(durationMs * 1e6);
    t.durationMs += durationMs;
  }
  // gpt-4o: 2.50 / 1.25 / 10.00 USD per million input / cache read / output (reasoning included),
  // i.e. 250 / 125 / 1000 units of 1e-8 USD per token
  t.costExact = usdFromE8(BigInt(t.inputTokens) * 250n + BigInt(t.cacheReadTokens) * 125n
    + BigInt(t.outputTokens) * 1000n);
  t.cost = (t.inputTokens * 2.5 + t.cacheReadTokens * 1.25 + t.outputTokens * 10) / 1e6;
  return t;
}

const closeEnough = (a, b, rel) => Math.abs(a - b) <= rel * Math.max(Math.abs(b), 1e-12);

// ------------------------------------------------------------------------------------ the timed loop
const LOOP_SOURCE = `
  const n = inputs.length;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const { usage, durationMs } = inputs[i];
    call({ model: "gpt-4o", provider: "openai", usage, durationMs });
  }
  return process.hrtime.bigint() - t0;
`;

/** The loop, compiled apart for one candidate (a distinct function: its own feedback and code). */
function makeLoop(name) {
  return new Function("call", "inputs", `// candidate: ${name}${LOOP_SOURCE}`);
}

// ------------------------------------------------------------------------------------- candidates
/** setup(round, tmpdir) -> call; finish() after the timed loop (flush; timed apart);
 * verify(expected) -> problems (may be async); close() (may be async). */
class Candidate {
  constructor(name, group) {
    this.name = name;
    this.group = group;
    this.needsTmp = false;
    this.hasFlush = false; // finish() does work (timed apart, reported as "flush ns/rec")
    this.loop = makeLoop(name);
  }
  setup(_rnd, _tmpdir) { throw new Error("not implemented"); }
  finish() {}
  verify(_exp) { return []; }
  close() {}
}

class NativeNoop extends Candidate {
  constructor(am) {
    super("native-noop", "floor");
    this.noop = am._native.noop;
  }
  setup() { return this.noop; }
}

function jsNoop(_call) {}

class JsNoop extends Candidate {
  constructor() { super("js-noop", "reference"); }
  setup() { return jsNoop; }
}

class AgentMetrics extends Candidate {
  constructor(am, store = null) {
    super("agentmetrics" + (store ? "+" + store : ""), "agentmetrics");
    this.am = am;
    this.store = store; // null, "journal", "database"
    this.needsTmp = this.hasFlush = store !== null;
  }

  setup(rnd, tmpdir) {
    this.rec = new this.am.Recorder();
    this.path = null;
    if (this.store === "journal") {
      this.path = path.join(tmpdir, "j.jsonl");
      this.rec.openStore({ journal: this.path });
    } else if (this.store === "database") {
      this.path = path.join(tmpdir, "m.db");
      this.rec.openStore({ database: this.path });
    }
    const session = this.session = this.rec.session({ sessionId: `bench-${rnd}`, agent: AGENT, phase: PHASE });
    return (call) => session.recordModelCall(call);
  }

  finish() {
    if (this.store !== null) this.rec.flush();
  }

  verify(exp) {
    const problems = [];
    const t = this.session.totals();
    const want = [["modelCalls", exp.calls], ["callsWithUsage", exp.calls], ["callsUnpriced", 0],
      ...TOKEN_KINDS.map((k) => [k, exp[k]])];
    for (const [key, value] of want) {
      if (t[key] !== value) problems.push(`totals().${key} = ${t[key]}, expected ${value}`);
    }
    if (t.cost?.total !== exp.costExact) {
      problems.push(`totals().cost.total = ${t.cost?.total}, expected "${exp.costExact}" (exact)`);
    }
    const d = this.session.durations("model_call");
    if (d.count !== exp.calls || !closeEnough(d.sumMs, exp.durationNs / 1e6, 1e-12)) {
      problems.push(`durations(): count ${d.count}, sumMs ${d.sumMs}; expected ${exp.calls}, ` +
        `${exp.durationNs / 1e6}`);
    }
    if (this.path !== null) {
      this.session.close();
      this.rec.flush();
      const st = this.rec.storeStatus();
      if (st.failed || st.writeErrors) problems.push(`storeStatus(): ${JSON.stringify(st)}`);
      // the store also holds the session record: at least one line per model call
      const n = this.am.storeCount(this.path);
      if (n < exp.calls) {
        problems.push(`storeCount(${path.basename(this.path)}) = ${n}, expected >= ${exp.calls}`);
      }
    }
    return problems;
  }

  close() {
    this.rec.close();
    this.rec = this.session = null;
  }
}

// per million tokens: input, cache read, output (reasoning is billed as output)
const PRICES_PER_MILLION = {
  "gpt-4o": { input: 2.5, cacheRead: 1.25, output: 10 },
  "claude-sonnet-4-20250514": { input: 3, cacheRead: 0.3, output: 15 },
};
const DEFAULT_PRICE = { input: 3, cacheRead: 0.3, output: 15 };

/** What a hand-written JavaScript tracker does: running sums per model in a plain object. */
class Accumulator {
  constructor() { this.byModel = {}; }
  record({ model, provider, usage, durationMs }) {
    let m = this.byModel[model];
    if (m === undefined) {
      m = this.byModel[model] = { provider, calls: 0, inputTokens: 0, cacheReadTokens: 0, outputTokens: 0,
        reasoningTokens: 0, costUsd: 0, durationMs: 0, price: PRICES_PER_MILLION[model] ?? DEFAULT_PRICE };
    }
    const input = usage.inputTokens ?? 0;
    const cacheRead = usage.cacheReadTokens ?? 0;
    const output = usage.outputTokens ?? 0;
    const p = m.price;
    m.calls += 1;
    m.inputTokens += input;
    m.cacheReadTokens += cacheRead;
    m.outputTokens += output;
    m.reasoningTokens += usage.reasoningTokens ?? 0;
    m.costUsd += (input * p.input + cacheRead * p.cacheRead + output * p.output) / 1e6;
    if (durationMs != null) m.durationMs += durationMs;
  }
}

class JsAccumulator extends Candidate {
  constructor() { super("js-accumulator", "javascript"); }
  setup() {
    const acc = this.acc = new Accumulator();
    return (call) => acc.record(call);
  }
  verify(exp) {
    const problems = [];
    const m = this.acc.byModel[MODEL];
    if (!m) return [`no sums for ${MODEL}`];
    for (const [key, value] of [["calls", exp.calls], ...TOKEN_KINDS.map((k) => [k, exp[k]])]) {
      if (m[key] !== value) problems.push(`${key} = ${m[key]}, expected ${value}`);
    }
    if (!closeEnough(m.costUsd, exp.cost, 1e-9)) problems.push(`costUsd = ${m.costUsd}, expected ${exp.cost}`);
    if (!closeEnough(m.durationMs, exp.durationMs, 1e-9)) {
      problems.push(`durationMs = ${m.durationMs}, expected ${exp.durationMs}`);
    }
    return problems;
  }
  close() { this.acc = null; }
}

class OpenTelemetry extends Candidate {
  constructor(sdk) {
    super("opentelemetry", "opentelemetry");
    this.sdk = sdk;
    // A reader collected by hand: no export timer, no exporter in the way.
    this.Reader = class ManualReader extends sdk.MetricReader {
      async onForceFlush() {}
      async onShutdown() {}
    };
  }

  setup(rnd) {
    this.reader = new this.Reader();
    this.provider = new this.sdk.MeterProvider({ readers: [this.reader] });
    const meter = this.provider.getMeter("bench_node");
    const tokens = meter.createHistogram("gen_ai.client.token.usage", {
      unit: "{token}", description: "Measures number of input and output tokens used",
      advice: { explicitBucketBoundaries: TOKEN_BUCKETS } });
    const duration = meter.createHistogram("gen_ai.client.operation.duration", {
      unit: "s", description: "GenAI operation duration",
      advice: { explicitBucketBoundaries: DURATION_BUCKETS } });
    const base = { agent: AGENT, phase: PHASE, session: `bench-${rnd}` };
    // Attribute objects built once per (model, provider) and reused, as an integration caches them.
    const cache = new Map();
    const attributes = (model, provider) => {
      const common = { "gen_ai.operation.name": "chat", "gen_ai.provider.name": provider,
        "gen_ai.request.model": model, ...base };
      const perKind = TOKEN_KINDS.map((k) => [k, { ...common, "gen_ai.token.type": OTEL_TOKEN_TYPE[k] }]);
      const a = { common, perKind };
      let byProvider = cache.get(model);
      if (byProvider === undefined) cache.set(model, byProvider = new Map());
      byProvider.set(provider, a);
      return a;
    };
    return function record({ model, provider, usage, durationMs }) {
      const a = cache.get(model)?.get(provider) ?? attributes(model, provider);
      const perKind = a.perKind;
      for (let i = 0; i < perKind.length; i++) {
        const v = usage[perKind[i][0]];
        if (v != null) tokens.record(v, perKind[i][1]);
      }
      if (durationMs != null) duration.record(durationMs / 1000, a.common);
    };
  }

  async verify(exp) {
    const problems = [];
    const { resourceMetrics, errors } = await this.reader.collect();
    if (errors.length) problems.push(`collect() errors: ${errors.join("; ")}`);
    const sums = new Map();
    const counts = new Map();
    for (const sm of resourceMetrics.scopeMetrics) {
      for (const m of sm.metrics) {
        for (const p of m.dataPoints) {
          const key = `${m.descriptor.name}|${p.attributes["gen_ai.token.type"] ?? ""}`;
          sums.set(key, (sums.get(key) ?? 0) + p.value.sum);
          counts.set(key, (counts.get(key) ?? 0) + p.value.count);
        }
      }
    }
    for (const k of TOKEN_KINDS) {
      const got = sums.get(`gen_ai.client.token.usage|${OTEL_TOKEN_TYPE[k]}`);
      if (got !== exp[k]) problems.push(`token.usage[${OTEL_TOKEN_TYPE[k]}] sum ${got}, expected ${exp[k]}`);
    }
    const n = counts.get("gen_ai.client.operation.duration|");
    const s = sums.get("gen_ai.client.operation.duration|");
    if (n !== exp.calls || !closeEnough(s, exp.durationMs / 1000, 1e-9)) {
      problems.push(`operation.duration count ${n}, sum ${s}; expected ${exp.calls}, ${exp.durationMs / 1000}`);
    }
    return problems;
  }

  async close() {
    await this.provider.shutdown();
    this.reader = this.provider = null;
  }
}

// ------------------------------------------------------------------------------------------ running
const expectedCache = new Map();

/** One timed run: { ns, flush } per record and the problems found. */
async function runOne(c, rnd, inputs, tmpRoot, gc) {
  const tmpdir = c.needsTmp ? fs.mkdtempSync(path.join(tmpRoot, "bench-node-")) : null;
  try {
    const call = c.setup(rnd, tmpdir);
    gc();
    const loopNs = c.loop(call, inputs);
    const t1 = process.hrtime.bigint();
    c.finish();
    const flushNs = process.hrtime.bigint() - t1;
    if (!expectedCache.has(inputs)) expectedCache.set(inputs, expectedTotals(inputs));
    let problems;
    try {
      problems = await c.verify(expectedCache.get(inputs));
    } catch (e) { // an API mismatch in a check must not hide the timings
      problems = [`verify threw ${e && e.stack ? e.stack.split("\n")[0] : e}`];
    }
    await c.close();
    const n = inputs.length;
    return { ns: Number(loopNs) / n, flush: Number(flushNs) / n, problems };
  } finally {
    if (tmpdir) fs.rmSync(tmpdir, { recursive: true, force: true });
  }
}

async function buildCandidates(only) {
  const notes = [];
  const { am, from } = loadAgentmetrics();
  let sdk = null;
  let otelVersions = {};
  try {
    sdk = await import("@opentelemetry/sdk-metrics");
    otelVersions = { "@opentelemetry/sdk-metrics": packageVersion("@opentelemetry/sdk-metrics"),
      "@opentelemetry/api": packageVersion("@opentelemetry/api") };
  } catch (e) {
    notes.push(`@opentelemetry/sdk-metrics not importable (${e.message.split("\n")[0]}): ` +
      "npm install --prefix bench --ignore-scripts --no-audit --no-fund");
  }
  let cands = [new NativeNoop(am), new JsNoop(), new AgentMetrics(am), new AgentMetrics(am, "journal"),
    new AgentMetrics(am, "database"), new JsAccumulator()];
  if (sdk) cands.push(new OpenTelemetry(sdk));
  if (only.size) cands = cands.filter((c) => only.has(c.name));
  return { am, from, cands, notes, otelVersions };
}

/** A package's version from its package.json (found above its resolved entry point: the exports
 * maps of these packages do not expose ./package.json). */
function packageVersion(name) {
  let dir = path.dirname(require.resolve(name));
  for (;;) {
    const file = path.join(dir, "package.json");
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, "utf8"));
      if (pkg.name === name) return pkg.version;
    }
    const up = path.dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

// -------------------------------------------------------------------------------------- statistics
function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Quartile q (1 or 3) as Python's statistics.quantiles(n=4) (method "exclusive"). */
function quartile(xs, q) {
  const s = [...xs].sort((a, b) => a - b);
  const ld = s.length;
  if (ld < 2) return s[0];
  const m = ld + 1;
  let j = Math.floor((q * m) / 4);
  j = j < 1 ? 1 : j > ld - 1 ? ld - 1 : j;
  const delta = q * m - j * 4;
  return (s[j - 1] * (4 - delta) + s[j] * delta) / 4;
}

function summarize(results, cands) {
  const out = {};
  for (const c of cands) {
    const r = results[c.name];
    if (!r.ns.length) continue;
    out[c.name] = {
      group: c.group,
      records_per_round: r.records,
      median_ns: median(r.ns),
      min_ns: Math.min(...r.ns),
      p25_ns: quartile(r.ns, 1),
      p75_ns: quartile(r.ns, 3),
      flush_ns_per_record: c.hasFlush ? median(r.flush) : null,
      rounds_ns: r.ns,
    };
  }
  return out;
}

const AM_VARIANTS = ["agentmetrics", "agentmetrics+journal", "agentmetrics+database"];

/** Each target for each agentmetrics variant; a target whose reference did not run is "unmeasured"
 * (and fails --check: a missing competitor must not pass silently). */
function checkTargets(summary) {
  const checks = [];
  const floor = summary["native-noop"]?.median_ns;
  const otel = summary.opentelemetry?.median_ns;
  const r2 = (x) => Math.round(x * 100) / 100;
  for (const candidate of AM_VARIANTS) {
    if (!summary[candidate]) continue;
    const v = summary[candidate].median_ns;
    const check = (target, measured, value, ok) => checks.push(measured
      ? { candidate, target, value, ok } : { candidate, target, value: null, ok: false, unmeasured: true });
    check(`<= ${TARGET_MAX_NS} ns/record`, true, Math.round(v * 10) / 10, v <= TARGET_MAX_NS);
    check(`<= ${TARGET_MAX_FLOOR_RATIO}x the floor (native-noop)`, floor !== undefined,
      floor && r2(v / floor), floor && v / floor <= TARGET_MAX_FLOOR_RATIO);
    check(`faster than opentelemetry (x${TARGET_MIN_SPEEDUP_VS_OTEL > 1 ? ` >= ${TARGET_MIN_SPEEDUP_VS_OTEL}` : ""})`,
      otel !== undefined, otel && r2(otel / v),
      otel && (TARGET_MIN_SPEEDUP_VS_OTEL > 1 ? otel / v >= TARGET_MIN_SPEEDUP_VS_OTEL : otel > v));
  }
  return checks;
}

const fmtNs = (x) => Math.round(x).toLocaleString("en-US");
const ratio = (x) => x.toFixed(x < 1 ? 2 : 1);

function printReport(summary, checks, problems, meta, notes) {
  const floorName = summary["native-noop"] ? "native-noop" : "js-noop";
  const floor = summary[floorName]?.median_ns;
  const ams = AM_VARIANTS.filter((n) => summary[n]);
  const v = meta.versions;
  console.log(`\nCost of recording one model call from Node: ${meta.rounds} interleaved rounds x ` +
    `${meta.records} records; medians over rounds of ns per record.`);
  console.log(`Node ${v.node} (V8 ${v.v8}), agentmetrics ${v.agentmetrics ?? "-"}, ` +
    `@opentelemetry/sdk-metrics ${v["@opentelemetry/sdk-metrics"] ?? "-"}, ` +
    `@opentelemetry/api ${v["@opentelemetry/api"] ?? "-"}; ${meta.cpus} CPUs, load ${meta.loadavg_start} -> ` +
    `${meta.loadavg_end}`);
  console.log(`agentmetrics from ${meta.agentmetrics_from}`);
  for (const n of notes) console.log("note:", n);
  const short = { agentmetrics: "am", "agentmetrics+journal": "am+journal", "agentmetrics+database": "am+database" };
  const head = ["candidate", "ns/record", "p25-p75", `x ${floorName}`, "flush ns/rec",
    ...ams.map((a) => `${short[a]} x faster`)];
  const rows = Object.entries(summary).map(([name, s]) => [
    name, fmtNs(s.median_ns), `${fmtNs(s.p25_ns)}-${fmtNs(s.p75_ns)}`,
    floor ? (s.median_ns / floor).toFixed(2) : "-",
    s.flush_ns_per_record === null ? "-" : fmtNs(s.flush_ns_per_record),
    ...ams.map((a) => (name === a || s.group === "floor" || s.group === "reference") ? ""
      : ratio(s.median_ns / summary[a].median_ns)),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmt = (r) => "| " + r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(" | ") + " |";
  console.log();
  console.log(fmt(head));
  console.log("|" + widths.map((w, i) => "-".repeat(w + 1) + (i ? ":" : "-")).join("|") + "|");
  for (const r of rows) console.log(fmt(r));
  console.log('\n"am* x faster": this row\'s ns/record divided by that agentmetrics variant\'s ' +
    '(am = agentmetrics, no store).\n"flush ns/rec": the end-of-round rec.flush(), outside the timed region, ' +
    "per record.");
  if (checks.length) {
    console.log("\nTargets:");
    for (const c of checks) {
      const status = c.unmeasured ? "N/A " : c.ok ? "PASS" : "FAIL";
      console.log(`  ${status}  ${c.candidate.padEnd(22)} ${c.target.padEnd(42)} ${c.value ?? "not measured"}`);
    }
  }
  if (problems.length) {
    // the same inputs every run: the same problem usually recurs, so say it once with its runs
    const grouped = new Map();
    for (const p of problems) {
      const key = `${p.candidate}: ${p.problem}`;
      if (!grouped.has(key)) grouped.set(key, []);
      grouped.get(key).push(p.run);
    }
    console.log("\nVerification problems (totals after a run did not match the inputs):");
    for (const [key, runs] of [...grouped].slice(0, 30)) {
      const where = [...new Set(runs)];
      const more = where.length > 4 ? ", ..." : "";
      console.log(`   ${key}  [${runs.length} run(s): ${where.slice(0, 4).join(", ")}${more}]`);
    }
  }
}

// ---------------------------------------------------------------------------------------------- main
const USAGE = `usage: node bench/bench_node.mjs [--rounds 15] [--records 20000] [--json [PATH]] [--check]
                               [--only NAME,...] [--tmpdir DIR]`;

function parseArgs(argv) {
  const args = { rounds: 15, records: 20_000, json: null, check: false, only: new Set(), tmpdir: os.tmpdir() };
  const value = (i, flag) => {
    if (i >= argv.length || argv[i].startsWith("--")) throw new Error(`${flag} needs a value`);
    return argv[i];
  };
  const positive = (s, flag) => {
    const n = Number(s);
    if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${flag} must be a positive integer, not ${s}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    let inline = null;
    if (a.startsWith("--") && a.includes("=")) [a, inline] = [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)];
    switch (a) {
      case "--rounds": args.rounds = positive(inline ?? value(++i, a), a); break;
      case "--records": args.records = positive(inline ?? value(++i, a), a); break;
      case "--json":
        if (inline !== null) args.json = inline;
        else if (i + 1 < argv.length && !argv[i + 1].startsWith("--")) args.json = argv[++i];
        else args.json = "-";
        break;
      case "--check": args.check = true; break;
      case "--only":
        args.only = new Set((inline ?? value(++i, a)).split(",").map((s) => s.trim()).filter(Boolean));
        break;
      case "--tmpdir": args.tmpdir = inline ?? value(++i, a); break;
      case "-h": case "--help": console.log(USAGE); process.exit(0); break;
      default: throw new Error(`unknown argument ${argv[i]}\n${USAGE}`);
    }
  }
  return args;
}

async function main() {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(e.message);
    process.exit(2);
  }
  const gc = exposeMinorGc();
  const { am, from, cands, notes, otelVersions } = await buildCandidates(args.only);
  if (!cands.length) {
    console.error("no candidates");
    process.exit(2);
  }
  const inputs = makeInputs(args.records);
  const loadavg = () => os.loadavg().map((x) => x.toFixed(2)).join(" ");
  const meta = {
    rounds: args.rounds, records: args.records, model: MODEL, provider: PROVIDER, cpus: os.cpus().length,
    versions: { node: process.versions.node, v8: process.versions.v8, agentmetrics: am.version,
      agentmetrics_abi: am.abiVersion, ...otelVersions },
    agentmetrics_from: from, loadavg_start: loadavg(),
  };
  const toStdout = args.json === "-";
  const log = toStdout ? (...a) => console.error(...a) : (...a) => console.log(...a);

  // The warm-up round (not counted): module loading, first-call caches, the price table, the temp
  // dir, and above all V8: each candidate runs (setup, loop, check, close) until it has run
  // WARMUP_MIN_RUNS times and for WARMUP_MIN_MS, so that its loop and callee are optimised and
  // have survived the per-round deoptimisations (new session, new closure) before timing starts.
  const problems = [];
  for (const c of cands) {
    const t0 = performance.now();
    for (let k = 0; k < WARMUP_MIN_RUNS || performance.now() - t0 < WARMUP_MIN_MS; k++) {
      const r = await runOne(c, -1 - k, inputs, args.tmpdir, gc);
      problems.push(...r.problems.map((problem) => ({ run: "warm-up", candidate: c.name, problem })));
    }
  }
  log("warm-up round done");

  const results = Object.fromEntries(cands.map((c) => [c.name, { ns: [], flush: [], records: inputs.length }]));
  for (let rnd = 0; rnd < args.rounds; rnd++) {
    const k = rnd % cands.length;
    for (const c of [...cands.slice(k), ...cands.slice(0, k)]) {
      const r = await runOne(c, rnd, inputs, args.tmpdir, gc);
      results[c.name].ns.push(r.ns);
      results[c.name].flush.push(r.flush);
      problems.push(...r.problems.map((problem) => ({ run: `round ${rnd + 1}`, candidate: c.name, problem })));
    }
    log(`round ${rnd + 1}/${args.rounds} done`);
  }
  meta.loadavg_end = loadavg();

  const summary = summarize(results, cands);
  const checks = checkTargets(summary);
  if (args.json !== null) {
    const text = JSON.stringify({ meta, notes, results: summary, targets: checks, problems }, null, 2);
    if (toStdout) console.log(text);
    else fs.writeFileSync(args.json, text + "\n");
  }
  if (!toStdout) printReport(summary, checks, problems, meta, notes);
  const failed = problems.length > 0 || !checks.every((c) => c.ok);
  process.exitCode = args.check && failed ? 1 : 0;
}

await main();
