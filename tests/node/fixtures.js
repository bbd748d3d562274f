"use strict";
// The contract fixtures: ../shared/fixtures beside the repository, or the folders that
// AGM_USAGE_FIXTURES, AGM_COST_FIXTURES and AGM_FORMAT_FIXTURES name (as for C and Python).
const fs = require("node:fs");
const path = require("node:path");

const DEFAULT = path.resolve(__dirname, "..", "..", "..", "shared", "fixtures");

function fixtureDir(kind) {
  return process.env[`AGM_${kind.toUpperCase()}_FIXTURES`] || path.join(DEFAULT, kind);
}

function loadFixture(kind, name) {
  return JSON.parse(fs.readFileSync(path.join(fixtureDir(kind), name), "utf8"));
}

/** Monotonic and wall clocks that move only when told to (bigint nanoseconds). */
class FakeClock {
  constructor(start = 1_000_000_000n, wall = 1_795_000_000_000_000_000n) {
    this.now = start;
    this.wall = wall;
    this.clock = () => this.now;
    this.wallClock = () => this.wall + this.now;
  }
  advance(ns) {
    this.now += BigInt(ns);
    return this.now;
  }
}

module.exports = { fixtureDir, loadFixture, FakeClock };
