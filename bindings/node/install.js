#!/usr/bin/env node
// npm's install script. With a prebuilt addon for this platform in the package (the usual
// case) it does nothing. Otherwise, or with `--build-from-source` (npm_config_build_from_source)
// or AGM_BUILD_FROM_SOURCE=1, it builds the addon with meson from the sources in the package:
// simdjson, SQLite, CLI11 and the Node-API headers come from subprojects/ (pinned, carried in
// the tarball), so the build needs a compiler, meson and ninja, and no network.
"use strict";
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");
const { prebuilt, SOURCE_BUILD, PREREQUISITES, PACKAGE } = require("./lib/addon.js");

const root = path.resolve(__dirname, "..", "..");
const forced = ["npm_config_build_from_source", "AGM_BUILD_FROM_SOURCE"].some((v) =>
  ["1", "true", PACKAGE].includes(process.env[v] || ""));
const { file, platform } = prebuilt();
if (!forced && fs.existsSync(file)) process.exit(0);

function fail(message) {
  console.error(`${PACKAGE}: ${message}\n${PACKAGE}: building the addon from source needs:\n` +
    PREREQUISITES.map((p) => `  - ${p}`).join("\n"));
  process.exit(1);
}

// meson: $AGM_MESON, else meson on PATH; ninja beside it or on PATH.
const meson = process.env.AGM_MESON || "meson";
const env = { ...process.env };
if (process.env.AGM_MESON) env.PATH = `${path.dirname(process.env.AGM_MESON)}${path.delimiter}${env.PATH}`;
const probe = spawnSync(meson, ["--version"], { env, encoding: "utf8" });
if (probe.status !== 0) fail(`cannot run meson (${probe.error ? probe.error.message : probe.stderr.trim()})`);

console.error(`${PACKAGE}: ${forced ? "building the addon from source as asked" :
  `no prebuilt addon for ${platform}; building it from source`} (meson ${probe.stdout.trim()})`);
const dir = path.join(__dirname, "build", "meson");
// meson's and the compiler's own output reaches the terminal: a failure says why.
const run = (args) => spawnSync(meson, args, { cwd: root, env, stdio: ["ignore", 2, 2] }).status === 0;
if (!fs.existsSync(path.join(dir, "build.ninja"))) {
  fs.rmSync(dir, { recursive: true, force: true }); // what a failed setup left
  if (!run(["setup", dir, "-Dlibrary=false", "-Dtests=false", "-Dnode=enabled", "-Dbuildtype=release",
    "--force-fallback-for=simdjson,sqlite3,CLI11"])) fail("meson setup failed (its error is above)");
}
if (!run(["compile", "-C", dir])) fail("the build failed (the compiler's error is above)");
console.error(`${PACKAGE}: built ${SOURCE_BUILD}`);
