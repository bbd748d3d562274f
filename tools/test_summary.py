#!/usr/bin/env python3
"""Count test cases across meson build directories and print "N passed, N failed".

Each meson test contributes its subtests (TAP lines, GoogleTest cases) from meson's JUnit log;
a test that failed without a failing subtest (a crash, a timeout) counts as one failure.
Usage: test_summary.py [--check NAME=STATUS | --junit NAME=FILE ...] BUILD_DIR [BUILD_DIR ...]
(--check adds a check run outside meson: STATUS 0 passed, anything else failed; --junit adds
the cases of a JUnit XML report, such as pytest's; a missing report counts as one failure).
Exit status 1 if anything failed."""
import json
import pathlib
import sys
import xml.etree.ElementTree as ET

passed = failed = 0
args = sys.argv[1:]
while args and args[0] in ("--check", "--junit"):
    name, value = args[1].split("=", 1)
    if args[0] == "--junit":
        try:
            for case in ET.parse(value).getroot().iter("testcase"):
                if case.find("failure") is not None or case.find("error") is not None:
                    failed += 1
                    print(f"FAILED: {name}: {case.get('classname')}.{case.get('name')}")
                elif case.find("skipped") is None:
                    passed += 1
        except (OSError, ET.ParseError) as error:
            failed += 1
            print(f"FAILED: {name} (no report: {error})")
    elif value == "0":
        passed += 1
    else:
        failed += 1
        print(f"FAILED: {name} (exit status {value})")
    args = args[2:]
for build in map(pathlib.Path, args):
    logs = build / "meson-logs"
    suites = list(ET.parse(logs / "testlog.junit.xml").getroot().iter("testsuite"))
    for line in (logs / "testlog.json").read_text().splitlines():
        entry = json.loads(line)
        name, result = entry["name"].split(":", 1)[-1], entry["result"]  # "c - agentmetrics:c_api"
        mine = [s for s in suites if s.get("name", "").split(":", 1)[-1].split(".")[0] == name]
        ok = sum(int(s.get("tests", 0)) - int(s.get("failures", 0)) - int(s.get("errors", 0))
                 - int(s.get("skipped", 0)) for s in mine)
        bad = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in mine)
        if result not in ("OK", "SKIP", "EXPECTEDFAIL") and bad == 0:
            bad = 1
        if not mine and result == "OK":
            ok = 1
        if bad:
            print(f"FAILED: {build.name}: {name} ({result})")
        passed += ok
        failed += bad
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
