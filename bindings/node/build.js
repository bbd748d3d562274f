#!/usr/bin/env node
// Builds the addon with meson when the package is installed (npm's "install" script).
// meson and ninja: $AGM_MESON, else `meson` on PATH, else the repository's .venv (./run
// setup), else a private virtual environment with the pinned versions from PyPI.
// System packages needed: a C++20 compiler, pkg-config, libsimdjson-dev, libsqlite3-dev,
// libcli11-dev.
"use strict";
const { execFileSync, spawnSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const root = path.resolve(__dirname, "..", "..");
const build = path.join(__dirname, "build");
const MESON = "meson==1.10.2";
const NINJA = "ninja==1.13.2";

function works(cmd, args) {
  return spawnSync(cmd, args, { stdio: "ignore" }).status === 0;
}

function findMeson() {
  if (process.env.AGM_MESON) return { meson: process.env.AGM_MESON, bin: path.dirname(process.env.AGM_MESON) };
  if (works("meson", ["--version"]) && works("ninja", ["--version"])) return { meson: "meson", bin: null };
  const repoVenv = path.join(root, ".venv", "bin");
  if (fs.existsSync(path.join(repoVenv, "meson"))) return { meson: path.join(repoVenv, "meson"), bin: repoVenv };
  const venv = path.join(build, "venv");
  const bin = path.join(venv, "bin");
  if (!fs.existsSync(path.join(bin, "meson"))) {
    console.error(`agentmetrics: installing ${MESON} and ${NINJA} into ${venv}`);
    execFileSync("python3", ["-m", "venv", venv], { stdio: "inherit" });
    execFileSync(path.join(bin, "pip"), ["install", "-q", "--disable-pip-version-check", MESON, NINJA],
      { stdio: "inherit" });
  }
  return { meson: path.join(bin, "meson"), bin };
}

// The headers: installed beside the package (a tarball install), or, for a link to a source
// folder (npm install <folder>), into the folder itself.
function ensureHeaders() {
  try {
    for (const m of ["node-addon-api", "node-api-headers"]) require.resolve(`${m}/package.json`, { paths: [root] });
  } catch {
    console.error("agentmetrics: installing node-addon-api and node-api-headers");
    execFileSync("npm", ["install", "--ignore-scripts", "--omit=dev", "--no-audit", "--no-fund", "--no-save"],
      { cwd: root, stdio: ["ignore", "ignore", "inherit"] });
  }
}

ensureHeaders();
const { meson, bin } = findMeson();
const env = { ...process.env };
if (bin) env.PATH = `${bin}${path.delimiter}${env.PATH}`;
const dir = path.join(build, "meson");
const run = (args) => execFileSync(meson, args, { cwd: root, env, stdio: ["ignore", "ignore", "inherit"] });
if (!fs.existsSync(path.join(dir, "build.ninja"))) {
  fs.rmSync(dir, { recursive: true, force: true }); // what a failed setup left
  run(["setup", dir, "-Dlibrary=false", "-Dtests=false", "-Dnode=enabled", "-Dbuildtype=release"]);
}
run(["compile", "-C", dir]);
console.error(`agentmetrics: built ${path.join(dir, "bindings", "node", "agentmetrics.node")}`);
