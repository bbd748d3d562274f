"use strict";
// agentmetrics for Node: the idioms (option objects, string enums, dispose, promises) over the
// native addon. Every number is computed by the native core, the same code as the C library
// and the Python package: normalisation, prices, aggregates and display strings.

const native = require("./addon.js").loadAddon();
const http = require("./http.js");

/** Any failure of the core other than a bad argument; `status` names the C status code. */
class AgentMetricsError extends Error {
  constructor(message) {
    super(message);
    this.name = "AgentMetricsError";
  }
}
native.setErrorClass(AgentMetricsError);

// ---- Enums: the public names over the values of metrics_c.h, which the addon exports
// (native.constants, derived from the header's macros at build time); none is retyped here ----

const C = native.constants;
// { name: C[group][macro name] } for the public names; a name the addon lacks is a bug here.
function pick(group, names) {
  return Object.fromEntries(Object.entries(names).map(([name, macro]) => {
    if (typeof C[group][macro] !== "number") throw new Error(`agentmetrics: no constant ${group}.${macro}`);
    return [name, C[group][macro]];
  }));
}
const same = (...names) => Object.fromEntries(names.map((n) => [n, n]));

const FORMATS = pick("format", same("openai_chat", "openai_responses", "anthropic", "google_genai", "bedrock",
  "ai_sdk_v4", "ai_sdk_v5", "ai_sdk_v6", "mastra"));
const DURATION_KINDS = pick("duration", same("model_call", "tool_call", "turn", "ttft"));
const BY = pick("by", same("model", "provider", "source", "tool", "agent", "phase", "task", "session", "day"));
const PERIODS = pick("period", same("all", "hour", "day", "week", "month"));
const FLUSH = pick("flush", same("none", "interval", "every_record"));
const RECORD_KINDS = pick("record", same("session", "model_call", "tool_call", "turn", "invocation"));
const RECORD_KIND_NAMES = Object.fromEntries(Object.entries(RECORD_KINDS).map(([k, v]) => [v, k]));
// A record call's status (AGM_OK, AGM_BUDGET_EXCEEDED, AGM_BUDGET_WARNING): its notice.
const NOTICES = [];
for (const n of ["ok", "budget_exceeded", "budget_warning"]) NOTICES[C.status[n]] = n;
const QUERY = pick("query", { ...same("summary", "tools", "slow", "errors", "expensive_sessions", "session", "invocations"),
  costs: "cost_breakdown" });

// Presence bits (metrics_c.h), and the canonical usage keys in the order of the addon's slots
const USAGE_BITS = C.usage_fields.map(([, bit]) => bit);
const USAGE_FIELDS = C.usage_fields.map(([name]) => name);
const CALL = { ...pick("call_has", { start: "start", end: "end", duration: "duration", ttft: "ttft", attempt: "attempt",
  inputBytes: "input_bytes", outputBytes: "output_bytes" }), ...pick("call_f", { sinceLastStep: "since_last_step" }) };
// Slots of the shared arrays (addon.cc NumberSlot / InstantSlot)
const N = { ...C.slots };
const numbers = native.numbers;
const instants = native.instants;

// ---- Argument checks: TypeError for a wrong type, RangeError for a bad value ----

function enumValue(table, value, what) {
  const v = table[typeof value === "string" ? value.toLowerCase() : value];
  if (v === undefined) {
    throw new RangeError(`unknown ${what} ${JSON.stringify(value)} (one of ${Object.keys(table).join(", ")})`);
  }
  return v;
}

function optString(value, what) {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw new TypeError(`${what} must be a string, not ${typeof value}`);
  return value;
}

function instant(value, what) {
  if (typeof value === "bigint") return value;
  if (typeof value === "number" && Number.isSafeInteger(value)) return BigInt(value);
  throw new TypeError(`${what} must be a bigint of nanoseconds (or a safe integer)`);
}

