#!/usr/bin/env python3
"""Load + aggregate one journal with agentmetrics, DuckDB and plain Python json, side by side.

    bench/load_compare.py [--records N] [--runs R] [--journal PATH] [--bench-load EXE]

Generates the journal if it is missing (bench/journal_gen.py), then runs R interleaved rounds
(each round runs every engine once, in a rotating order; the machine is shared and noisy) and
prints a markdown table of medians. The work, for every engine: read the whole file, then per
model, per agent and per phase: model calls, tool calls, sums of usage input/output/cache_read,
sum of cost.total (exact), p95 of model-call durations. Engines must agree on counts, token and
cost sums; p95 within 2 % (agentmetrics' p95 is sketch-based, DuckDB's interpolates).

agentmetrics: build/bench/bench_load, one run per round (timed inside: recorder creation, load,
breakdowns; teardown excluded, as for the other engines).
DuckDB: a fresh in-memory connection per run, default threads; read_json with explicit columns
(cost as JSON, since "turn" lines hold a number there), one GROUP BY GROUPING SETS query.
"duckdb-double" (--duckdb-double) types cost as STRUCT(total DECIMAL) in the reader: faster,
but the reader goes through double (inexact sums) and ignore_errors drops the "turn" lines.
python-json: json.JSONDecoder(parse_float=Decimal).decode per line, dict sums, sorted p95.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
import journal_gen  # noqa: E402

DIMS = ("model", "agent", "phase")
# per group: model_calls, tool_calls, input, output, cache_read, cost (Decimal or None), p95_ns
EXACT_FIELDS = ("model_calls", "tool_calls", "input", "output", "cache_read")


def norm_cost(c):
    return None if c is None or c == "" else Decimal(c).normalize()


# ---------------------------------------------------------------- agentmetrics
def run_agm(exe, path, groups):
    args = [exe, path, "1"] + (["--groups"] if groups else [])
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    secs, res, info = None, {}, {}
    for line in out.splitlines():
        f = line.split("\t")
        if f[0] == "run":
            secs = float(f[2]) / 1e3
            info["load_s"], info["free_s"] = float(f[3]) / 1e3, float(f[4]) / 1e3
        elif f[0] == "report":
            info["report"] = f[1]
        elif f[0] == "group":
            res[(f[1], f[2])] = (int(f[3]), int(f[4]), int(f[5]), int(f[6]), int(f[7]),
                                 norm_cost(f[8]), float(f[9]) if int(f[9]) >= 0 else None)
    return secs, res, info


# ---------------------------------------------------------------- DuckDB
def duckdb_query(path, double_cost):
    lit = "'" + path.replace("'", "''") + "'"
    cost_t = "STRUCT(total DECIMAL(38,18))" if double_cost else "JSON"
    cols = ("{kind: 'VARCHAR', agent: 'VARCHAR', phase: 'VARCHAR', model: 'VARCHAR', "
            "duration_ns: 'BIGINT', usage: 'STRUCT(input BIGINT, output BIGINT, cache_read BIGINT)', "
            f"cost: '{cost_t}'}}")
    extra = ", ignore_errors = true" if double_cost else ""
    cost = "cost.total" if double_cost else "CAST(cost->>'total' AS DECIMAL(38,18))"
    return f"""
SELECT CASE WHEN grouping(model) = 0 THEN 'model' WHEN grouping(agent) = 0 THEN 'agent'
            ELSE 'phase' END AS dim,
       CASE WHEN grouping(model) = 0 THEN model WHEN grouping(agent) = 0 THEN agent
            ELSE phase END AS key,
       count(*) FILTER (WHERE kind = 'model_call'), count(*) FILTER (WHERE kind = 'tool_call'),
       sum(usage.input), sum(usage.output), sum(usage.cache_read), sum({cost}),
       quantile_cont(duration_ns, 0.95) FILTER (WHERE kind = 'model_call')
