#!/usr/bin/env node
"use strict";
// `npx agentmetrics`: the agentmetrics command line, the same program the C library installs,
// run in this process by the addon (which holds the one copy of the core) on a thread of its
// own, with fetch as the HTTP client of `export --endpoint`. It writes to file descriptors 1
// and 2 itself; this process exits with its code.
let native;
try {
  native = require("../lib/addon.js").loadAddon();
} catch (error) {
  process.stderr.write(`${error.message}\n`); // no addon for this platform: what to do about it
  process.exit(1);
}

const { send } = require("../lib/http.js"); // after the addon, whose constants it reads

native.cliMain(["agentmetrics", ...process.argv.slice(2)], send).then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`agentmetrics: error: ${error && error.message}\n`);
    process.exit(1);
  });
