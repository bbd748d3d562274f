#!/usr/bin/env python3
"""Deterministic generator of an agentmetrics journal (schema v1, core/src/model/record.hpp).

    bench/journal_gen.py N OUT [--seed S]

Writes exactly N lines to OUT (atomically: OUT.tmp then rename). Per session: one "session"
line, then turns of 1-4 "model_call" lines, 0-3 "tool_call" lines and one "turn" line; the
last session is cut off at N lines. A session has one agent, phase and task, as sessions of
the library do, so its records carry the same labels. Costs are exact decimals computed from
fixed per-million rates (decimal module for the rates, integer attodollars per call).
"""
import argparse
import math
import os
import random
import sys
from decimal import Decimal

ATTO = 10**18
# USD per million tokens: input, cache_read, cache_write_5m, cache_write_1h, output (reasoning is
# billed as output).
RATES = {
    "claude-sonnet-4-5-20250929": ("anthropic", "3", "0.30", "3.75", "6", "15"),
    "claude-haiku-4-5": ("anthropic", "1", "0.10", "1.25", "2", "5"),
    "gpt-4o-2024-08-06": ("openai", "2.50", "1.25", "0", "0", "10"),
    "gpt-4.1-mini": ("openai", "0.40", "0.10", "0", "0", "1.60"),
    "gemini-2.5-pro": ("gemini", "1.25", "0.31", "0", "0", "10"),
    "gemini-2.5-flash": ("gemini", "0.30", "0.075", "0", "0", "2.50"),
}
# attodollars per token, exact: rate per million * 1e18 / 1e6
PRICE = {m: (r[0],) + tuple(int(Decimal(x) * ATTO / 10**6) for x in r[1:]) for m, r in RATES.items()}
for m, r in RATES.items():  # every rate is a whole number of attodollars per token
    assert all(Decimal(x) * ATTO / 10**6 == p for x, p in zip(r[1:], PRICE[m][1:])), m
UNPRICED = ("ft:gpt-4.1-mini:acme:planner:9xQ2b", "openai")
MODELS = list(RATES)
MODEL_WEIGHTS = [30, 14, 12, 14, 12, 18]
REASONING = {"claude-sonnet-4-5-20250929": 0.25, "gemini-2.5-pro": 0.8, "gemini-2.5-flash": 0.5}
STOP = {"anthropic": ("end_turn", "tool_use", "tool_use", "max_tokens"),
        "openai": ("stop", "tool_calls", "tool_calls", "length"),
        "gemini": ("STOP", "STOP", "STOP", "MAX_TOKENS")}
AGENTS = ["planner", "coder", "reviewer", "researcher", "tester"]
AGENT_WEIGHTS = [15, 35, 20, 15, 15]
PHASES = ["1", "2", "3", "4", "5"]
TOOLS = ["web_search", "read_file", "write_file", "run_tests", "grep", "browse_url"]
TOOL_WEIGHTS = [12, 30, 14, 10, 24, 10]
TOOL_ERRORS = {
    "web_search": ("HTTPError", "HTTP 429 Too Many Requests from search backend"),
    "read_file": ("FileNotFoundError", "No such file or directory: src/legacy/util.py"),
    "write_file": ("PermissionError", "Permission denied: /repo/.git/config"),
    "run_tests": ("CalledProcessError", "pytest exited with status 1 (3 failed, 212 passed)"),
    "grep": ("TimeoutError", "grep timed out after 30 s"),
    "browse_url": ("HTTPError", "HTTP 503 Service Unavailable"),
}
REPOS = ["acme/webapp", "acme/billing", "acme/infra", "acme/mobile", "acme/data-pipeline"]
START_NS = 1759276800 * 10**9  # 2025-10-01T00:00:00Z
# Sessions run concurrently in practice: ts advances by a share of each duration, so 1M
# records span about three days while staying non-decreasing.
CONCURRENCY = 5


