'use strict';
/**
 * Mastra integration (`@mastra/core` Agent.generate / Agent.stream): handlers that record one
 * model call per step, tool calls with their durations, and one turn per call.
 *
 *     const { mastraMetrics } = require('agentmetrics-native');
 *     const session = rec.session({ agent: 'builder', phase: 'build' }); // fresh per iteration
 *     const metrics = mastraMetrics(session, { onTurnEnd: (s) => reporter.turn(s) });
 *     metrics.beginTurn();                       // the turn starts at the send, not at the first chunk
 *     const result = await agent.generate(message, { maxSteps: 5, ...metrics });
 *
 * - Model calls: one per `onStepFinish`, usageFormat 'mastra' with the step's
 *   `{ usage, providerMetadata }`, `model.provider` and `model.version` ('v2' | 'v3'), normalised
 *   by the native core. `onFinish` records nothing but the turn's end: its `totalUsage` repeats
 *   the steps (and its `usage.raw` is the last step's only). A step with finishReason 'error'
 *   is a failed model call.
 * - Tool calls: timed from the `tool-call` to the `tool-result` / `tool-error` chunk (`onChunk`,
 *   which Mastra calls in generate() as well as stream()); without `onChunk`, at the step's
 *   finish in batch mode (duration since the previous step finish, model time included).
 * - Turns: `metrics.beginTurn()` (or the first chunk or step, which starts the turn late) begins
 *   one; `onFinish`, `onAbort` and `metrics.onError` end it. A turn the caller opened on the
 *   session is used and left open.
 *
 * Each plan/build iteration should use a fresh session (`rec.session(...)`) and fresh handlers,
 * so its counts start from zero; a conversation's turns share one session.
 * Enumerable properties are the Agent options filled (onChunk, onStepFinish, onFinish, onAbort);
 * `beginTurn`, `endTurn`, `onError` and `session` are not enumerable (Mastra's own onError
 * logging is kept unless you pass `onError: metrics.onError`).
 */

const { _internal } = require('./ai-sdk.js');

const { StepTracker, stepCall, failure, errorMessage, arr, withControls } = _internal;

/** @typedef {import('./integrations').MetricsSession} MetricsSession */
/** @typedef {import('./integrations').MastraMetricsOptions} MastraMetricsOptions */
/** @typedef {import('./integrations').MastraHandlers} MastraHandlers */

/**
 * Mastra wraps tool calls and results in chunks: `{ type, runId, from, payload: {...} }`.
 * @param {any} chunk
 * @returns {any}
 */
function payloadOf(chunk) {
  return chunk && typeof chunk === 'object' && chunk.payload && typeof chunk.payload === 'object' ? chunk.payload : chunk;
}

/**
 * A tool result part whose output is an error (`{ type: 'error-text' | 'error-json' }`).
 * @param {any} output
 * @returns {boolean}
 */
function isErrorOutput(output) {
  return !!output && typeof output === 'object' && typeof output.type === 'string' && output.type.startsWith('error');
}

/**
 * Model call fields and tool outcomes of a Mastra step.
 * @param {any} step Mastra's LLMStepResult & { model?: { modelId, provider, version } }
 * @param {MastraMetricsOptions} options
 * @returns {import('./ai-sdk.js').StepInfo}
 */
function mastraStepInfo(step, options) {
  const m = step.model || {};
  const provider = options.provider || (typeof m.provider === 'string' ? m.provider : undefined);
  const call = stepCall(step, provider, options);
  if (step.usage != null) {
    Object.assign(call, {
      usage: { usage: step.usage, providerMetadata: step.providerMetadata },
      usageFormat: 'mastra',
      usageProvider: provider,
      modelVersion: options.modelVersion || (typeof m.version === 'string' ? m.version : undefined),
    });
  }
  const results = new Set();
  const errors = new Map();
  for (const r of arr(step.toolResults)) {
    const p = payloadOf(r);
    if (!p || typeof p.toolCallId !== 'string') continue;
    if (p.isError) errors.set(p.toolCallId, failure(p.result));
    else results.add(p.toolCallId);
  }
  for (const part of arr(step.content)) {
    if (!part || typeof part.toolCallId !== 'string') continue;
    if (part.type === 'tool-error' || (part.type === 'tool-result' && isErrorOutput(part.output))) {
      const err = part.type === 'tool-error' ? part.error : part.output.value;
      if (!errors.has(part.toolCallId)) {
        errors.set(part.toolCallId, part.type === 'tool-error' ? failure(err) : { error: 'error', message: errorMessage(err) });
      }
      results.delete(part.toolCallId);
    }
  }
  const toolCalls = [];
  for (const c of arr(step.toolCalls)) {
    const p = payloadOf(c);
    if (p && typeof p.toolCallId === 'string') toolCalls.push({ id: p.toolCallId, name: String(p.toolName || 'unknown') });
  }
  return { toolCalls, results, errors, call };
}

/**
 * Handlers for Mastra `agent.generate(messages, { ...handlers })` / `agent.stream(...)`.
 * @param {MetricsSession} session
 * @param {MastraMetricsOptions} [options]
 * @returns {MastraHandlers}
 */
function mastraMetrics(session, options = {}) {
  const t = new StepTracker(session, options);
  const handlers = {
    /** @param {any} chunk */
    onChunk(chunk) {
      if (!chunk || typeof chunk.type !== 'string') return;
      const p = payloadOf(chunk);
      if (chunk.type === 'tool-call') {
        t.guard('tool call', () => t.toolCall(p.toolName, p.toolCallId, true));
      } else if (chunk.type === 'tool-result') {
        t.guard('tool result', () =>
          p.isError ? t.toolFailed(p.toolCallId, p.result) : t.toolResult(p.toolCallId, undefined, undefined),
        );
      } else if (chunk.type === 'tool-error') {
        t.guard('tool error', () => t.toolFailed(p.toolCallId, p.error));
      }
    },
    /** @param {any} step */
    onStepFinish(step) {
      if (step) t.guard('step', () => t.step(mastraStepInfo(step, options)));
    },
    /** @param {any} event Mastra's onFinish event; `error` is set when the run failed */
    onFinish(event) {
      t.guard('finish', () => t.finish(event && event.error ? 'error' : 'finish'));
    },
    onAbort() {
      t.guard('abort', () => t.finish('aborted'));
    },
  };
  // Mastra has already delivered the failed step (finishReason 'error') to onStepFinish when
  // the model call failed; only the turn is left to end.
  const onError = () => t.guard('error', () => t.finish('error'));
  return /** @type {MastraHandlers} */ (/** @type {unknown} */ (withControls(handlers, session, t, onError)));
}

module.exports = { mastraMetrics };
