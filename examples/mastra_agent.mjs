#!/usr/bin/env node
// @ts-check
// An offline Mastra agent with agentmetrics: a scripted model (the AI SDK's mock model: no
// network, no API key) that answers with Anthropic-like usage and asks for tools, two tools, and
// metrics recorded per model call, per tool call and per turn.
//
//     npm install                       # devDependencies: @mastra/core, ai, zod
//     node examples/mastra_agent.mjs [--stream]
//
// First a conversation (one session, two turns: the running total grows), then a plan/build
// loop in which every iteration gets a fresh session (its counts start from zero, seed 000).
// Agent output goes to stdout; the dim per-turn lines and the summaries go to stderr.
//

import { Agent } from '@mastra/core/agent';
import { createTool } from '@mastra/core/tools';
import { simulateReadableStream } from 'ai';
import { MockLanguageModelV3 } from 'ai/test';
import { z } from 'zod';

import { ActivityReporter, Recorder, formatCost, formatTokens, mastraMetrics } from 'agentmetrics-native';

const STREAM = process.argv.includes('--stream');
/** @param {number} ms */
const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---- a scripted model ----

/**
 * Usage as an Anthropic model reports it through the AI SDK v6 provider interface.
 * @param {{ input: number, cacheRead?: number, cacheWrite?: number, output: number }} counts
 */
const usage = ({ input, cacheRead = 0, cacheWrite = 0, output }) => ({
  inputTokens: { total: input + cacheRead + cacheWrite, noCache: input, cacheRead, cacheWrite },
  outputTokens: { total: output, text: output, reasoning: undefined },
});

/**
 * @typedef {{ latencyMs: number, text?: string, tools?: [string, object][], usage: ReturnType<typeof usage> }} Reply
 */

/**
 * A mock model that plays `replies` in order: `{ text }` or `{ tools: [[name, input], ...] }`,
 * with usage, after `latencyMs`; generate and stream alike.
 * @param {Reply[]} replies
 */
function scriptedModel(replies) {
  let i = 0;
  let callIds = 0;
  const next = async () => {
    /** @type {Reply} */
    const r = replies[i++] ?? { text: 'Done.', usage: usage({ input: 50, output: 5 }), latencyMs: 50 };
    await delay(r.latencyMs);
    const calls = (r.tools ?? []).map(([toolName, input]) => ({
      type: /** @type {const} */ ('tool-call'), toolCallId: `toolu_${++callIds}`, toolName, input: JSON.stringify(input),
    }));
    const finishReason = calls.length
      ? { unified: /** @type {const} */ ('tool-calls'), raw: 'tool_use' }
      : { unified: /** @type {const} */ ('stop'), raw: 'end_turn' };
    return { r, calls, finishReason };
  };
  return new MockLanguageModelV3({
    provider: 'anthropic.messages',
    modelId: 'claude-sonnet-4-5',
    doGenerate: async () => {
      const { r, calls, finishReason } = await next();
      /** @type {import('@ai-sdk/provider').LanguageModelV3Content[]} */
      const content = calls.length ? calls : [{ type: 'text', text: r.text ?? '' }];
      return { content, finishReason, usage: r.usage, warnings: [] };
    },
    doStream: async () => {
      const { r, calls, finishReason } = await next();
      /** @type {import('@ai-sdk/provider').LanguageModelV3StreamPart[]} */
      const chunks = [{ type: 'stream-start', warnings: [] }];
      if (calls.length) chunks.push(...calls);
      else {
        chunks.push({ type: 'text-start', id: 't' });
        for (const word of (r.text ?? '').split(/(?<= )/)) chunks.push({ type: 'text-delta', id: 't', delta: word });
        chunks.push({ type: 'text-end', id: 't' });
      }
      chunks.push({ type: 'finish', finishReason, usage: r.usage });
      return { stream: simulateReadableStream({ chunks, initialDelayInMs: null, chunkDelayInMs: 15 }) };
    },
  });
}

// ---- tools ----

/** @type {Record<string, string>} */
const FILES = { 'src/app.ts': 'export const add = (a, b) => a - b;\n', 'src/app.test.ts': 'expect(add(2, 2)).toBe(4);\n' };

const readFile = createTool({
  id: 'read_file',
  description: 'Read a file of the repository',
  inputSchema: z.object({ path: z.string() }),
  execute: async ({ path }) => {
    await delay(25);
    if (!(path in FILES)) throw new Error(`${path}: no such file`);
    return { path, content: FILES[path] };
  },
});

