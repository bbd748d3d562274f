'use strict';
// AI SDK integration against the real `ai` package (ai@6, and ai@5 as `ai-v5`), driven by its
// mock models: multi-step tool loops with generateText (stopWhen) and streamText. A fake clock
// (advanced by the mock model and the tools) makes every duration exact; no sleeps, no network.

const test = require('node:test');
const assert = require('node:assert/strict');
const { z } = require('zod');
const ai = require('ai');
const ai5 = require('ai-v5');
const { MockLanguageModelV2 } = require('ai-v5/test');

const { aiSdkMetrics } = require('agentmetrics-native');
const { MODEL, PROVIDER, setup, io, v3usage, scriptedModel } = require('./sdk_harness.js');


// ---- ai@6 (LanguageModelV3) scripted model ----

/** weather: takes 40 ms; for "Atlantis" it takes 10 ms and throws. */
function weatherTool(tool, clock) {
  return tool({
    description: 'Current weather of a city',
    inputSchema: z.object({ city: z.string() }),
    execute: async ({ city }) => {
      // ai@5 streamText delivers the tool-call chunk to onChunk after execute() has begun:
      // a tool that finished without ever yielding would look instantaneous there.
      await io();
      if (city === 'Atlantis') {
        clock.advance(10);
        throw new Error('no such city');
      }
      clock.advance(40);
      return { city, celsius: 21 };
    },
  });
}

/** generateText / streamText arguments: the scripted `steps`, the weather tool, up to 5 steps. */
function weatherArgs(clock, steps, handlers, prompt = 'Weather in Paris?') {
  return { model: scriptedModel(clock, steps), prompt, tools: { weather: weatherTool(ai.tool, clock) }, stopWhen: ai.stepCountIs(5), ...handlers };
}

/** Batch mode: only the step and finish handlers (no tool events). */
const batch = (metrics) => ({ onStepFinish: metrics.onStepFinish, onFinish: metrics.onFinish });

// Two steps: a tool call (100 ms model + 40 ms tool), then the answer (60 ms).
const TWO_STEPS = [
  { ms: 100, calls: [['call-1', 'weather', { city: 'Paris' }]], usage: v3usage(1000, 900, 100, 50) },
  { ms: 60, text: 'It is 21 °C in Paris.', usage: v3usage(1200, 1200, undefined, 30) },
];
// Canonical sums of TWO_STEPS (ai_sdk_v6 rule: input = noCache, output includes reasoning):
// input 900 + 1200, cache read 100, output 50 + 30; total 2280. Recording onFinish's totalUsage
// as well would make it 4560.
function assertTwoStepTotals(session) {
  const t = session.totals();
  assert.equal(t.modelCalls, 2);
  assert.equal(t.callsWithUsage, 2);
  assert.equal(t.callsMissingUsage, 0);
  assert.equal(t.inputTokens, 2100);
  assert.equal(t.cacheReadTokens, 100);
  assert.equal(t.cacheWriteTokens, null);
  assert.equal(t.outputTokens, 80);
  assert.equal(t.reasoningTokens, null);
  assert.equal(t.totalTokens, 2280);
  assert.equal(t.toolCalls, 1);
  assert.equal(t.toolErrors, 0);
  assert.equal(t.turns, 1);
  // claude-sonnet-4-5: $3/M in, $0.30/M cache read, $15/M out
  assert.equal(t.cost.total, '0.00753');
}

const MODES = {
  // all handlers spread: ai@6 tool hooks time the tools, experimental_onStart begins the turn
  'generateText, spread': { stream: false, pick: (m) => ({ ...m }) },
  'streamText, spread': { stream: true, pick: (m) => ({ ...m }) },
  // what ai@5 offers: chunks time the tools; the turn is begun explicitly
  'streamText, onChunk only': {
    stream: true,
    begin: true,
    pick: (m) => ({ onChunk: m.onChunk, onStepFinish: m.onStepFinish, onFinish: m.onFinish }),
  },
};