function msToNs(ms, what) {
  if (typeof ms !== "number") throw new TypeError(`${what} must be a number of milliseconds`);
  if (!(ms >= 0) || !Number.isFinite(ms)) throw new RangeError(`${what} must be a finite number >= 0`);
  return Math.round(ms * 1e6);
}

function count(value, what) {
  if (typeof value !== "number") throw new TypeError(`${what} must be a number`);
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${what} must be a whole number >= 0, not ${value}`);
  return value;
}

function onDrop(callback) {
  if (callback === undefined || callback === null) return null;
  if (typeof callback !== "function") throw new TypeError("openStore: onDrop must be a function");
  return callback;
}

function options(value, what) {
  if (value === undefined || value === null) return {};
  if (typeof value !== "object") throw new TypeError(`${what} must be an object`);
  return value;
}

// Canonical usage into the shared array; an SDK's own shape needs usageFormat.
function putUsage(usage) {
  if (typeof usage !== "object") throw new TypeError("usage must be an object");
  let present = 0;
  for (const key in usage) {
    const i = USAGE_FIELDS.indexOf(key);
    if (i < 0) {
      throw new RangeError(`unknown usage key ${JSON.stringify(key)}: an object is read as canonical usage ` +
        `(${USAGE_FIELDS.slice(0, 6).join(", ")}); pass usageFormat for an SDK's own shape`);
    }
    const v = usage[key];
    if (v === undefined || v === null) continue;
    numbers[N.usage + i] = count(v, `usage.${key}`);
    present |= USAGE_BITS[i];
  }
  numbers[N.usagePresent] = present;
}

// Timing options into the shared arrays; returns the presence bits.
function putTiming(o, what) {
  let present = 0;
  if (o.durationMs !== undefined && o.durationMs !== null) {
    numbers[N.durationNs] = msToNs(o.durationMs, `${what}.durationMs`);
    present |= CALL.duration;
  }
  if (o.startNs !== undefined && o.startNs !== null) {
    instants[N.startNs] = instant(o.startNs, `${what}.startNs`);
    present |= CALL.start;
  }
  if (o.endNs !== undefined && o.endNs !== null) {
    instants[N.endNs] = instant(o.endNs, `${what}.endNs`);
    present |= CALL.end;
  }
  if (o.sinceLastStep) present |= CALL.sinceLastStep;
  return present;
}

function putBytes(o, present) {
  if (o.inputBytes !== undefined && o.inputBytes !== null) {
    numbers[N.inputBytes] = count(o.inputBytes, "inputBytes");
    present |= CALL.inputBytes;
  }
  if (o.outputBytes !== undefined && o.outputBytes !== null) {
    numbers[N.outputBytes] = count(o.outputBytes, "outputBytes");
    present |= CALL.outputBytes;
  }
  return present;
}

function optInstant(value, what) {
  return value === undefined || value === null ? undefined : instant(value, what);
}

function payloadJson(payload) {
  return typeof payload === "string" ? payload : JSON.stringify(payload === undefined ? null : payload);
}

// The core's JSON documents (history queries, invocations, records). Their costs are JSON
// numbers, read as doubles here; exact amounts are the strings of totals() and breakdown().
const parseDoc = JSON.parse;

// ---- Sessions ----

class Session {
  /** @param {Recorder} recorder */
  constructor(recorder, o = {}) {
    o = options(o, "session options");
    const tags = o.tags ? Object.entries(o.tags) : null;
    this._native = new native.Session(recorder._native, optString(o.sessionId, "sessionId"),
      optString(o.agent, "agent"), optString(o.phase, "phase"), optString(o.task, "task"),
      tags && tags.map(([k]) => k), tags && tags.map(([k, v]) => optString(v, `tags.${k}`)));
    this._handle = this._native.handle(); // for the record calls (see addon.cc)
    this._recorder = recorder;
    this._tags = o.tags ? { ...o.tags } : {};
  }

