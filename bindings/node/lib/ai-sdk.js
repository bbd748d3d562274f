'use strict';
/**
 * Vercel AI SDK integration (`ai@5`, `ai@6`; `ai@4` step shapes are read too): handlers for
 * `generateText` / `streamText` that record one model call per step, tool calls with their
 * durations, and one turn per generation into an agentmetrics Session.
 *
 *     const { aiSdkMetrics } = require('agentmetrics-native');
 *     const metrics = aiSdkMetrics(session, { onTurnEnd: (s) => reporter.turn(s) });
 *     const result = streamText({ model, tools, prompt, stopWhen: stepCountIs(5), ...metrics });
 *
 * What is recorded, and from where:
 * - Model calls: one per `onStepFinish`, with that step's `usage` (ai@6: as is, usageFormat
 *   'ai_sdk_v6'; ai@5: `{ usage, providerMetadata }`, 'ai_sdk_v5'), normalised by the native core.
 *   `onFinish` records no usage: its `totalUsage` is the sum of the steps already recorded
 *   (and its `usage` is only the last step's).
 * - Tool calls: timed from the `tool-call` to the `tool-result` chunk (`onChunk`, streamText),
 *   or from ai@6's `experimental_onToolCallStart` to `experimental_onToolCallFinish` (both
 *   generateText and streamText). Tool calls no event timed (ai@5 generateText) are recorded at
 *   the step's finish in batch mode: their duration is the time since the previous step finish,
 *   which also contains the model's time for that step (the SDK gives nothing finer).
 * - Model call durations: from the previous step finish (or the turn's start for the first step)
 *   to the step's last `tool-call` chunk / first tool start when tools were timed, else to the
 *   step's finish. A first step whose start was never observed has no duration (missing, not 0).
 * - Turns: the first event of a generation begins a turn (ai@6 `experimental_onStart`, or
 *   `metrics.beginTurn()` called just before the SDK call; otherwise the first chunk or step,
 *   which starts the turn late), and `onFinish` / `onAbort` / `metrics.onError` end it. A turn
 *   the caller opened on the session is used and left open. ai@5 `generateText` has no
 *   `onFinish`: call `metrics.endTurn()` after it returns.
 *
 * The handler object's enumerable properties are exactly the SDK options it fills, so it can be
 * spread into the call; `beginTurn`, `endTurn`, `onError` and `session` are not enumerable.
 * `onError` is left out of the spread because it would replace streamText's default error
 * logging: pass `onError: (e) => { metrics.onError(e); console.error(e.error); }` to record
 * failed model calls. Metrics never break the agent: failures inside the handlers go to
 * `options.onInternalError` (default: a process warning).
 */

/** @typedef {import('./integrations').MetricsSession} MetricsSession */
/** @typedef {import('./integrations').AiSdkMetricsOptions} AiSdkMetricsOptions */
/** @typedef {import('./integrations').AiSdkHandlers} AiSdkHandlers */

/**
 * Normalised view of one finished step.
 * @typedef {object} StepInfo
 * @property {Array<{ id: string, name: string }>} toolCalls
 * @property {Set<string>} results                 tool call ids with a successful result
 * @property {Map<string, { error: string, message: string | undefined }>} errors  failed tool calls
 * @property {object} call                         model call fields: model, provider, usage...
 */

/**
 * Drop undefined and null values (the binding treats absent and null alike; keeps records tidy).
 * @param {Record<string, unknown>} obj
 * @returns {Record<string, unknown>}
 */
function compact(obj) {
  /** @type {Record<string, unknown>} */
  const out = {};
  for (const [k, v] of Object.entries(obj)) if (v !== undefined && v !== null) out[k] = v;
  return out;
}

/**
 * A short error class for a record ("TypeError", "AI_APICallError"); never the message.
 * @param {unknown} err
 * @returns {string}
 */
function errorClass(err) {
  if (err && typeof err === 'object') {
    const name = /** @type {any} */ (err).name;
    if (typeof name === 'string' && name) return name;
  }
  return 'error';
}

/**
 * The message of an error-like value, if it has one.
 * @param {unknown} err
 * @returns {string | undefined}
 */
function errorMessage(err) {
  if (err == null) return undefined;
  if (typeof err === 'string') return err;
  const m = /** @type {any} */ (err).message;
  return typeof m === 'string' ? m : undefined;
}

/**
 * A failed tool call's record fields, from what it threw.
 * @param {unknown} err
 * @returns {{ error: string, message: string | undefined }}
 */
function failure(err) {
  return { error: errorClass(err), message: errorMessage(err) };
}

