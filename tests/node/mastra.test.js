'use strict';
// Mastra integration against a real @mastra/core Agent, driven by the AI SDK mock models
// (MockLanguageModelV3 from ai@6, MockLanguageModelV2 from ai@5): generate() and stream(),
// tools, errors, and a plan/build loop with a fresh session per iteration. A fake clock
// advanced by the mock model and the tools makes every duration exact; offline, no sleeps.

const test = require('node:test');
const assert = require('node:assert/strict');
const { z } = require('zod');
const { Agent } = require('@mastra/core/agent');
const { createTool } = require('@mastra/core/tools');

const { mastraMetrics } = require('agentmetrics-native');
const { MODEL, PROVIDER, MS, setup, io, v3usage, scriptedModel } = require('./sdk_harness.js');



/** lookup: 40 ms (10 ms and an error for "missing"). */
function lookupTool(clock) {
  return createTool({
    id: 'lookup',
    description: 'Look a file up in the repository',
    inputSchema: z.object({ path: z.string() }),
    execute: async ({ path }) => {
      await io();
      if (path === 'missing') {
        clock.advance(10);
        throw new Error('no such file');
      }
      clock.advance(40);
      return { path, lines: 120 };
    },
  });
}

function agentWith(model, clock, name = 'builder') {
  return new Agent({ id: name, name, instructions: 'You build things.', model, tools: { lookup: lookupTool(clock) } });
}

// A tool call (100 ms model + 40 ms tool), then the answer (60 ms).
const TWO_STEPS = [
  { ms: 100, calls: [['call-1', 'lookup', { path: 'src/main.ts' }]], usage: v3usage(1000, 900, 100, 50) },
  { ms: 60, text: 'main.ts has 120 lines.', usage: v3usage(1200, 1200, undefined, 30) },
];

// Mastra converts V3 usage to its V2 shape and keeps the nested V3 counts in usage.raw, which
// the core reads (ai_sdk_v6 rule): input 900 + 1200, read 100, output 80 -> 2280 tokens.
// Mastra's onFinish totalUsage repeats them; recorded as well it would make 4560.
function assertTwoStepTotals(session) {
  const t = session.totals();
  assert.equal(t.modelCalls, 2);
  assert.equal(t.callsWithUsage, 2);
  assert.equal(t.inputTokens, 2100);
  assert.equal(t.cacheReadTokens, 100);
  assert.equal(t.outputTokens, 80);
  assert.equal(t.totalTokens, 2280);
  assert.equal(t.toolCalls, 1);
  assert.equal(t.toolErrors, 0);
  assert.equal(t.turns, 1);
  assert.equal(t.cost.total, '0.00753');
}

async function run(agent, mode, message, opts) {
  if (mode === 'generate') return agent.generate(message, opts);
  const out = await agent.stream(message, opts);
  await out.consumeStream();
  return { text: await out.text, totalUsage: await out.totalUsage };
}

for (const mode of ['generate', 'stream']) {
  test(`Mastra ${mode}: one model call per step, tool timed by chunks, one turn`, async () => {
    const { clock, rec, internalErrors, lines, options, of, ms } = setup();
    const session = rec.session({ agent: 'builder', phase: 'build' });
    const agent = agentWith(scriptedModel(clock, TWO_STEPS), clock);
    const metrics = mastraMetrics(session, options);
    metrics.beginTurn(); // the send: t = 0
    const result = await run(agent, mode, 'How long is main.ts?', { maxSteps: 5, ...metrics });
    assert.equal(result.text, 'main.ts has 120 lines.');
    assert.deepEqual(internalErrors, []);
    assert.equal(result.totalUsage.totalTokens, 2280);
    assertTwoStepTotals(session);
    assert.deepEqual(ms('model_call'), [100, 60]);
    assert.deepEqual(ms('tool_call'), [40]);
    assert.deepEqual(ms('turn'), [200]);
    assert.deepEqual(of('model_call').map((r) => [r.model, r.provider, r.stop_reason, r.agent, r.phase]), [
      [MODEL, PROVIDER, 'tool-calls', 'builder', 'build'],
      [MODEL, PROVIDER, 'stop', 'builder', 'build'],
    ]);
    assert.deepEqual(of('tool_call').map((r) => [r.tool, r.outcome]), [['lookup', 'ok']]);
    assert.deepEqual(lines, ['  2,200 in · 80 out · 100 cached · 2,280 total (session 2,280) · $0.0075 · 200ms\n']);
  });
}