for (const [name, mode] of Object.entries(MODES)) {
  test(`ai@6 ${name}: one model call per step, tool timed, one turn`, async () => {
    const { clock, session, internalErrors, lines, options, of, ms } = setup();
    const metrics = aiSdkMetrics(session, options);
    if (mode.begin) metrics.beginTurn();
    const args = weatherArgs(clock, TWO_STEPS, mode.pick(metrics));
    let totalUsage;
    if (mode.stream) {
      const result = ai.streamText(args);
      await result.consumeStream();
      totalUsage = await result.totalUsage;
    } else {
      totalUsage = (await ai.generateText(args)).totalUsage;
    }
    assert.deepEqual(internalErrors, []);
    assert.equal(totalUsage.totalTokens, 2280); // the SDK's own sum: counted once, not twice
    assertTwoStepTotals(session);
    assert.deepEqual(ms('model_call'), [100, 60]); // model end = the tool call (step 1)
    assert.deepEqual(ms('tool_call'), [40]);
    assert.deepEqual(ms('turn'), [200]);
    assert.deepEqual(of('model_call').map((r) => [r.model, r.provider, r.stop_reason, r.turn]), [
      [MODEL, PROVIDER, 'tool-calls', 1],
      [MODEL, PROVIDER, 'stop', 1],
    ]);
    assert.deepEqual(of('tool_call').map((r) => [r.tool, r.outcome]), [['weather', 'ok']]);
    assert.equal(session.breakdown('tool').weather.totals.toolCalls, 1);
    assert.deepEqual(lines, ['  2,200 in · 80 out · 100 cached · 2,280 total (session 2,280) · $0.0075 · 200ms\n']);
  });
}

test('ai@6 generateText, batch mode (no tool events): tool and model timed from step finishes', async () => {
  const { clock, session, internalErrors, options, ms } = setup();
  const metrics = aiSdkMetrics(session, options);
  metrics.beginTurn(); // at t = 0
  await ai.generateText(weatherArgs(clock, TWO_STEPS, batch(metrics)));
  assert.deepEqual(internalErrors, []);
  assertTwoStepTotals(session);
  // Step 1 finished at 140 ms: the model (100) and the tool (40) are not separable, so the
  // tool's duration is the step's (seed 000's batch mode) and so is the model's.
  assert.deepEqual(ms('tool_call'), [140]);
  assert.deepEqual(ms('model_call'), [140, 60]);
  assert.deepEqual(ms('turn'), [200]);
});

test('ai@6 turn begun late (first event is a step): the first durations are missing, not 0', async () => {
  const { clock, session, internalErrors, options, ms } = setup();
  const metrics = aiSdkMetrics(session, options);
  await ai.generateText(weatherArgs(clock, TWO_STEPS, batch(metrics)));
  assert.deepEqual(internalErrors, []);
  assertTwoStepTotals(session);
  assert.deepEqual(ms('model_call'), [null, 60]);
  assert.deepEqual(ms('tool_call'), [null]);
  assert.equal(session.durations('tool_call').count, 0);
  assert.deepEqual(ms('turn'), [60]); // from the first step's finish: begin the turn explicitly
});

const THREE_STEPS_WITH_ERROR = [
  { ms: 100, calls: [['call-1', 'weather', { city: 'Paris' }]], usage: v3usage(1000, 1000, undefined, 20) },
  { ms: 50, calls: [['call-2', 'weather', { city: 'Atlantis' }]], usage: v3usage(1100, 1100, undefined, 20) },
  { ms: 30, text: 'Paris is 21 °C; Atlantis is unknown.', usage: v3usage(1200, 1200, undefined, 20) },
];

