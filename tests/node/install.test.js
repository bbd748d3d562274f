"use strict";
// The package's loader and install script where no prebuilt addon fits: on a copy of the
// installed package (the files package.json lists), so the installation under test is untouched.
const { test } = require("node:test");
const assert = require("node:assert/strict");
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const installed = path.dirname(require.resolve("agentmetrics-native/package.json"));

function copyPackage() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "agm-package-"));
  const pkg = JSON.parse(fs.readFileSync(path.join(installed, "package.json"), "utf8"));
  fs.copyFileSync(path.join(installed, "package.json"), path.join(dir, "package.json"));
  for (const entry of pkg.files) {
    for (const name of entry.includes("*") ? globOne(entry) : [entry.replace(/\/$/, "")]) {
      const from = path.join(installed, name);
      if (fs.existsSync(from)) fs.cpSync(from, path.join(dir, name), { recursive: true });
    }
  }
  // A copy has neither the prebuilt addon (another platform's view) nor a source build.
  fs.rmSync(path.join(dir, "bindings", "node", "prebuilds"), { recursive: true, force: true });
  fs.rmSync(path.join(dir, "bindings", "node", "build"), { recursive: true, force: true });
  return dir;
}

// "subprojects/*.wrap": the files of one folder matching one `*`.
function globOne(pattern) {
  const dir = path.dirname(pattern);
  const [head, tail] = path.basename(pattern).split("*");
  return fs.readdirSync(path.join(installed, dir))
    .filter((f) => f.startsWith(head) && f.endsWith(tail)).map((f) => path.join(dir, f));
}

test("without a prebuilt addon or a source build, loading says what is missing and how to build it", (t) => {
  const dir = copyPackage();
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const run = spawnSync(process.execPath, ["-e", `require(${JSON.stringify(dir)} + "/bindings/node/lib/index.js")`],
    { encoding: "utf8" });
  assert.notEqual(run.status, 0);
  assert.match(run.stderr, /agentmetrics-native: no native addon for linux-x64 \(glibc\)/);
  assert.match(run.stderr, /npm rebuild agentmetrics-native --build-from-source/);
  assert.match(run.stderr, /C\+\+20 compiler/);
  assert.match(run.stderr, /meson >= 1\.3 and ninja/);
});

test("the install script does nothing when a prebuilt addon matches", () => {
  const run = spawnSync(process.execPath, [path.join(installed, "bindings", "node", "install.js")],
    { encoding: "utf8", env: { ...process.env, AGM_BUILD_FROM_SOURCE: "", npm_config_build_from_source: "" } });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout + run.stderr, "");
});

test("a failed source build shows meson's own error and the prerequisites", (t) => {
  const dir = copyPackage();
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  // A C++ compiler that does not exist: meson's setup fails and says so.
  const run = spawnSync(process.execPath, [path.join(dir, "bindings", "node", "install.js")], {
    encoding: "utf8",
    env: { ...process.env, AGM_BUILD_FROM_SOURCE: "1", CC: "/nonexistent/cc", CXX: "/nonexistent/c++" },
  });
  assert.equal(run.status, 1);
  assert.match(run.stderr, /no prebuilt addon|building the addon from source/);
  if (/cannot run meson/.test(run.stderr)) {
    assert.ok(!process.env.AGM_MESON, `AGM_MESON is set but meson did not run:\n${run.stderr}`);
  } else {
    assert.match(run.stderr, /\/nonexistent\/c/, "meson's own message names the compiler it could not use");
    assert.match(run.stderr, /meson setup failed/);
  }
  assert.match(run.stderr, /building the addon from source needs:\n {2}- a C and C\+\+20 compiler/);
  assert.ok(!fs.existsSync(path.join(dir, "bindings", "node", "build", "meson", "bindings", "node", "agentmetrics.node")));
});