/** @param {unknown} err @param {string} what */
function defaultInternalError(err, what) {
  const msg = err && /** @type {any} */ (err).message ? /** @type {any} */ (err).message : String(err);
  process.emitWarning(`agentmetrics: ${what}: ${msg}`, { code: 'AGENTMETRICS_INTEGRATION' });
}

/**
 * The state machine both integrations share: turn ownership, open tool calls, step timing.
 * One tracker serves one generation at a time (sequential generations on one session are fine).
 */
class StepTracker {
  /**
   * @param {MetricsSession} session
   * @param {{ onTurnEnd?: (s: MetricsSession) => void, onInternalError?: (e: unknown, what: string) => void }} options
   */
  constructor(session, options) {
    if (!session || typeof session.recordModelCall !== 'function') {
      throw new TypeError('agentmetrics: expected a Session (rec.session(...)) as the first argument');
    }
    this.session = session;
    this.onTurnEnd = options.onTurnEnd;
    this.onInternalError = options.onInternalError || defaultInternalError;
    this._resetTurn();
  }

  /** The state of one generation, as it is before its first event. */
  _resetTurn() {
    this.inTurn = false; // a generation is being tracked
    this.ownTurn = false; // ... in a turn this tracker began (and will end)
    /** @type {Map<string, string>} tool call id -> name, started here and not yet ended */
    this.open = new Map();
    /** @type {Set<string>} tool call ids recorded in this turn */
    this.done = new Set();
    /** @type {bigint | null} estimated end of the current step's model call */
    this.modelEnd = null;
    /** @type {bigint | null} when the previous step of this turn finished */
    this.prevStepEnd = null;
    this.startUnknown = false; // the turn began after its first model call started
    this.activity = false; // a chunk, tool or step was seen in this turn
    /** @type {string | undefined} */
    this.lastModel = undefined;
    /** @type {string | undefined} */
    this.lastProvider = undefined;
  }

  /**
   * Run `fn`, reporting (never throwing) a failure.
   * @template T
   * @param {string} what @param {() => T} fn
   * @returns {T | undefined}
   */
  guard(what, fn) {
    try {
      return fn();
    } catch (err) {
      try {
        this.onInternalError(err, what);
      } catch {
        /* the reporter itself failed: nothing left to do */
      }
      return undefined;
    }
  }

  /**
   * Begin tracking a generation.
   * @param {boolean} knownStart the time now is the generation's real start
   */
  ensureTurn(knownStart) {
    if (this.inTurn) return;
    this.inTurn = true;
    try {
      this.session.turnBegin();
      this.ownTurn = true;
      this.startUnknown = !knownStart;
    } catch {
      // A turn is already open on the session (the caller's): count in it, leave it open.
      this.ownTurn = false;
      this.startUnknown = false;
    }
  }

  /** A generation starts now (ai@6 experimental_onStart, or beginTurn()). */
  start() {
    if (this.inTurn && !this.activity) return; // beginTurn() followed by experimental_onStart
    if (this.inTurn) this.finish('incomplete'); // a previous generation that never finished
    this.ensureTurn(true);
  }

  /**
   * A tool call was seen: its `tool-call` chunk (`viaChunk`) or the start of its execution.
   * @param {unknown} name @param {unknown} id @param {boolean} viaChunk
   */
  toolCall(name, id, viaChunk) {
    if (typeof id !== 'string' || !id) return;
    this.ensureTurn(false);
    this.activity = true;
    const now = this.session.nowNs();
    // The model's output ends with its last tool call (streamed), or before the first tool runs.
    if (viaChunk || this.modelEnd === null) this.modelEnd = now;
    if (this.open.has(id) || this.done.has(id)) return;
    this.session.toolStart(String(name || 'unknown'), id);
    this.open.set(id, String(name || 'unknown'));
  }

  /**
   * A tool call ended (result chunk, or end of its execution). Unknown ids are ignored: a call
   * that was never started here is recorded at its step's finish instead.
   * @param {unknown} id @param {string | undefined} error @param {string | undefined} message
   */
  toolResult(id, error, message) {
    if (typeof id !== 'string') return;
    const name = this.open.get(id);
    if (name === undefined) return;
    this.open.delete(id);
    this.done.add(id);
    this.session.toolEnd(id, compact({ name, error, errorMessage: error ? message : undefined }));
  }

  /** A tool call ended with `err` thrown. @param {unknown} id @param {unknown} err */
  toolFailed(id, err) {
    const { error, message } = failure(err);
    this.toolResult(id, error, message);
  }