for (const [name, mode] of Object.entries(MODES)) {
  test(`ai@6 ${name}: a failing tool is a tool error with its duration`, async () => {
    const { clock, session, internalErrors, options, of, ms } = setup();
    const metrics = aiSdkMetrics(session, options);
    if (mode.begin) metrics.beginTurn();
    const args = weatherArgs(clock, THREE_STEPS_WITH_ERROR, mode.pick(metrics), 'Weather in Paris and Atlantis?');
    if (mode.stream) await ai.streamText(args).consumeStream();
    else await ai.generateText(args);
    assert.deepEqual(internalErrors, []);
    const t = session.totals();
    assert.equal(t.modelCalls, 3);
    assert.equal(t.totalTokens, 3360);
    assert.equal(t.toolCalls, 2);
    assert.equal(t.toolErrors, 1);
    assert.equal(t.toolSuccessRate, 0.5);
    assert.deepEqual(ms('tool_call'), [40, 10]);
    assert.deepEqual(ms('model_call'), [100, 50, 30]);
    assert.deepEqual(ms('turn'), [230]);
    assert.deepEqual(of('tool_call').map((r) => [r.outcome, r.error_type, r.error]), [
      ['ok', undefined, undefined],
      ['error', 'Error', 'no such city'],
    ]);
  });
}

test('ai@6 generateText, batch mode: a failing tool is an error, timed from the step finishes', async () => {
  const { clock, session, internalErrors, options, of, ms } = setup();
  const metrics = aiSdkMetrics(session, options);
  metrics.beginTurn();
  await ai.generateText(weatherArgs(clock, THREE_STEPS_WITH_ERROR, batch(metrics), 'Weather in Paris and Atlantis?'));
  assert.deepEqual(internalErrors, []);
  assert.equal(session.totals().toolErrors, 1);
  assert.deepEqual(ms('tool_call'), [140, 60]);
  assert.deepEqual(ms('model_call'), [140, 60, 30]);
  assert.deepEqual(of('tool_call').map((r) => [r.outcome, r.error]), [['ok', undefined], ['error', 'no such city']]);
});

test('ai@6 conversation: one turn per generateText, session totals accumulate', async () => {
  const { clock, session, internalErrors, lines, options } = setup();
  const metrics = aiSdkMetrics(session, options);
  const tools = { weather: weatherTool(ai.tool, clock) };
  await ai.generateText({ model: scriptedModel(clock, TWO_STEPS), prompt: 'Weather in Paris?', tools, stopWhen: ai.stepCountIs(5), ...metrics });
  const model2 = scriptedModel(clock, [{ ms: 250, text: 'You are welcome.', usage: v3usage(2000, 1500, 500, 10) }]);
  await ai.generateText({ model: model2, prompt: 'Thanks', tools, stopWhen: ai.stepCountIs(5), ...metrics });
  assert.deepEqual(internalErrors, []);
  const t = session.totals();
  assert.equal(t.turns, 2);
  assert.equal(t.modelCalls, 3);
  assert.equal(t.totalTokens, 2280 + 2010);
  const turn2 = session.turnTotals();
  assert.equal(turn2.modelCalls, 1);
  assert.equal(turn2.totalTokens, 2010);
  assert.equal(lines.length, 2);
  assert.match(lines[1], /^ {2}2,000 in · 10 out · 500 cached · 2,010 total \(session 4,290\) · \$\d+\.\d+ · 250ms\n$/);
});

test('ai@6 inside a turn the caller opened: counted in it, left open', async () => {
  const { clock, session, internalErrors, lines, options } = setup();
  const metrics = aiSdkMetrics(session, options);
  session.turnBegin();
  await ai.generateText(weatherArgs(clock, TWO_STEPS, metrics, 'Weather?'));
  const model2 = scriptedModel(clock, [{ ms: 20, text: 'Done.', usage: v3usage(10, 10, undefined, 2) }]);
  await ai.streamText({ model: model2, prompt: 'More?', ...metrics }).consumeStream();
  assert.equal(session.turnStats().endNs, null); // still open: the caller ends it
  session.turnEnd();
  assert.deepEqual(internalErrors, []);
  assert.deepEqual(lines, []); // onTurnEnd is for turns the integration ended
  const t = session.totals();
  assert.equal(t.turns, 1);
  assert.equal(t.modelCalls, 3);
  assert.equal(session.turnTotals().modelCalls, 3);
  assert.equal(session.durations('turn').sumMs, 220);
});

