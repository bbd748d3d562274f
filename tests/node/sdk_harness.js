"use strict";
// What the AI SDK and Mastra tests share: a recorder on a fake clock that keeps every record it
// makes, a reporter writing to an array, and the integration options that collect both.
const ai = require("ai");
const { MockLanguageModelV3 } = require("ai/test");
const { MockLanguageModelV2 } = require("ai-v5/test");
const am = require("agentmetrics-native");

const MODEL = "claude-sonnet-4-5";
const PROVIDER = "anthropic.messages";

const MS = 1_000_000n;

function setup() {
  const clock = { now: 0n, advance(ms) { this.now += BigInt(ms) * MS; } };
  const rec = new am.Recorder({ clock: () => clock.now });
  const records = [];
  rec.onRecord((kind, r) => records.push(r), ["model_call", "tool_call", "turn"]);
  const session = rec.session({ agent: "assistant" });
  const internalErrors = [];
  const lines = [];
  const out = { isTTY: false, write: (s) => { lines.push(s); return true; } };
  const reporter = new am.ActivityReporter(out, { color: false });
  const options = {
    onInternalError: (e, what) => internalErrors.push(`${what}: ${e && e.message}`),
    onTurnEnd: (s) => reporter.turn(s),
  };
  const of = (kind) => records.filter((r) => r.kind === kind);
  const ms = (kind) => of(kind).map((r) => (r.duration_ns === undefined ? null : r.duration_ns / 1e6));
  return { clock, rec, session, records, internalErrors, lines, options, of, ms, reporter };
}

/** One trip through the event loop, as a tool doing I/O makes (pending stream work runs). */
const io = () => new Promise((resolve) => setImmediate(resolve));

const v3usage = (input, noCache, cacheRead, output) => ({
  inputTokens: { total: input, noCache, cacheRead, cacheWrite: undefined },
  outputTokens: { total: output, text: output, reasoning: undefined },
});

/** Scripted model (V3 = ai@6 provider spec, V2 = ai@5): each step advances the clock by `ms`. */
function scriptedModel(clock, steps, { v2 = false, modelId = MODEL } = {}) {
  let i = 0;
  const next = () => {
    const s = steps[i++];
    if (!s) throw new Error('the script has no more steps');
    clock.advance(s.ms);
    if (s.fail) throw Object.assign(new Error('overloaded'), { name: 'AI_APICallError' });
    return s;
  };
  const finishReason = (s) => (v2 ? (s.calls ? 'tool-calls' : 'stop') : { unified: s.calls ? 'tool-calls' : 'stop', raw: undefined });
  const Mock = v2 ? MockLanguageModelV2 : MockLanguageModelV3;
  return new Mock({
    provider: PROVIDER,
    modelId,
    doGenerate: async () => {
      const s = next();
      const content = s.calls
        ? s.calls.map(([id, name, input]) => ({ type: 'tool-call', toolCallId: id, toolName: name, input: JSON.stringify(input) }))
        : [{ type: 'text', text: s.text }];
      return { content, finishReason: finishReason(s), usage: s.usage, providerMetadata: s.providerMetadata, warnings: [] };
    },
    doStream: async () => {
      const s = next();
      const chunks = [{ type: 'stream-start', warnings: [] }, { type: 'response-metadata', id: `resp-${i}`, modelId, timestamp: new Date(0) }];
      if (s.calls) {
        for (const [id, name, input] of s.calls) chunks.push({ type: 'tool-call', toolCallId: id, toolName: name, input: JSON.stringify(input) });
      } else {
        chunks.push({ type: 'text-start', id: 't' }, { type: 'text-delta', id: 't', delta: s.text }, { type: 'text-end', id: 't' });
      }
      chunks.push({ type: 'finish', finishReason: finishReason(s), usage: s.usage, providerMetadata: s.providerMetadata });
      return { stream: ai.simulateReadableStream({ chunks, initialDelayInMs: null, chunkDelayInMs: null }) };
    },
  });
}

module.exports = { MODEL, PROVIDER, MS, setup, io, v3usage, scriptedModel };
