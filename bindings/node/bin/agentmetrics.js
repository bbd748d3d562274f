#!/usr/bin/env node
"use strict";
// `npx agentmetrics`: the agentmetrics command line, built with the addon when the package was
// installed (the same program the C library installs). Its exit code and signals are passed on.
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const exe = process.env.AGENTMETRICS_CLI ||
  path.join(__dirname, "..", "build", "meson", "bindings", "node", "agentmetrics");
if (!fs.existsSync(exe)) {
  process.stderr.write(`agentmetrics: the command-line program is missing from this installation (${exe})\n`);
  process.exit(1);
}
// Ctrl-C reaches the child (same process group); this process only waits for it.
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => {});
const result = spawnSync(exe, process.argv.slice(2), { stdio: "inherit" });
if (result.error) {
  process.stderr.write(`agentmetrics: ${result.error.message}\n`);
  process.exit(1);
}
if (result.signal) {
  process.removeAllListeners(result.signal);
  process.kill(process.pid, result.signal);
}
process.exit(result.status ?? 1);