test('ai@6 streamText model failure: onError records a failed call and ends the turn', async () => {
  const { clock, session, internalErrors, options, of, ms } = setup();
  const metrics = aiSdkMetrics(session, options);
  const model = scriptedModel(clock, [TWO_STEPS[0], { ms: 25, fail: true }]);
  const seen = [];
  const result = ai.streamText({
    model,
    prompt: 'Weather?',
    tools: { weather: weatherTool(ai.tool, clock) },
    stopWhen: ai.stepCountIs(5),
    maxRetries: 0,
    ...metrics,
    onError: (event) => { seen.push(event.error.message); metrics.onError(event); },
  });
  await result.consumeStream();
  assert.deepEqual(internalErrors, []);
  assert.deepEqual(seen, ['overloaded']);
  const t = session.totals();
  assert.equal(t.modelCalls, 2);
  assert.equal(t.modelErrors, 1);
  assert.equal(t.callsMissingUsage, 1);
  assert.equal(t.totalTokens, 1050);
  assert.deepEqual(of('model_call').map((r) => [r.outcome, r.error_type, r.model]), [
    ['ok', undefined, MODEL],
    ['error', 'AI_APICallError', MODEL],
  ]);
  assert.deepEqual(ms('model_call'), [100, 25]);
  assert.deepEqual(ms('turn'), [165]);
});

test('metrics never break the agent: failures go to onInternalError', async () => {
  const { clock, session, internalErrors, options } = setup();
  const metrics = aiSdkMetrics(session, options);
  session.close();
  const result = await ai.generateText(weatherArgs(clock, TWO_STEPS, metrics, 'Weather?'));
  assert.equal(result.text, 'It is 21 °C in Paris.');
  assert.ok(internalErrors.length > 0);
});

test('the handler object: spreadable SDK options only; bad options are refused', () => {
  const { session } = setup();
  const metrics = aiSdkMetrics(session);
  assert.deepEqual(Object.keys(metrics).sort(), [
    'experimental_onStart', 'experimental_onToolCallFinish', 'experimental_onToolCallStart',
    'onAbort', 'onChunk', 'onFinish', 'onStepFinish',
  ]);
  assert.equal(typeof metrics.beginTurn, 'function');
  assert.equal(typeof metrics.endTurn, 'function');
  assert.equal(typeof metrics.onError, 'function');
  assert.equal(metrics.session, session);
  assert.throws(() => aiSdkMetrics(session, { usageFormat: 'mastra' }), RangeError);
  assert.throws(() => aiSdkMetrics({}), TypeError);
});

// ---- ai@5 (LanguageModelV2): usage is provider-dependent, cache writes live in providerMetadata ----

function v2Model(clock, steps) {
  let i = 0;
  const next = () => {
    const s = steps[i++];
    clock.advance(s.ms);
    return s;
  };
  return new MockLanguageModelV2({
    provider: PROVIDER,
    modelId: MODEL,
    doGenerate: async () => {
      const s = next();
      const content = s.calls
        ? s.calls.map(([id, name, input]) => ({ type: 'tool-call', toolCallId: id, toolName: name, input: JSON.stringify(input) }))
        : [{ type: 'text', text: s.text }];
      return { content, finishReason: s.calls ? 'tool-calls' : 'stop', usage: s.usage, providerMetadata: s.providerMetadata, warnings: [] };
    },
    doStream: async () => {
      const s = next();
      const chunks = [{ type: 'stream-start', warnings: [] }];
      if (s.calls) {
        for (const [id, name, input] of s.calls) chunks.push({ type: 'tool-call', toolCallId: id, toolName: name, input: JSON.stringify(input) });
      } else {
        chunks.push({ type: 'text-start', id: 't' }, { type: 'text-delta', id: 't', delta: s.text }, { type: 'text-end', id: 't' });
      }
      chunks.push({ type: 'finish', finishReason: s.calls ? 'tool-calls' : 'stop', usage: s.usage, providerMetadata: s.providerMetadata });
      return { stream: ai5.simulateReadableStream({ chunks, initialDelayInMs: null, chunkDelayInMs: null }) };
    },
  });
}

