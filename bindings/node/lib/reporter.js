'use strict';
/**
 * Activity reporter: writes a session's per-turn metadata line and its summary to a stream
 * (stderr by default). The lines come from the native core (`session.formatTurn` /
 * `session.formatSummary`): already indented by two spaces and, with colour, dim grey.
 *
 *     const { ActivityReporter } = require('agentmetrics-native');
 *     const reporter = new ActivityReporter();           // process.stderr
 *     const metrics = aiSdkMetrics(session, { onTurnEnd: (s) => reporter.turn(s) });
 *     ...
 *     reporter.summary(session);
 *
 * Colour: `options.color` when given; otherwise on only when the stream is a TTY and NO_COLOR
 * is unset or empty (the core's rule, `am.colorEnabled(stream.isTTY)`).
 */

/** @typedef {import('./integrations').MetricsSession} MetricsSession */
/** @typedef {import('./integrations').ReporterStream} ReporterStream */

class ActivityReporter {
  /**
   * @param {ReporterStream} [stream] where lines go (default: process.stderr)
   * @param {{ color?: boolean }} [options]
   */
  constructor(stream = process.stderr, options = {}) {
    if (!stream || typeof stream.write !== 'function') {
      throw new TypeError('agentmetrics: ActivityReporter needs a writable stream (an object with write())');
    }
    if (options.color !== undefined && typeof options.color !== 'boolean') {
      throw new TypeError('agentmetrics: ActivityReporter option color must be a boolean');
    }
    /** @type {ReporterStream} */
    this.stream = stream;
    /** @type {boolean} */
    this.color =
      options.color !== undefined ? options.color : Boolean(require('./index.js').colorEnabled(Boolean(stream.isTTY)));
  }

  /**
   * Write the line of the session's open or last turn; nothing before its first turn.
   * @param {MetricsSession} session
   * @returns {string | null} the line written (without the newline), or null
   */
  turn(session) {
    const line = session.formatTurn({ color: this.color });
    if (line == null) return null;
    this.stream.write(line + '\n');
    return line;
  }

  /**
   * Write the session's one-line summary.
   * @param {MetricsSession} session
   * @returns {string} the line written (without the newline)
   */
  summary(session) {
    const line = session.formatSummary({ color: this.color });
    this.stream.write(line + '\n');
    return line;
  }
}

module.exports = { ActivityReporter };