  get sessionId() { return this._native.label("session_id"); }
  get closed() { return this._native.closed; }
  get labels() {
    const labels = {};
    for (const key of ["session_id", "agent", "phase", "task"]) {
      const v = this._native.label(key);
      if (v !== null) labels[key] = v;
    }
    return { ...labels, ...this._tags };
  }
  label(key) { return this._native.label(key); }
  get startedWallNs() { return this._native.startedWallNs(); }
  /** Now on the recorder's monotonic clock (bigint ns): the time base of startNs/endNs/atNs. */
  nowNs() { return this._recorder.nowNs(); }

  recordModelCall(o) {
    o = options(o, "recordModelCall options");
    let present = putTiming(o, "recordModelCall");
    if (o.ttftMs !== undefined && o.ttftMs !== null) {
      numbers[N.ttftNs] = msToNs(o.ttftMs, "ttftMs");
      present |= CALL.ttft;
    }
    if (o.attempt !== undefined && o.attempt !== null) {
      numbers[N.attempt] = count(o.attempt, "attempt");
      present |= CALL.attempt;
    }
    numbers[N.callPresent] = present;
    let format = 0;
    let json;
    const usage = o.usage;
    if (o.usageFormat !== undefined && o.usageFormat !== null) {
      format = enumValue(FORMATS, o.usageFormat, "usageFormat");
      json = payloadJson(usage);
    } else if (usage !== undefined && usage !== null) {
      putUsage(usage);
    } else {
      numbers[N.usagePresent] = 0;
    }
    return NOTICES[native.recordModelCall(this._handle, optString(o.model, "model"), optString(o.provider, "provider"),
      optString(o.source, "source"), optString(o.stopReason, "stopReason"), optString(o.error, "error"), format, json,
      optString(o.usageProvider, "usageProvider"), optString(o.modelVersion, "modelVersion"),
      optString(o.streamEvent, "streamEvent"), o.partial === true)];
  }

  recordToolCall(name, o) {
    if (typeof name !== "string") throw new TypeError("recordToolCall: name must be a string");
    o = options(o, "recordToolCall options");
    numbers[N.callPresent] = putBytes(o, putTiming(o, "recordToolCall"));
    native.recordToolCall(this._handle, name, optString(o.error, "error"), optString(o.errorMessage, "errorMessage"));
  }

  toolStart(name, callId, o) {
    if (typeof name !== "string" || typeof callId !== "string") {
      throw new TypeError("toolStart: name and callId must be strings");
    }
    o = options(o, "toolStart options");
    native.toolStart(this._handle, name, callId, optInstant(o.atNs, "atNs"));
  }

  toolEnd(callId, o) {
    if (typeof callId !== "string") throw new TypeError("toolEnd: callId must be a string");
    o = options(o, "toolEnd options");
    let present = 0;
    if (o.endNs !== undefined && o.endNs !== null) {
      instants[N.endNs] = instant(o.endNs, "endNs");
      present |= CALL.end;
    }
    numbers[N.callPresent] = putBytes(o, present);
    native.toolEnd(this._handle, callId, optString(o.name, "name"), optString(o.error, "error"),
      optString(o.errorMessage, "errorMessage"));
  }

  /** Time `fn` as a tool call; a throw (or rejection) records an error and propagates. */
  async toolCall(name, fn, callId = `${name}#${++toolCallCounter}`) {
    this.toolStart(name, callId);
    try {
      const result = await fn();
      this.toolEnd(callId);
      return result;
    } catch (error) {
      this.toolEnd(callId, { error: (error && error.name) || "Error", errorMessage: String(error && error.message) });
      throw error;
    }
  }