// Anthropic through ai@5: inputTokens excludes the cache; the write count is only in
// providerMetadata.anthropic. Canonical: input 900 + 1200, read 100, write 50, output 80.
const V5_STEPS = [
  {
    ms: 100,
    calls: [['call-1', 'weather', { city: 'Paris' }]],
    usage: { inputTokens: 900, outputTokens: 50, totalTokens: 950, cachedInputTokens: 100 },
    providerMetadata: { anthropic: { cacheCreationInputTokens: 50 } },
  },
  { ms: 60, text: 'It is 21 °C in Paris.', usage: { inputTokens: 1200, outputTokens: 30, totalTokens: 1230 } },
];

function assertV5Totals(session) {
  const t = session.totals();
  assert.equal(t.modelCalls, 2);
  assert.equal(t.inputTokens, 2100);
  assert.equal(t.cacheReadTokens, 100);
  assert.equal(t.cacheWriteTokens, 50);
  assert.equal(t.outputTokens, 80);
  assert.equal(t.totalTokens, 2330);
  assert.equal(t.toolCalls, 1);
  assert.equal(t.turns, 1);
}

test('ai@5 generateText: v5 usage with providerMetadata, batch tool timing, endTurn()', async () => {
  const { clock, session, internalErrors, lines, options, of, ms } = setup();
  const metrics = aiSdkMetrics(session, { ...options, provider: PROVIDER }); // ai@5 steps carry no provider
  metrics.beginTurn();
  const result = await ai5.generateText({
    model: v2Model(clock, V5_STEPS),
    prompt: 'Weather in Paris?',
    tools: { weather: weatherTool(ai5.tool, clock) },
    stopWhen: ai5.stepCountIs(5),
    ...metrics,
  });
  metrics.endTurn(); // ai@5 generateText has no onFinish
  assert.deepEqual(internalErrors, []);
  assert.equal(result.totalUsage.totalTokens, 2180); // the SDK's v5 sum leaves out the cache
  assertV5Totals(session);
  assert.deepEqual(of('model_call').map((r) => [r.model, r.provider, r.stop_reason]), [
    [MODEL, PROVIDER, 'tool-calls'],
    [MODEL, PROVIDER, 'stop'],
  ]);
  assert.deepEqual(ms('tool_call'), [140]);
  assert.deepEqual(ms('model_call'), [140, 60]);
  assert.deepEqual(ms('turn'), [200]);
  assert.equal(lines.length, 1);
});

test('ai@5 streamText: tool timed from tool-call to tool-result chunk; onFinish ends the turn', async () => {
  const { clock, session, internalErrors, lines, options, ms } = setup();
  const metrics = aiSdkMetrics(session, { ...options, provider: PROVIDER, usageFormat: 'ai_sdk_v5' });
  metrics.beginTurn();
  const result = ai5.streamText({
    model: v2Model(clock, V5_STEPS),
    prompt: 'Weather in Paris?',
    tools: { weather: weatherTool(ai5.tool, clock) },
    stopWhen: ai5.stepCountIs(5),
    ...metrics,
  });
  await result.consumeStream();
  assert.deepEqual(internalErrors, []);
  assertV5Totals(session);
  assert.deepEqual(ms('tool_call'), [40]);
  assert.deepEqual(ms('model_call'), [100, 60]);
  assert.deepEqual(ms('turn'), [200]);
  assert.equal(lines.length, 1);
});