const runTests = createTool({
  id: 'run_tests',
  description: 'Run the test suite',
  inputSchema: z.object({}),
  execute: async () => {
    await delay(180);
    return { passed: 11, failed: 1 };
  },
});

const tools = { read_file: readFile, run_tests: runTests };

// ---- running an agent with metrics ----

const rec = new Recorder();
const reporter = new ActivityReporter(); // stderr; dim grey on a terminal unless NO_COLOR

/**
 * One turn: send `message` to `agent`, recording into `session`; print the answer and the turn's line.
 * @param {Agent} agent
 * @param {import('agentmetrics-native').Session} session
 * @param {string} message
 */
async function send(agent, session, message) {
  console.log(`> ${message}`);
  const metrics = mastraMetrics(session); // or mastraMetrics(session, { onTurnEnd: (s) => reporter.turn(s) })
  metrics.beginTurn(); // the turn is timed from the send
  try {
    if (STREAM) {
      const output = await agent.stream(message, { maxSteps: 8, ...metrics });
      for await (const text of output.textStream) process.stdout.write(text);
      process.stdout.write('\n');
    } else {
      console.log((await agent.generate(message, { maxSteps: 8, ...metrics })).text);
    }
  } finally {
    metrics.endTurn(); // a no-op after onFinish; ends the turn if the call failed
  }
  reporter.turn(session);
}

// A conversation: one session, its turns accumulate.
{
  const agent = new Agent({
    id: 'assistant',
    name: 'assistant',
    instructions: 'You answer questions about the repository.',
    model: scriptedModel([
      { latencyMs: 210, tools: [['read_file', { path: 'src/app.ts' }]], usage: usage({ input: 310, cacheWrite: 2048, output: 64 }) },
      { latencyMs: 305, text: 'app.ts exports add(), which subtracts instead of adding.', usage: usage({ input: 420, cacheRead: 2048, output: 38 }) },
      { latencyMs: 190, text: 'Replace `a - b` with `a + b`.', usage: usage({ input: 95, cacheRead: 2466, output: 21 }) },
    ]),
    tools,
  });
  const session = rec.session({ sessionId: 'conversation', agent: 'assistant' });
  await send(agent, session, 'What does src/app.ts do?');
  await send(agent, session, 'How do I fix it?');
  reporter.summary(session);
  session.close();
}

// A plan/build loop: every iteration runs in a fresh session.
for (let iteration = 1; iteration <= 2; iteration++) {
  const planner = new Agent({
    id: 'planner',
    name: 'planner',
    instructions: 'Plan the next change.',
    model: scriptedModel([{ latencyMs: 260, text: `Plan ${iteration}: read the code, fix add(), run the tests.`, usage: usage({ input: 880, output: 120 }) }]),
  });
  const builder = new Agent({
    id: 'builder',
    name: 'builder',
    instructions: 'Carry out the plan with the tools.',
    model: scriptedModel([
      { latencyMs: 225, tools: [['read_file', { path: 'src/app.ts' }], ['read_file', { path: 'src/app.test.ts' }]], usage: usage({ input: 1190, cacheWrite: 1024, output: 96 }) },
      { latencyMs: 150, tools: [['read_file', { path: 'src/missing.ts' }]], usage: usage({ input: 240, cacheRead: 1024, output: 40 }) },
      { latencyMs: 195, tools: [['run_tests', {}]], usage: usage({ input: 260, cacheRead: 1024, output: 32 }) },
      { latencyMs: 270, text: '11 tests pass, 1 fails: add() still subtracts.', usage: usage({ input: 180, cacheRead: 1024, output: 58 }) },
    ]),
    tools,
  });
  /** @type {[string, Agent, string][]} */
  const steps = [['plan', planner, 'Plan the fix'], ['build', builder, 'Build it']];
  for (const [phase, agent, message] of steps) {
    const session = rec.session({ sessionId: `${phase}-${iteration}`, agent: agent.name, phase, tags: { iteration: String(iteration) } });
    await send(agent, session, `[iteration ${iteration}, ${phase}] ${message}`);
    reporter.summary(session);
    session.close();
  }
}

const all = rec.totals();
const cost = all.cost ? formatCost(all.cost.total) : 'unpriced';
console.log(`all sessions: ${all.modelCalls} model calls, ${formatTokens(all.totalTokens ?? 0)} tokens, ${cost}, ` +
  `${all.toolCalls} tool calls (${all.toolErrors} failed)`);
rec.close();