  /**
   * Timing fields for a call that ran from the previous step finish to now (or its endNs).
   * @returns {{ startNs?: bigint, sinceLastStep?: boolean }}
   */
  _since() {
    if (this.startUnknown) return {}; // duration missing, never a made-up 0
    if (this.prevStepEnd !== null) return { startNs: this.prevStepEnd };
    return { sinceLastStep: true }; // first step: the core measures from the turn's start
  }

  /** @param {StepInfo} info */
  step(info) {
    this.ensureTurn(false);
    this.activity = true;
    const session = this.session;
    const since = this._since();
    for (const { id, name } of info.toolCalls) {
      const failed = info.errors.get(id);
      if (this.open.has(id)) {
        // Started by a chunk, but its end was not seen (ai streams deliver no tool-error chunk).
        if (failed) this.toolResult(id, failed.error, failed.message);
        else if (info.results.has(id)) this.toolResult(id, undefined, undefined);
        // else: not executed yet (approval pending); ended with the turn if it never is
      } else if (!this.done.has(id) && (failed || info.results.has(id))) {
        // Batch mode: no event timed it; it ran between the previous step finish and now.
        this.done.add(id);
        session.recordToolCall(name, compact({ ...since, error: failed && failed.error, errorMessage: failed && failed.message }));
      }
    }
    const call = /** @type {Record<string, unknown>} */ (info.call);
    if (typeof call.model === 'string') this.lastModel = call.model;
    if (typeof call.provider === 'string') this.lastProvider = call.provider;
    const end = this.modelEnd;
    const now = session.nowNs();
    session.recordModelCall(compact({ ...call, ...since, endNs: end !== null ? end : undefined }));
    this.prevStepEnd = now;
    this.modelEnd = null;
    this.startUnknown = false;
  }

  /**
   * A generation failed before its step finished: record the failed model call.
   * @param {unknown} err @param {Record<string, unknown>} extra source etc.
   */
  failedCall(err, extra) {
    this.ensureTurn(false);
    this.session.recordModelCall(compact({ model: this.lastModel, provider: this.lastProvider, ...extra, ...this._since(), error: errorClass(err) }));
  }

  /**
   * End the generation: close tool calls left open, end the turn if it is ours.
   * @param {'finish' | 'aborted' | 'error' | 'incomplete'} reason
   */
  finish(reason) {
    if (!this.inTurn) return;
    const session = this.session;
    const owned = this.ownTurn;
    try {
      for (const id of [...this.open.keys()]) this.toolResult(id, reason === 'finish' ? 'incomplete' : reason, undefined);
      if (owned) session.turnEnd();
    } finally {
      this._resetTurn();
    }
    if (owned && this.onTurnEnd) this.onTurnEnd(session);
  }
}

/**
 * The usage format of an AI SDK usage object, from its shape.
 * @param {unknown} usage
 * @returns {'ai_sdk_v4' | 'ai_sdk_v5' | 'ai_sdk_v6'}
 */
function detectAiSdkFormat(usage) {
  if (usage && typeof usage === 'object') {
    if ('inputTokenDetails' in usage || 'outputTokenDetails' in usage) return 'ai_sdk_v6';
    if ('promptTokens' in usage || 'completionTokens' in usage) return 'ai_sdk_v4';
  }
  return 'ai_sdk_v5';
}

const AI_SDK_FORMATS = new Set(['ai_sdk_v4', 'ai_sdk_v5', 'ai_sdk_v6']);

/** @param {unknown} list @returns {any[]} */
function arr(list) {
  return Array.isArray(list) ? list : [];
}

/**
 * The model call fields of a finished step (AI SDK or Mastra) that do not depend on its usage.
 * @param {any} step @param {string | undefined} provider @param {{ model?: string, source?: string }} options
 * @returns {Record<string, unknown>}
 */
function stepCall(step, provider, options) {
  const finishReason = typeof step.finishReason === 'string' ? step.finishReason : undefined;
  return {
    model: (step.response && step.response.modelId) || (step.model && step.model.modelId) || options.model,
    provider,
    source: options.source,
    stopReason: finishReason,
    error: finishReason === 'error' ? 'error' : undefined,
  };
}

/**
 * Model call fields and tool outcomes of an AI SDK StepResult (v4, v5, v6).
 * @param {any} step @param {AiSdkMetricsOptions} options @returns {StepInfo}
 */
