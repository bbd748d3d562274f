#!/usr/bin/env python3
"""Two installations of agentmetrics side by side: the same record-path benchmark run against
each in turn (A B A B ...), so that a noisy, shared machine slows both alike.

    python3 bench/compare_installs.py python VENV_A VENV_B [--pairs 5] [--rounds 5]
    python3 bench/compare_installs.py node PACKAGE_DIR_A PACKAGE_DIR_B [--pairs 5] [--rounds 5]

python: each VENV is a virtual environment with an agentmetrics wheel installed; its python
runs bench/bench_python.py. node: each PACKAGE_DIR is an installed package folder
(node_modules/agentmetrics-native or an older one), loaded by bench/bench_node.mjs through
$AGM_BENCH_PACKAGE. Every run measures the native no-op floor and the agentmetrics candidates
(no store, journal, database); the table gives each one's median ns per record for A and B and
the median of the per-pair ratios B/A (below 1: B is faster).
"""
import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile

BENCH = pathlib.Path(__file__).resolve().parent
CANDIDATES = ["native-noop", "agentmetrics", "agentmetrics+journal", "agentmetrics+database"]


def run_once(kind: str, target: str, rounds: int, records: int) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        common = ["--rounds", str(rounds), "--records", str(records), "--only", ",".join(CANDIDATES),
                  "--json", out.name]
        if kind == "python":
            cmd = [os.path.join(target, "bin", "python"), str(BENCH / "bench_python.py"), *common]
            env = dict(os.environ)
        else:
            cmd = ["node", str(BENCH / "bench_node.mjs"), *common]
            env = {**os.environ, "AGM_BENCH_PACKAGE": target}
        subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
        results = json.loads(pathlib.Path(out.name).read_text())["results"]
    return {name: results[name]["median_ns"] for name in CANDIDATES if name in results}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("kind", choices=["python", "node"])
    ap.add_argument("a", help="installation A (the baseline)")
    ap.add_argument("b", help="installation B")
    ap.add_argument("--pairs", type=int, default=5, help="A/B pairs of runs")
    ap.add_argument("--rounds", type=int, default=5, help="rounds per run (each a median)")
    ap.add_argument("--records", type=int, default=20_000, help="records per candidate per round")
    args = ap.parse_args()
    runs: dict[str, list[dict]] = {"a": [], "b": []}
    for pair in range(args.pairs):
        for side in ("a", "b") if pair % 2 == 0 else ("b", "a"):  # alternate which goes first
            runs[side].append(run_once(args.kind, getattr(args, side), args.rounds, args.records))
        print(f"pair {pair + 1}/{args.pairs} done", file=sys.stderr)
    print(f"{args.kind}: A = {args.a}\n{' ' * len(args.kind)}  B = {args.b}")
    print(f"{args.pairs} pairs of runs, {args.rounds} rounds of {args.records:,} records each; "
          "medians of the runs' medians, ns per record\n")
    print(f"| candidate | A | B | B/A (median of pairs) |\n| --- | ---: | ---: | ---: |")
    for name in CANDIDATES:
        a = [r[name] for r in runs["a"] if name in r]
        b = [r[name] for r in runs["b"] if name in r]
        if not a or not b:
            continue
        ratio = statistics.median(y / x for x, y in zip(a, b))
        print(f"| {name} | {statistics.median(a):.0f} | {statistics.median(b):.0f} | {ratio:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
