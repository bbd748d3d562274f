"use strict";
// The native addon, loaded once for the package (lib/index.js) and the command line
// (bin/agentmetrics.js).

const path = require("node:path");

// The addon uses the system's libsimdjson; Node 22 and later export a simdjson of their own,
// which would otherwise take the place of the library's internal symbols (a crash). With
// RTLD_DEEPBIND (Linux) the addon and its libraries resolve their own symbols first.
function loadAddon(file) {
  const module = { exports: {} };
  const { RTLD_NOW, RTLD_DEEPBIND } = require("node:os").constants.dlopen;
  process.dlopen(module, file, RTLD_DEEPBIND === undefined ? RTLD_NOW : RTLD_NOW | RTLD_DEEPBIND);
  return module.exports;
}

module.exports = loadAddon(process.env.AGENTMETRICS_ADDON ||
  path.join(__dirname, "..", "build", "meson", "bindings", "node", "agentmetrics.node"));