function aiSdkStepInfo(step, options) {
  const usage = step.usage;
  const format = options.usageFormat || detectAiSdkFormat(usage);
  const providerString = options.provider || (step.model && step.model.provider) || undefined;
  const call = stepCall(step, providerString, options);
  if (usage != null) {
    Object.assign(call, {
      usage: format === 'ai_sdk_v6' ? usage : { usage, providerMetadata: step.providerMetadata },
      usageFormat: format,
      usageProvider: format === 'ai_sdk_v6' ? undefined : providerString,
    });
  }
  const results = new Set();
  const errors = new Map();
  for (const r of arr(step.toolResults)) if (r && typeof r.toolCallId === 'string') results.add(r.toolCallId);
  for (const part of arr(step.content)) {
    if (part && part.type === 'tool-error' && typeof part.toolCallId === 'string') {
      errors.set(part.toolCallId, failure(part.error));
      results.delete(part.toolCallId);
    }
  }
  const toolCalls = arr(step.toolCalls)
    .filter((c) => c && typeof c.toolCallId === 'string')
    .map((c) => ({ id: c.toolCallId, name: String(c.toolName || 'unknown') }));
  return { toolCalls, results, errors, call };
}

/**
 * Handlers for AI SDK `generateText` / `streamText` that record into `session`.
 * @param {MetricsSession} session
 * @param {AiSdkMetricsOptions} [options]
 * @returns {AiSdkHandlers}
 */
function aiSdkMetrics(session, options = {}) {
  if (options.usageFormat !== undefined && !AI_SDK_FORMATS.has(options.usageFormat)) {
    throw new RangeError(`agentmetrics: usageFormat must be one of ${[...AI_SDK_FORMATS].join(', ')}, not ${String(options.usageFormat)}`);
  }
  const t = new StepTracker(session, options);
  const handlers = {
    /** @param {any} event */
    experimental_onStart(event) {
      t.guard('start', () => {
        t.start();
        if (event && event.model) {
          if (typeof event.model.modelId === 'string') t.lastModel = event.model.modelId;
          if (typeof event.model.provider === 'string') t.lastProvider = options.provider || event.model.provider;
        }
      });
    },
    /** @param {any} event */
    onChunk(event) {
      const chunk = event && event.chunk;
      if (!chunk) return;
      if (chunk.type === 'tool-call') t.guard('tool call', () => t.toolCall(chunk.toolName, chunk.toolCallId, true));
      else if (chunk.type === 'tool-result' && !chunk.preliminary) t.guard('tool result', () => t.toolResult(chunk.toolCallId, undefined, undefined));
      else if (chunk.type === 'tool-error') t.guard('tool error', () => t.toolFailed(chunk.toolCallId, chunk.error));
    },
    /** @param {any} event */
    experimental_onToolCallStart(event) {
      const call = event && event.toolCall;
      if (call) t.guard('tool start', () => t.toolCall(call.toolName, call.toolCallId, false));
    },
    /** @param {any} event */
    experimental_onToolCallFinish(event) {
      const call = event && event.toolCall;
      if (!call) return;
      t.guard('tool end', () =>
        event.success === false
          ? t.toolFailed(call.toolCallId, event.error)
          : t.toolResult(call.toolCallId, undefined, undefined),
      );
    },
    /** @param {any} step */
    onStepFinish(step) {
      if (step) t.guard('step', () => t.step(aiSdkStepInfo(step, options)));
    },
    onFinish() {
      t.guard('finish', () => t.finish('finish'));
    },
    onAbort() {
      t.guard('abort', () => t.finish('aborted'));
    },
  };
  /** @param {any} event streamText's `{ error }` (or the error itself) */
  const onError = (event) =>
    t.guard('error', () => {
      const err = event && typeof event === 'object' && 'error' in event ? event.error : event;
      t.failedCall(err, { source: options.source });
      t.finish('error');
    });
  return /** @type {AiSdkHandlers} */ (/** @type {unknown} */ (withControls(handlers, session, t, onError)));
}

/**
 * Adds the non-enumerable controls (so that `...handlers` spreads only the SDK's options):
 * the session, beginTurn, endTurn and onError.
 * @param {object} handlers @param {any} session @param {StepTracker} t @param {(event: any) => void} onError
 */
function withControls(handlers, session, t, onError) {
  return Object.defineProperties(handlers, {
    session: { value: session },
    beginTurn: { value: () => t.guard('begin turn', () => t.start()) },
    endTurn: { value: () => t.guard('end turn', () => t.finish('finish')) },
    onError: { value: onError },
  });
}

module.exports = { aiSdkMetrics };
// Shared with ./mastra.js; not public API.
Object.defineProperty(module.exports, '_internal', {
  value: { StepTracker, stepCall, failure, errorClass, errorMessage, arr, withControls },
});