test('Mastra generate, batch mode (onStepFinish/onFinish only): durations from step finishes', async () => {
  const { clock, rec, internalErrors, ms } = setup();
  const session = rec.session({ agent: 'builder' });
  const agent = agentWith(scriptedModel(clock, TWO_STEPS), clock);
  const metrics = mastraMetrics(session, { onInternalError: (e) => internalErrors.push(e.message) });
  metrics.beginTurn();
  await agent.generate('How long is main.ts?', { maxSteps: 5, onStepFinish: metrics.onStepFinish, onFinish: metrics.onFinish });
  assert.deepEqual(internalErrors, []);
  assertTwoStepTotals(session);
  assert.deepEqual(ms('tool_call'), [140]); // seed 000: the delta between step finishes
  assert.deepEqual(ms('model_call'), [140, 60]);
  assert.deepEqual(ms('turn'), [200]);
});

test('Mastra without beginTurn(): the turn starts at the first chunk; that step has no model duration', async () => {
  const { clock, rec, internalErrors, options, ms } = setup();
  const session = rec.session({ agent: 'builder' });
  const agent = agentWith(scriptedModel(clock, TWO_STEPS), clock);
  await agent.generate('How long is main.ts?', { maxSteps: 5, ...mastraMetrics(session, options) });
  assert.deepEqual(internalErrors, []);
  assertTwoStepTotals(session);
  assert.deepEqual(ms('model_call'), [null, 60]);
  assert.deepEqual(ms('tool_call'), [40]);
  assert.deepEqual(ms('turn'), [100]); // from the tool-call chunk at 100 ms
});

// Two tool calls, the second failing (10 ms), then the answer.
const THREE_STEPS_WITH_ERROR = [
  { ms: 100, calls: [['call-1', 'lookup', { path: 'src/main.ts' }]], usage: v3usage(500, 500, undefined, 20) },
  { ms: 50, calls: [['call-2', 'lookup', { path: 'missing' }]], usage: v3usage(600, 600, undefined, 20) },
  { ms: 30, text: 'One file was missing.', usage: v3usage(700, 700, undefined, 20) },
];

for (const mode of ['generate', 'stream']) {
  test(`Mastra ${mode}: a failing tool is counted as a tool error with its duration`, async () => {
    const { clock, rec, internalErrors, options, of, ms } = setup();
    const session = rec.session({ agent: 'builder' });
    const metrics = mastraMetrics(session, options);
    metrics.beginTurn();
    await run(agentWith(scriptedModel(clock, THREE_STEPS_WITH_ERROR), clock), mode, 'Read both files', { maxSteps: 5, ...metrics });
    assert.deepEqual(internalErrors, []);
    const t = session.totals();
    assert.equal(t.modelCalls, 3);
    assert.equal(t.totalTokens, 1860);
    assert.equal(t.toolCalls, 2);
    assert.equal(t.toolErrors, 1);
    assert.deepEqual(ms('tool_call'), [40, 10]);
    assert.deepEqual(ms('model_call'), [100, 50, 30]);
    assert.deepEqual(ms('turn'), [230]);
    assert.deepEqual(of('tool_call').map((r) => [r.tool, r.outcome]), [['lookup', 'ok'], ['lookup', 'error']]);
  });
}

test('Mastra generate, batch mode: a failing tool is an error, timed from the step finishes', async () => {
  const { clock, rec, internalErrors, options, of, ms } = setup();
  const session = rec.session({ agent: 'builder' });
  const metrics = mastraMetrics(session, options);
  metrics.beginTurn();
  await agentWith(scriptedModel(clock, THREE_STEPS_WITH_ERROR), clock).generate('Read both files', {
    maxSteps: 5,
    onStepFinish: metrics.onStepFinish,
    onFinish: metrics.onFinish,
  });
  assert.deepEqual(internalErrors, []);
  assert.equal(session.totals().toolCalls, 2);
  assert.equal(session.totals().toolErrors, 1);
  assert.deepEqual(ms('tool_call'), [140, 60]);
  assert.deepEqual(ms('model_call'), [140, 60, 30]);
  assert.deepEqual(of('tool_call').map((r) => [r.tool, r.outcome]), [['lookup', 'ok'], ['lookup', 'error']]);
});