  turnBegin(o) {
    o = options(o, "turnBegin options");
    this._native.turnBegin(optInstant(o.atNs, "atNs"));
  }
  turnEnd(o) {
    o = options(o, "turnEnd options");
    this._native.turnEnd(optInstant(o.atNs, "atNs"));
  }
  /** Run `fn` (sync or async) inside a turn, which ends when it settles. */
  async turn(fn) {
    this.turnBegin();
    try {
      return await fn(this);
    } finally {
      this.turnEnd();
    }
  }
  turnStats() { return this._native.turnStats(); }
  turnTotals() { return this._native.turnTotals(); }
  totals() { return this._native.totals(); }
  durations(kind = "model_call") { return this._native.durations(enumValue(DURATION_KINDS, kind, "duration kind")); }
  breakdown(by = "model") { return this._native.breakdown(enumValue(BY, by, "breakdown dimension")); }

  addBudget(o) {
    o = options(o, "addBudget options");
    if (o.maxTokens !== undefined && o.maxTokens !== null) count(o.maxTokens, "maxTokens");
    if (o.maxCost !== undefined && o.maxCost !== null && typeof o.maxCost !== "string") {
      throw new TypeError("maxCost must be a decimal string of USD (exact), e.g. \"0.50\"");
    }
    if (o.callback !== undefined && o.callback !== null && typeof o.callback !== "function") {
      throw new TypeError("callback must be a function");
    }
    this._native.addBudget(o.warn === true, o.maxTokens ?? null, o.maxCost ?? null, optString(o.model, "model") ?? null,
      o.callback ?? null);
  }

  formatTurn(o) { return this._native.formatTurn(options(o, "formatTurn options").color === true); }
  formatSummary(o) { return this._native.formatSummary(options(o, "formatSummary options").color === true); }

  close() { this._native.close(); }
  [Symbol.dispose]() { this.close(); }
}
let toolCallCounter = 0;

// ---- History queries (seed 001) ----

const queryMethods = {
  /** Totals, latencies, cost by model, top tools and sessions over a period. */
  summary(o) { return this._run("summary", o); },
  /** Cost grouped by model, provider, source, agent, phase, task, session or day. */
  costs(o) { return this._run("costs", o); },
  /** Per tool: calls, success rate, mean, p95, errors, last error. */
  tools(o) { return this._run("tools", o); },
  /** Operations at or over thresholdMs (default: the core's, 5 s), slowest first. */
  slow(o) { return this._run("slow", o); },
  /** Recent errors and error counts by tool and model. */
  errors(o) { return this._run("errors", o); },
  /** Sessions by cost, highest first. */
  expensiveSessions(o) { return this._run("expensive_sessions", o); },
  /** One session's metrics. */
  session(sessionId, o) { return this._run("session", { ...options(o, "options"), name: sessionId }); },
  /** Seed 004's invocation aggregate over the stored invocations in range. */
  invocations(o) { return this._run("invocations", o); },
};

function queryArgs(kind, o) {
  o = options(o, "query options");
  let period = enumValue(PERIODS, o.period ?? "all", "period");
  let since = null;
  let until = null;
  if (o.sinceNs !== undefined || o.untilNs !== undefined) {
    period = C.period.range; // an end left undefined is open (the core's presence bits)
    if (o.sinceNs !== undefined) since = instant(o.sinceNs, "sinceNs");
    if (o.untilNs !== undefined) until = instant(o.untilNs, "untilNs");
  }
  const name = kind === "tools" ? optString(o.tool, "tool") : optString(o.name, "name");
  return [QUERY[kind], period, o.by === undefined ? 0 : enumValue(BY, o.by, "grouping"), since, until,
    o.nowNs === undefined ? null : instant(o.nowNs, "nowNs"), name ?? null,
    o.thresholdMs === undefined ? 0 : msToNs(o.thresholdMs, "thresholdMs"), o.limit ?? 0, o.tiers ?? null,
    o.bucketMs === undefined ? 0 : msToNs(o.bucketMs, "bucketMs")];
}

/** Sync and Promise forms of every query, over `target.query` / `target.queryAsync`. */
function makeQueries(target) {
  const sync = { _run: (kind, o) => parseDoc(target.query(...queryArgs(kind, o))) };
  const promised = { _run: async (kind, o) => parseDoc(await target.queryAsync(...queryArgs(kind, o))) };
  for (const [name, fn] of Object.entries(queryMethods)) {
    sync[name] = fn;
    promised[name] = fn;
  }
  sync.async = promised;
  return sync;
}

