'use strict';
// ActivityReporter: the per-turn line and the summary, with and without colour, and the
// colour default (a TTY and NO_COLOR unset or empty).

const test = require('node:test');
const assert = require('node:assert/strict');

const am = require('agentmetrics-native');
const { ActivityReporter } = am;

const MS = 1_000_000n;
const DIM = '\x1b[2m';
const RESET = '\x1b[0m';

function sink(isTTY) {
  const writes = [];
  return { writes, stream: { isTTY, write: (s) => { writes.push(s); return true; } } };
}

/** One turn on a fake clock: a model call (1,050 tokens, 100 cached) and a tool call; 5 ms. */
function sessionWithTurn() {
  let now = 0n;
  const rec = new am.Recorder({ clock: () => now });
  const s = rec.session({ sessionId: 'thread-42', agent: 'assistant' });
  s.turnBegin();
  now += 3n * MS;
  s.recordModelCall({
    model: 'claude-sonnet-4-5',
    provider: 'anthropic',
    sinceLastStep: true,
    usage: { inputTokens: 900, cacheReadTokens: 100, outputTokens: 50 },
  });
  s.toolStart('search', 'call-1');
  now += 2n * MS;
  s.toolEnd('call-1');
  s.turnEnd();
  return s;
}

const TURN = '  1,000 in · 50 out · 100 cached · 1,050 total (session 1,050) · $0.0035 · 5ms';
const SUMMARY = '  session thread-42 · 1 turn · 1 model call · 1,050 tokens (100 cached) · $0.0035 · 1 tool call · 5ms';

function withNoColor(value, fn) {
  const saved = process.env.NO_COLOR;
  if (value === undefined) delete process.env.NO_COLOR;
  else process.env.NO_COLOR = value;
  try {
    return fn();
  } finally {
    if (saved === undefined) delete process.env.NO_COLOR;
    else process.env.NO_COLOR = saved;
  }
}

test('turn() writes the core line, indented, one per call; null and nothing before a turn', () => {
  const { writes, stream } = sink(false);
  const reporter = new ActivityReporter(stream, { color: false });
  const empty = new am.Recorder({ clock: () => 0n }).session();
  assert.equal(reporter.turn(empty), null);
  assert.deepEqual(writes, []);
  const s = sessionWithTurn();
  assert.equal(reporter.turn(s), TURN);
  assert.deepEqual(writes, [TURN + '\n']);
  assert.equal(s.formatTurn({ color: false }), TURN);
});

test('turn() and summary() with colour: dim grey, reset at the end of the line', () => {
  const { writes, stream } = sink(false);
  const reporter = new ActivityReporter(stream, { color: true });
  const s = sessionWithTurn();
  assert.equal(reporter.turn(s), DIM + TURN + RESET);
  assert.equal(reporter.summary(s), DIM + SUMMARY + RESET);
  assert.deepEqual(writes, [DIM + TURN + RESET + '\n', DIM + SUMMARY + RESET + '\n']);
});

test('summary() without colour', () => {
  const { writes, stream } = sink(true);
  const reporter = new ActivityReporter(stream, { color: false });
  assert.equal(reporter.summary(sessionWithTurn()), SUMMARY);
  assert.deepEqual(writes, [SUMMARY + '\n']);
});

test('colour by default: on a TTY unless NO_COLOR is set; never off a TTY', () => {
  const s = sessionWithTurn();
  const cases = [
    // [isTTY, NO_COLOR, coloured]
    [true, undefined, true],
    [true, '', true], // empty NO_COLOR does not count (no-color.org)
    [true, '1', false],
    [false, undefined, false],
    [undefined, undefined, false], // a stream without isTTY (a file, a pipe)
  ];
  for (const [isTTY, noColor, coloured] of cases) {
    withNoColor(noColor, () => {
      const { writes, stream } = sink(isTTY);
      const reporter = new ActivityReporter(stream);
      assert.equal(reporter.color, coloured, `isTTY=${isTTY} NO_COLOR=${noColor}`);
      assert.equal(reporter.color, am.colorEnabled(Boolean(isTTY)));
      reporter.turn(s);
      assert.deepEqual(writes, [coloured ? DIM + TURN + RESET + '\n' : TURN + '\n']);
    });
  }
});

test('defaults to process.stderr; rejects a non-stream and a non-boolean color', () => {
  const reporter = new ActivityReporter();
  assert.equal(reporter.stream, process.stderr);
  assert.throws(() => new ActivityReporter(/** @type {any} */ ({})), TypeError);
  assert.throws(() => new ActivityReporter(process.stderr, /** @type {any} */ ({ color: 'yes' })), TypeError);
});