test('Mastra with an AI SDK v5 (V2) model: usageFormat mastra with model.version v2', async () => {
  const { clock, rec, internalErrors, options, of } = setup();
  const session = rec.session({ agent: 'builder' });
  // Anthropic through a V2 model: inputTokens excludes the cache, writes are in providerMetadata.
  const steps = [
    {
      ms: 100,
      calls: [['call-1', 'lookup', { path: 'src/main.ts' }]],
      usage: { inputTokens: 900, outputTokens: 50, totalTokens: 950, cachedInputTokens: 100 },
      providerMetadata: { anthropic: { cacheCreationInputTokens: 50 } },
    },
    { ms: 60, text: 'main.ts has 120 lines.', usage: { inputTokens: 1200, outputTokens: 30, totalTokens: 1230 } },
  ];
  const metrics = mastraMetrics(session, options);
  metrics.beginTurn();
  await agentWith(scriptedModel(clock, steps, { v2: true }), clock).generate('How long is main.ts?', { maxSteps: 5, ...metrics });
  assert.deepEqual(internalErrors, []);
  const t = session.totals();
  assert.equal(t.modelCalls, 2);
  assert.equal(t.inputTokens, 2100);
  assert.equal(t.cacheReadTokens, 100);
  assert.equal(t.cacheWriteTokens, 50);
  assert.equal(t.outputTokens, 80);
  assert.equal(t.totalTokens, 2330);
  assert.deepEqual(of('model_call').map((r) => r.model), [MODEL, MODEL]);
});

test('Mastra plan/build loop: a fresh session per iteration starts from zero', async () => {
  const { clock, rec, internalErrors, lines, options } = setup();
  const perIteration = [];
  for (let iteration = 1; iteration <= 2; iteration++) {
    for (const phase of ['plan', 'build']) {
      const session = rec.session({ agent: phase === 'plan' ? 'planner' : 'builder', phase, tags: { iteration: String(iteration) } });
      const steps = phase === 'plan'
        ? [{ ms: 80, text: 'Plan: read main.ts.', usage: v3usage(400, 400, undefined, 40) }]
        : TWO_STEPS;
      const agent = agentWith(scriptedModel(clock, steps), clock, phase);
      const metrics = mastraMetrics(session, options);
      metrics.beginTurn();
      await agent.generate(`${phase} iteration ${iteration}`, { maxSteps: 5, ...metrics });
      const t = session.totals();
      perIteration.push([phase, t.modelCalls, t.totalTokens, t.toolCalls, t.turns]);
      session.close();
    }
  }
  assert.deepEqual(internalErrors, []);
  assert.deepEqual(perIteration, [
    ['plan', 1, 440, 0, 1],
    ['build', 2, 2280, 1, 1],
    ['plan', 1, 440, 0, 1],
    ['build', 2, 2280, 1, 1],
  ]);
  // Each turn line shows its own session's running total, never the earlier iterations'.
  assert.deepEqual(lines.map((l) => /\(session ([\d,]+)\)/.exec(l)[1]), ['440', '2,280', '440', '2,280']);
  const all = rec.totals(); // the recorder keeps the sum of every session
  assert.equal(all.modelCalls, 6);
  assert.equal(all.totalTokens, 2 * (440 + 2280));
  const byPhase = rec.breakdown('phase');
  assert.equal(byPhase.build.totals.totalTokens, 4560);
  assert.equal(byPhase.plan.totals.totalTokens, 880);
});

test('Mastra model failure: a failed model call; endTurn() in finally ends the turn', async () => {
  const { clock, rec, internalErrors, lines, options, of } = setup();
  const session = rec.session({ agent: 'builder' });
  const model = scriptedModel(clock, [TWO_STEPS[0], { ms: 25, fail: true }]);
  const metrics = mastraMetrics(session, options);
  metrics.beginTurn();
  await assert.rejects(async () => {
    try {
      await agentWith(model, clock).generate('How long is main.ts?', { maxSteps: 5, maxRetries: 0, ...metrics });
    } finally {
      metrics.endTurn(); // generate() rejects without onFinish; a no-op after onFinish
    }
  }, /overloaded/);
  assert.deepEqual(internalErrors, []);
  const t = session.totals();
  assert.equal(t.modelCalls, 2);
  assert.equal(t.modelErrors, 1);
  assert.equal(t.callsMissingUsage, 1);
  assert.equal(t.totalTokens, 1050);
  assert.deepEqual(of('model_call').map((r) => r.outcome), ['ok', 'error']);
  assert.equal(session.turnStats().endNs, 165n * MS);
  assert.equal(lines.length, 1);
});

test('the handler object: spreadable Mastra options only', () => {
  const { rec } = setup();
  const session = rec.session();
  const metrics = mastraMetrics(session);
  assert.deepEqual(Object.keys(metrics).sort(), ['onAbort', 'onChunk', 'onFinish', 'onStepFinish']);
  assert.equal(metrics.session, session);
  assert.throws(() => mastraMetrics(null), TypeError);
});