const EXPORT_FORMATS = pick("export", { "otlp-json": "otlp_json", ...same("otlp_json", "prometheus", "csv", "json") });

// (period, since, until, nowNs) of an export or report, from query options.
function rangeArgs(o) {
  const [, period, , since, until, nowNs] = queryArgs("summary", o);
  return [period, since, until, nowNs];
}

// "key=value,..." for the core, from a string or an object (values percent-encoded).
function keyValues(value, what) {
  if (value === undefined || value === null) return null;
  if (typeof value === "string") return value;
  if (typeof value !== "object") throw new TypeError(`${what} must be an object or a "key=value,..." string`);
  return Object.entries(value).map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`).join(",");
}

function exportArgs(format, o) {
  o = options(o, "export options");
  const file = o.file === undefined ? null : o.file;
  if (file !== null && typeof file !== "string") throw new TypeError("export: file must be a path string");
  return [enumValue(EXPORT_FORMATS, format, "export format"), ...rangeArgs(o), keyValues(o.resource, "resource"), file];
}

function reportArgs(o) {
  o = options(o, "report options");
  const file = o.file === undefined ? null : o.file;
  if (file !== null && typeof file !== "string") throw new TypeError("reportHtml: file must be a path string");
  return [optString(o.title, "title") ?? null, o.limit ?? 0, ...rangeArgs(o), file];
}

class History {
  constructor(file) {
    if (typeof file !== "string") throw new TypeError("History: path must be a string");
    this._native = new native.History(file);
    this.path = file;
    const queries = makeQueries(this._native);
    Object.assign(this, queries);
    const self = this;
    Object.assign(this.async, {
      export: (format, o) => self._native.exportAsync(...exportArgs(format, o)),
      reportHtml: (o) => self._native.reportHtmlAsync(...reportArgs(o)),
    });
  }
  /** The records in range as "otlp-json", "prometheus", "csv" or "json": returned, or written to `file`. */
  export(format = "json", o) { return this._native.export(...exportArgs(format, o)); }
  /** The self-contained HTML report (inline SVG charts, no script): returned, or written to `file`. */
  reportHtml(o) { return this._native.reportHtml(...reportArgs(o)); }
  /**
   * POST the OTLP/JSON export to an OTLP/HTTP receiver with fetch (lib/http.js); resolves to its
   * response object. The core decides the retries (429, 502, 503, 504, a failed connection, a
   * timeout) and the waits; redirects are not followed.
   */
  async pushOtlp(endpoint, o) {
    if (typeof endpoint !== "string") throw new TypeError("pushOtlp: endpoint must be a URL string");
    o = options(o, "push options");
    const whole = (name) => {
      const value = o[name];
      if (!Number.isInteger(value) || value < 1 || value > 0xffffffff) {
        throw new RangeError(`${name} must be a whole number from 1 to 2^32-1`);
      }
      return value;
    };
    // 0: the library's default (10 s an attempt, 5 attempts, 1 s before the first retry)
    const reply = await this._native.pushOtlpAsync(endpoint, keyValues(o.headers, "headers"),
      o.timeoutMs == null ? 0 : whole("timeoutMs"),
      ...rangeArgs(o), keyValues(o.resource, "resource"), o.maxAttempts == null ? 0 : whole("maxAttempts"),
      o.retryDelayMs == null ? 0 : whole("retryDelayMs"), http.send);
    return reply.trim() ? JSON.parse(reply) : {};
  }
  /** A Follow of this store: records appended from now on (or from the start). */
  follow(o) { return new Follow(this.path, o); }
  warnings() { return JSON.parse(this._native.warnings()); }
  get closed() { return this._native.closed; }
  close() { this._native.close(); }
  [Symbol.dispose]() { this.close(); }
}

/** `tail -f` for a store: poll() returns the records appended since the last poll (export rows). */
class Follow {
  constructor(file, o) {
    if (typeof file !== "string") throw new TypeError("Follow: path must be a string");
    this._native = new native.Follow(file, options(o, "follow options").fromStart === true);
  }
  poll() {
    return this._native.poll().split("\n").filter((line) => line).map((line) => parseDoc(line));
  }
  /** Journal lines the polls so far skipped as malformed. */
  get malformed() { return this._native.malformed; }
  get closed() { return this._native.closed; }
  close() { this._native.close(); }
  [Symbol.dispose]() { this.close(); }
}

// ---- Recorder ----

class Recorder {
  constructor(o) {
    o = options(o, "Recorder options");
    for (const key of ["clock", "wallClock"]) {
      if (o[key] !== undefined && typeof o[key] !== "function") throw new TypeError(`${key} must be a function`);
    }
    this._native = new native.Recorder(o.clock, o.wallClock, o.bundledPrices !== false);
    // The core's default monotonic clock is CLOCK_MONOTONIC, which process.hrtime reads.
    this._now = o.clock || process.hrtime.bigint;
    this.history = makeQueries(this._native);
  }

  /** Now on this recorder's monotonic clock (bigint ns): the time base of startNs/endNs/atNs. */
  nowNs() { return BigInt(this._now()); }
  get closed() { return this._native.closed; }
  session(o) { return new Session(this, o); }

  loadPrices(table, o) {
    this._native.loadPrices(payloadJson(table), options(o, "options").replace === true);
  }
  loadPricesFile(file, o) { this._native.loadPricesFile(file, options(o, "options").replace === true); }
  setPrice(model, entry) {
    if (typeof model !== "string") throw new TypeError("setPrice: model must be a string");
    this._native.setPrice(model, payloadJson(entry));
  }
  /** The price table's entries whose names contain `filter` (case-insensitive), sorted by name. */
  prices(filter) { return JSON.parse(this._native.prices(optString(filter, "filter") ?? null)); }
  price(model, provider) {
    const json = this._native.price(model, optString(provider, "provider"));
    return json === null ? null : JSON.parse(json);
  }
  cost(model, usage, o) {
    o = options(o, "cost options");
    let format = 0;
    let json;
    if (o.usageFormat !== undefined) {
      format = enumValue(FORMATS, o.usageFormat, "usageFormat");
      json = payloadJson(usage);
    } else {
      putUsage(usage ?? {});
    }
    return this._native.cost(optString(model, "model"), optString(o.provider, "provider"), format, json);
  }
  totals() { return this._native.totals(); }
  durations(kind = "model_call") { return this._native.durations(enumValue(DURATION_KINDS, kind, "duration kind")); }
  breakdown(by = "model") { return this._native.breakdown(enumValue(BY, by, "breakdown dimension")); }

  openStore(o) {
    o = options(o, "openStore options");
    this._native.openStore(optString(o.journal, "journal"), optString(o.journalDir, "journalDir"),
      optString(o.database, "database"), enumValue(FLUSH, o.flush ?? "none", "flush policy"),
      o.flushIntervalMs === undefined ? 0 : msToNs(o.flushIntervalMs, "flushIntervalMs"),
      o.maxQueueBytes === undefined ? 0 : count(o.maxQueueBytes, "maxQueueBytes"), onDrop(o.onDrop));
  }
  flush() { this._native.flush(); }
  /** flush() without blocking the event loop. */
  flushAsync() { return this._native.flushAsync(); }
  closeStore() { this._native.closeStore(); }
  storeStatus() { return this._native.storeStatus(); }
  get journalPath() { return this._native.journalPath(); }

  /** callback(kind, record) for every new record of the given kinds (all by default); null removes it. */
  onRecord(callback, kinds) {
    if (callback !== null && typeof callback !== "function") throw new TypeError("onRecord: callback must be a function or null");
    let bits = C.record.all;
    if (kinds !== undefined) bits = kinds.reduce((b, k) => b | enumValue(RECORD_KINDS, k, "record kind"), 0);
    this._native.onRecord(callback && ((kind, json) => callback(RECORD_KIND_NAMES[kind], parseDoc(json))), bits);
  }

  load(file, o) { return loadReport(this._native.load(...loadArgs(file, o))); }
  /** load() without blocking the event loop. */
  async loadAsync(file, o) { return loadReport(await this._native.loadAsync(...loadArgs(file, o))); }

  recordInvocation(invocation) { this._native.recordInvocation(payloadJson(options(invocation, "invocation"))); }
  invocationCount() { return this._native.invocationCount(); }
  invocations(o) {
    o = options(o, "options");
    return parseDoc(this._native.invocations(o.skip ?? 0, o.limit ?? 0));
  }
  invocationAggregate(o) {
    o = options(o, "options");
    return parseDoc(this._native.invocationAggregate(o.tiers ?? null,
      o.bucketMs === undefined ? 0 : msToNs(o.bucketMs, "bucketMs")));
  }

  close() { this._native.close(); }
  [Symbol.dispose]() { this.close(); }
}

function loadArgs(file, o) {
  if (typeof file !== "string") throw new TypeError("load: path must be a string");
  o = options(o, "load options");
  return [file, o.skip ?? 0, o.limit ?? 0];
}

function loadReport(r) {
  return { ...r, warnings: JSON.parse(r.warnings) };
}

// ---- Usage ----

/** Normalise an SDK's usage payload (its object or JSON text) to canonical usage. */
function normalizeUsage(payload, format, o) {
  o = options(o, "options");
  return native.normalizeUsage(enumValue(FORMATS, format, "usage format"), payloadJson(payload),
    optString(o.provider, "provider"), optString(o.modelVersion, "modelVersion"),
    optString(o.streamEvent, "streamEvent"), o.partial === true);
}

/** Merges a streamed response's usage, event by event, with the provider's rule. */
class UsageStream {
  constructor(format, o) {
    o = options(o, "options");
    this._native = new native.UsageStream(enumValue(FORMATS, format, "usage format"),
      optString(o.provider, "provider"), optString(o.modelVersion, "modelVersion"));
  }
  add(event) { this._native.add(payloadJson(event)); }
  result() { return this._native.result(); }
}

module.exports = {
  AgentMetricsError,
  Recorder,
  Session,
  History,
  Follow,
  UsageStream,
  normalizeUsage,
  formatTokens: (n) => native.formatTokens(count(n, "tokens")),
  formatDurationMs: (ms) => {
    if (typeof ms !== "number") throw new TypeError("formatDurationMs: durationMs must be a number");
    return native.formatDurationMs(ms);
  },
  formatDurationNs: (ns) => native.formatDurationNs(instant(ns, "durationNs")),
  formatCost: (amount) => {
    if (typeof amount !== "string") throw new TypeError("formatCost: amount must be a decimal string of USD");
    return native.formatCost(amount);
  },
  colorEnabled: (isTTY) => native.colorEnabled(isTTY === true),
  bundledPricesInfo: () => JSON.parse(native.bundledPricesInfo()),
  storeCount: (file) => native.storeCount(file),
  version: native.version,
  abiVersion: native.abiVersion,
  FORMATS: Object.keys(FORMATS),
  _native: native,
  // The tables above, for tests/node/constants.test.js (not part of the API).
  _enums: { FORMATS, DURATION_KINDS, BY, PERIODS, FLUSH, RECORD_KINDS, NOTICES, QUERY, EXPORT_FORMATS, USAGE_FIELDS,
    USAGE_BITS, CALL, N },
};
// The integrations (they import neither the AI SDK nor Mastra).
Object.assign(module.exports, require("./ai-sdk.js"), require("./mastra.js"), require("./reporter.js"));
// The get_metrics agent tool (it reads Recorder, History and Session from this module).
Object.assign(module.exports, require("./tools.js"));