def money(atto):
    """Exact decimal without exponent or trailing zeros."""
    q, r = divmod(atto, ATTO)
    if r == 0:
        return str(q)
    return f"{q}.{r:018d}".rstrip("0")


def generate(n, out, seed=20251001):
    rng = random.Random(seed)
    rand, randint, choices, lognorm, getrandbits = (
        rng.random, rng.randint, rng.choices, rng.lognormvariate, rng.getrandbits)
    ln_model, ln_tool = math.log(2e9), math.log(3e8)
    ts = START_NS
    written = 0
    buf = []
    tmp = out + ".tmp"
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        session_no = 0
        while written < n:
            session_no += 1
            sid = f"{getrandbits(64):016x}"
            agent = choices(AGENTS, AGENT_WEIGHTS)[0]
            phase = PHASES[randint(0, 4)]
            task = f"task-{randint(1, 2500):04d}"
            primary = choices(MODELS, MODEL_WEIGHTS)[0]
            labels = f'"session":"{sid}","agent":"{agent}","phase":"{phase}","task":"{task}"'
            ts += int(rand() * 2e9) // CONCURRENCY
            buf.append(f'{{"v":1,"kind":"session","ts":{ts},{labels},"tags":{{"repo":"'
                       f'{REPOS[session_no % 5]}","branch":"main","ci":"{"true" if rand() < 0.3 else "false"}"}}}}')
            written += 1
            turns = randint(3, 40)
            call_no = 0
            for turn in range(1, turns + 1):
                if written >= n:
                    break
                t_models = choices((1, 2, 3, 4), (1, 2, 3, 4))[0]
                t_tools = choices((0, 1, 2, 3), (1, 2, 3, 4))[0]
                turn_tokens = 0
                turn_cost = 0
                tool_wall = tool_work = model_wall = 0
                for _ in range(t_models):
                    if written >= n:
                        break
                    if rand() < 0.8:
                        model = primary
                    else:
                        model = choices(MODELS, MODEL_WEIGHTS)[0]
                    r = rand()
                    unpriced = r < 0.01
                    no_usage = 0.01 <= r < 0.04
                    if unpriced:
                        model, provider = UNPRICED
                        price = None
                    else:
                        price = PRICE[model]
                        provider = price[0]
                    dur = int(lognorm(ln_model, 0.6)) + 1
                    model_wall += dur
                    ts += (dur + randint(0, 50_000_000)) // CONCURRENCY
                    attempt = 2 if rand() < 0.01 else 1
                    call_no += 1
                    head = (f'{{"v":1,"kind":"model_call","ts":{ts},{labels},"turn":{turn},'
                            f'"model":"{model}","provider":"{provider}","source":"agent",')
                    if no_usage:
                        if rand() < 0.5:
                            buf.append(head + f'"attempt":{attempt},"outcome":"error","error_type":'
                                       f'"RateLimitError","error":"429 rate limit exceeded",'
                                       f'"duration_ns":{dur}}}')
                        else:
                            buf.append(head + f'"attempt":{attempt},"outcome":"ok",'
                                       f'"duration_ns":{dur},"ttft_ns":{dur // 4}}}')
                        written += 1
                        continue
                    inp = int(500 * math.exp(rand() * 4.787))  # 500..60000, log-uniform
                    out_t = int(50 * math.exp(rand() * 4.382))  # 50..4000
                    u = f'"usage":{{"input":{inp}'
                    total = inp + out_t
                    cr = cw = cw1 = reas = 0
                    has_cr = rand() < 0.5
                    if has_cr:
                        cr = randint(1000, 120000)
                        u += f',"cache_read":{cr}'
                        total += cr
                    has_cw = provider == "anthropic" and rand() < 0.15
                    if has_cw:
                        cw = randint(1024, 20000)
                        u += f',"cache_write":{cw}'
                        if rand() < 0.2:
                            cw1 = cw // 2
                            u += f',"cache_write_1h":{cw1}'
                        total += cw
                    u += f',"output":{out_t}'
                    has_reas = rand() < REASONING.get(model, 0.0)
                    if has_reas:
                        reas = randint(out_t // 4, out_t * 9 // 10)
                        u += f',"reasoning":{reas}'
                    u += f',"total":{total}}}'
                    turn_tokens += total
                    stop = STOP[provider][randint(0, 3)]
                    line = (head + f'"stop_reason":"{stop}","attempt":{attempt},"outcome":"ok",'
                            f'"duration_ns":{dur},"ttft_ns":{int(dur * (0.1 + 0.3 * rand()))},{u}')
                    if price is not None:
                        _, p_in, p_cr, p_cw5, p_cw1, p_out = price
                        c_in, c_out = inp * p_in, (out_t - reas) * p_out
                        c_total = c_in + c_out
                        c = f',"cost":{{"input":{money(c_in)}'
                        if has_cr:
                            c_cr = cr * p_cr
                            c_total += c_cr
                            c += f',"cache_read":{money(c_cr)}'
                        if has_cw:
                            c_cw5, c_cw1 = (cw - cw1) * p_cw5, cw1 * p_cw1
                            c_total += c_cw5 + c_cw1
                            c += f',"cache_write_5m":{money(c_cw5)}'
                            if cw1:
                                c += f',"cache_write_1h":{money(c_cw1)}'
                        c += f',"output":{money(c_out)}'
                        if has_reas:
                            c_r = reas * p_out
                            c_total += c_r
                            c += f',"reasoning":{money(c_r)}'
                        c += f',"total":{money(c_total)}}}'
                        line += c
                        turn_cost += c_total
                    buf.append(line + "}")
                    written += 1
                for _ in range(t_tools):
                    if written >= n:
                        break
                    tool = choices(TOOLS, TOOL_WEIGHTS)[0]
                    dur = int(lognorm(ln_tool, 0.9)) + 1
                    if rand() < 0.01:
                        dur *= 20  # long tail: slow tests, hung pages
                    tool_work += dur
                    tool_wall += dur
                    ts += (dur + randint(0, 5_000_000)) // CONCURRENCY
                    call_no += 1
                    line = (f'{{"v":1,"kind":"tool_call","ts":{ts},{labels},"turn":{turn},'
                            f'"tool":"{tool}","call_id":"call_{sid[:8]}_{call_no}",')
                    if rand() < 0.04:
                        et, msg = TOOL_ERRORS[tool]
                        line += f'"outcome":"error","error_type":"{et}","error":"{msg}",'
                    else:
                        line += '"outcome":"ok",'
                    buf.append(line + f'"duration_ns":{dur},"input_bytes":{randint(40, 4000)},'
                               f'"output_bytes":{int(100 * math.exp(rand() * 7.6))}}}')
                    written += 1
                if written >= n:
                    break
                ts += randint(1_000_000, 20_000_000) // CONCURRENCY
                line = (f'{{"v":1,"kind":"turn","ts":{ts},{labels},"turn":{turn},'
                        f'"duration_ns":{model_wall + tool_wall + randint(1_000_000, 20_000_000)},'
                        f'"tool_wall_ns":{tool_wall},"tool_work_ns":{tool_work},'
                        f'"model_calls":{t_models},"tool_calls":{t_tools},"tokens":{turn_tokens}'
                        f',"cost":{money(turn_cost)}}}')  # written even when 0, as the library does
                buf.append(line)
                written += 1
            if len(buf) >= 20000:
                buf.append("")
                f.write("\n".join(buf))
                buf.clear()
        if buf:
            buf.append("")
            f.write("\n".join(buf))
    os.replace(tmp, out)
    return written


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", type=int)
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=20251001)
    a = ap.parse_args()
    written = generate(a.n, a.out, a.seed)
    print(f"wrote {written} lines to {a.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
