"use strict";
// Where the native addon is: a source build of this package when one was made (npm rebuild
// agentmetrics-native --build-from-source, or no prebuilt binary matched at install), else the
// prebuilt binary for this platform that ships inside the package. One N-API binary serves
// every Node version, so a prebuild is chosen by platform, architecture and C library only.
// Loading needs no install script: npm --ignore-scripts, pnpm and bun work.

const fs = require("node:fs");
const path = require("node:path");

const PACKAGE = "agentmetrics-native";
const NODE_DIR = path.join(__dirname, "..");
const SOURCE_BUILD = path.join(NODE_DIR, "build", "meson", "bindings", "node", "agentmetrics.node");
const PREREQUISITES = [
  "a C and C++20 compiler (gcc >= 11 or clang >= 14)",
  "python3 with meson >= 1.3 and ninja (pip install meson ninja), on PATH or named by $AGM_MESON",
];

// "glibc" or "musl" on Linux (prebuilt binaries differ by C library), "" elsewhere.
function libc() {
  if (process.platform !== "linux") return "";
  const header = process.report && process.report.getReport().header;
  return header && header.glibcVersionRuntime ? "glibc" : "musl";
}

// The prebuilt binary this platform would use, and a name for the platform in messages.
function prebuilt() {
  const c = libc();
  const platform = `${process.platform}-${process.arch}`;
  return {
    file: path.join(NODE_DIR, "prebuilds", platform, `agentmetrics.napi${c ? "." + c : ""}.node`),
    platform: platform + (c ? ` (${c})` : ""),
  };
}

function buildHint() {
  return `build it from source with \`npm rebuild ${PACKAGE} --build-from-source\`, which needs:\n` +
    PREREQUISITES.map((p) => `  - ${p}`).join("\n");
}

// The addon's exports, loaded once per process (lib/index.js and lib/http.js share them); throws
// an Error that says what was looked for and how to build it.
let loaded = null;
function loadAddon() {
  if (!loaded) loaded = load();
  return loaded;
}

function load() {
  const { file: prebuild, platform } = prebuilt();
  const file = fs.existsSync(SOURCE_BUILD) ? SOURCE_BUILD : prebuild;
  if (!fs.existsSync(file)) {
    throw new Error(`${PACKAGE}: no native addon for ${platform}: this package ships prebuilt binaries ` +
      `for linux-x64 (glibc >= 2.28) and no source build was made; ${buildHint()}`);
  }
  const module = { exports: {} };
  try {
    process.dlopen(module, file);
  } catch (e) {
    const glibc = file === prebuild && libc() === "glibc" ?
      ` (the prebuilt binary needs glibc >= 2.28; this system has ${process.report.getReport().header.glibcVersionRuntime})` : "";
    throw new Error(`${PACKAGE}: cannot load ${file}${glibc}: ${e.message}\n${buildHint()}`);
  }
  return module.exports;
}

module.exports = { loadAddon, prebuilt, SOURCE_BUILD, PREREQUISITES, PACKAGE };
