'use strict';
/**
 * The agent's own tool (seed 001): `get_metrics({ action, ... })` lets an agent ask what it has
 * spent and where its time went. The definition, the validation of the arguments, their
 * defaults and what each action reports live in the native core (agm_metrics_tool_schema,
 * agm_history_metrics_tool): Python's agentmetrics.tools gives the same answers.
 *
 *     const { metricsTool } = require('agentmetrics-native');
 *     const metrics = metricsTool(rec, { session });      // or metricsTool('runs/agentmetrics.db')
 *     tools: [metrics.openaiTool]                          // OpenAI chat completions
 *     tools: [metrics.anthropicTool]                       // Anthropic messages
 *     tools: { get_metrics: metrics.aiSdkTool(jsonSchema) } // AI SDK (`import { jsonSchema } from 'ai'`),
 *                                                          // and Mastra agents, which take AI SDK tools
 *     const result = metrics.call(JSON.parse(toolCall.function.arguments));  // a JSON-ready object
 *
 * Bad arguments, an unknown session or a recorder without a store come back as
 * `{ action, error }` for the model to read; nothing is thrown for them.
 */

const am = require('./index.js');

const native = am._native;
const SCHEMA = JSON.parse(native.metricsToolSchema());

/** The tool's name ("get_metrics"). */
const NAME = SCHEMA.name;
/** The tool's description for the model. */
const DESCRIPTION = SCHEMA.description;
/** JSON schema of the arguments (OpenAI "parameters", Anthropic "input_schema"). */
const PARAMETERS = SCHEMA.parameters;
/** The actions, in the schema's order. */
const ACTIONS = Object.freeze([...PARAMETERS.properties.action.enum]);

function contextArgs(o, what) {
  if (o === undefined || o === null) return [null, null];
  if (typeof o !== 'object') throw new TypeError(`${what} must be an object`);
  const session = o.session ?? null;
  if (session !== null && !(session instanceof am.Session)) throw new TypeError(`${what}.session must be a Session`);
  const nowNs = o.nowNs ?? null;
  if (nowNs !== null && typeof nowNs !== 'bigint' && !Number.isSafeInteger(nowNs)) {
    throw new TypeError(`${what}.nowNs must be a bigint or a safe integer of nanoseconds`);
  }
  return [session, nowNs === null ? null : BigInt(nowNs)];
}

class MetricsTool {
  /**
   * @param {am.Recorder | am.History | string} source  a recorder (its open store), a History, or a store path
   * @param {{ session?: am.Session, nowNs?: bigint | number }} [o]  the current session ("session"
   *   without sessionId reports it live) and the end of "period" (wall clock ns; default now)
   */
  constructor(source, o) {
    if (typeof source === 'string') source = new am.History(source);
    if (source instanceof am.Recorder) {
      this._run = (args, session, nowNs) => native.recorderMetricsTool(source._native, args, session, nowNs);
    } else if (source instanceof am.History) {
      this._run = (args, session, nowNs) => native.historyMetricsTool(source._native, args, session, nowNs);
    } else {
      throw new TypeError('MetricsTool: source must be a Recorder, a History or a store path');
    }
    [this._session, this._nowNs] = contextArgs(o, 'options');
    this.name = NAME;
    this.description = DESCRIPTION;
    this.parameters = PARAMETERS;
  }

  /** The definition for OpenAI chat completions `tools: [...]`. */
  get openaiTool() {
    return { type: 'function', function: { name: NAME, description: DESCRIPTION, parameters: PARAMETERS } };
  }

  /** The definition for Anthropic messages `tools: [...]`. */
  get anthropicTool() {
    return { name: NAME, description: DESCRIPTION, input_schema: PARAMETERS };
  }

  /**
   * A tool for the AI SDK's `tools: { get_metrics: ... }` (and Mastra agents, which take AI SDK
   * tools): pass the AI SDK's `jsonSchema` helper, so that this package needs no `ai` import.
   */
  aiSdkTool(jsonSchema) {
    if (typeof jsonSchema !== 'function') throw new TypeError("aiSdkTool: pass jsonSchema from 'ai'");
    return { description: DESCRIPTION, inputSchema: jsonSchema(PARAMETERS), execute: async (args) => this.call(args) };
  }

  /**
   * Run one action with the model's arguments (an object or its JSON text); `o` overrides the
   * session and nowNs given to the constructor.
   * @returns {Record<string, unknown>} the result document, or `{ action, error }`
   */
  call(args, o) {
    const text = typeof args === 'string' ? args : JSON.stringify(args ?? {});
    let [session, nowNs] = contextArgs(o, 'options');
    session = session ?? this._session;
    nowNs = nowNs ?? this._nowNs;
    return JSON.parse(this._run(text, session === null ? null : session._handle, nowNs));
  }
}

/** `new MetricsTool(source, options)`. */
function metricsTool(source, o) {
  return new MetricsTool(source, o);
}

/** One-shot `metricsTool(source, options).call(args)`. */
function getMetrics(source, args, o) {
  return new MetricsTool(source, o).call(args);
}

module.exports = {
  MetricsTool,
  metricsTool,
  getMetrics,
  METRICS_TOOL: Object.freeze({ name: NAME, description: DESCRIPTION, parameters: PARAMETERS, actions: ACTIONS }),
};