FROM read_json({lit}, format = 'newline_delimited', columns = {cols}{extra})
WHERE kind IN ('model_call', 'tool_call')
GROUP BY GROUPING SETS ((model), (agent), (phase))
HAVING NOT (grouping(model) = 0 AND model IS NULL)
"""


def run_duckdb(path, double_cost=False):
    import duckdb
    sql = duckdb_query(path, double_cost)
    t0 = time.perf_counter()
    con = duckdb.connect()
    rows = con.execute(sql).fetchall()
    secs = time.perf_counter() - t0
    con.close()
    res = {}
    for dim, key, mc, tc, i, o, cr, cost, p95 in rows:
        res[(dim, key)] = (mc, tc, i or 0, o or 0, cr or 0, norm_cost(cost),
                           None if p95 is None else float(p95))
    return secs, res, {}


# ---------------------------------------------------------------- plain Python
def run_json(path):
    t0 = time.perf_counter()
    decode = json.JSONDecoder(parse_float=Decimal).decode
    groups = {}  # (dim, key) -> [mc, tc, input, output, cache_read, cost, durations]

    def group(dim, key):
        g = groups.get((dim, key))
        if g is None:
            g = groups[(dim, key)] = [0, 0, 0, 0, 0, None, []]
        return g

    with open(path, encoding="utf-8") as f:
        for line in f:
            r = decode(line)
            kind = r["kind"]
            if kind == "model_call":
                gs = (group("model", r.get("model", "unknown")), group("agent", r.get("agent", "")),
                      group("phase", r.get("phase", "")))
                u, c, d = r.get("usage"), r.get("cost"), r.get("duration_ns")
                for g in gs:
                    g[0] += 1
                    if u is not None:
                        g[2] += u.get("input", 0)
                        g[3] += u.get("output", 0)
                        g[4] += u.get("cache_read", 0)
                    if c is not None:
                        g[5] = c["total"] if g[5] is None else g[5] + c["total"]
                    if d is not None:
                        g[6].append(d)
            elif kind == "tool_call":
                group("agent", r.get("agent", ""))[1] += 1
                group("phase", r.get("phase", ""))[1] += 1
    res = {}
    for k, (mc, tc, i, o, cr, cost, durs) in groups.items():
        durs.sort()
        p95 = float(durs[int(0.95 * (len(durs) - 1))]) if durs else None
        res[k] = (mc, tc, i, o, cr, norm_cost(cost), p95)
    return time.perf_counter() - t0, res, {}


# ---------------------------------------------------------------- comparison
def compare(name, res, ref, ref_name):
    warnings = []
    cost_tol = Decimal("1e-12") if name == "duckdb-double" else 0  # read through double
    for k in sorted(set(res) | set(ref), key=str):
        a, b = res.get(k), ref.get(k)
        if a is None or b is None:
            warnings.append(f"{k[0]}={k[1]!r} only in {ref_name if a is None else name}")
            continue
        for fld, x, y in zip(EXACT_FIELDS, a[:5], b[:5]):
            if x != y:
                warnings.append(f"{k[0]}={k[1]!r} {fld}: {name} {x} vs {ref_name} {y}")
        if (a[5] is None) != (b[5] is None) or (
                a[5] is not None and abs(a[5] - b[5]) > cost_tol * b[5]):
            warnings.append(f"{k[0]}={k[1]!r} cost: {name} {a[5]} vs {ref_name} {b[5]}")
        if (a[6] is None) != (b[6] is None) or (
                a[6] is not None and abs(a[6] - b[6]) > 0.02 * max(abs(b[6]), 1)):
            warnings.append(f"{k[0]}={k[1]!r} p95: {name} {a[6]} vs {ref_name} {b[6]}")
    return warnings


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--journal")
    ap.add_argument("--bench-load", default=str(ROOT / "build" / "bench" / "bench_load"))
    ap.add_argument("--duckdb-double", action="store_true",
                    help="also time DuckDB with cost typed DECIMAL in the reader (inexact)")
    ap.add_argument("--skip", default="", help="comma-separated engines to leave out")
    a = ap.parse_args()
    journal = a.journal or str(ROOT / "build" / "bench" / (
        "journal-1m.jsonl" if a.records == 1_000_000 else f"journal-{a.records}.jsonl"))
    if not os.path.exists(journal):
        t0 = time.perf_counter()
        journal_gen.generate(a.records, journal)
        print(f"generated {journal} ({a.records} records) in {time.perf_counter() - t0:.1f} s",
              file=sys.stderr)
    with open(journal, "rb") as f:  # count records; also warms the page cache for everyone
        records = sum(1 for _ in f)
    size_mb = os.path.getsize(journal) / 1e6

    engines = {}
    skip = set(filter(None, a.skip.split(",")))
    if "agentmetrics" not in skip:
        if os.access(a.bench_load, os.X_OK):
            first = [True]

            def agm():
                r = run_agm(a.bench_load, journal, first[0])
                first[0] = False
                return r
            engines["agentmetrics"] = agm
        else:
            print(f"warning: {a.bench_load} not found: agentmetrics left out", file=sys.stderr)
    if "duckdb" not in skip:
        engines["duckdb"] = lambda: run_duckdb(journal)
        if a.duckdb_double:
            engines["duckdb-double"] = lambda: run_duckdb(journal, True)
    if "python-json" not in skip:
        engines["python-json"] = lambda: run_json(journal)

    times = {e: [] for e in engines}
    results, infos = {}, {}
    names = list(engines)
    for rnd in range(a.runs):
        order = names[rnd % len(names):] + names[:rnd % len(names)]
        for e in order:
            secs, res, info = engines[e]()
            times[e].append(secs)
            if res:
                results.setdefault(e, res)
            for k, v in info.items():
                infos.setdefault(e, {}).setdefault(k, []).append(v)
        print(f"round {rnd + 1}/{a.runs}: " +
              ", ".join(f"{e} {times[e][-1]:.3f} s" for e in names), file=sys.stderr)

    import duckdb
    threads = duckdb.connect().execute("SELECT current_setting('threads')").fetchone()[0]
    print(f"journal: {journal}, {records} records, {size_mb:.0f} MB; {a.runs} interleaved runs; "
          f"{os.cpu_count()} CPUs; duckdb {duckdb.__version__} ({threads} threads); "
          f"Python {sys.version.split()[0]}\n")
    base = statistics.median(times["agentmetrics"]) if "agentmetrics" in times else None
    print("| engine | median s | min s | records/s | ratio to agentmetrics |")
    print("|---|---:|---:|---:|---:|")
    for e in names:
        med = statistics.median(times[e])
        ratio = f"{med / base:.2f}x" if base else "n/a"
        print(f"| {e} | {med:.3f} | {min(times[e]):.3f} | {records / med:,.0f} | {ratio} |")
    if "agentmetrics" in infos:
        i = infos["agentmetrics"]
        print(f"\nagentmetrics: load {statistics.median(i['load_s']):.3f} s of the median, "
              f"recorder teardown (untimed) {statistics.median(i['free_s']):.3f} s; "
              f"load report: {i['report'][0]}")
        rep = dict(kv.split("=") for kv in i["report"][0].split())
        if int(rep.get("records", -1)) != records or int(rep.get("malformed", 1)) != 0:
            print(f"warning: agentmetrics loaded {rep.get('records')} of {records} records, "
                  f"{rep.get('malformed')} malformed")

    ref_name = "python-json" if "python-json" in results else next(iter(results), None)
    if ref_name:
        ref = results[ref_name]
        mc = sum(v[0] for (d, _), v in ref.items() if d == "model")
        inp = sum(v[2] for (d, _), v in ref.items() if d == "model")
        print(f"\nreference ({ref_name}): {mc} model calls, {inp} input tokens, "
              f"{len(ref)} groups")
        all_ok = True
        for e, res in results.items():
            if e == ref_name:
                continue
            w = compare(e, res, ref, ref_name)
            if w:
                all_ok = False
                print(f"warning: {e} disagrees with {ref_name} on {len(w)} values, e.g.:")
                for line in w[:6]:
                    print(f"  {line}")
            else:
                cost = "within 1e-12 relative" if e == "duckdb-double" else "exact"
                print(f"{e} agrees with {ref_name} (counts and token sums exact, cost sums "
                      f"{cost}, p95 within 2 %)")
        if not all_ok:
            sys.exit(1)


if __name__ == "__main__":
    main()
