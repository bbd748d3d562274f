#!/usr/bin/env python3
"""Cost of recording ONE model call from Python: agentmetrics side by side with the alternatives.

    .venv/bin/python bench/bench_python.py [--rounds 15] [--records 20000] [--json [PATH]]
    # from a source tree, before installing:
    PYTHONPATH=bindings/python python3 bench/bench_python.py
    # competitors: pip install -r bench/requirements-python.txt

One record = one model call: model "gpt-4o", provider "openai", usage with input, cache-read,
output and reasoning tokens, a duration, and the labels agent / phase / session. Every candidate
is called with exactly the same expression, in the same loop, over the same pre-built inputs:

    for usage, duration_ns in inputs:
        call(model="gpt-4o", usage=usage, provider="openai", duration_ns=duration_ns)

so the loop and argument passing are the same for all. The timed region is the whole loop
(time.perf_counter_ns), i.e. everything the caller pays per record; setup (recorder, registry,
session, database file) and the end-of-round flush are outside it (the flush is reported apart,
as "flush ns/rec"). Candidates:

  native-noop         agentmetrics._native.noop(...): a native function that does nothing, the floor
  python-noop         a Python function that does nothing (reference: the cost of the call itself)
  agentmetrics        session.record_model_call(...) into rec.session(agent=, phase=), no store
  agentmetrics+journal    ... with rec.open_store(journal=<tmp>/j.jsonl)
  agentmetrics+database   ... with rec.open_store(database=<tmp>/m.db)
  python              pure-Python collector as seed 001 designs it: an AICallMetric dataclass per call
                      (uuid4 id, datetime.now()), cost from per-million float prices, dict sums per
                      model and a SessionMetrics dataclass per session; no storage
  python+sqlite       ... plus an INSERT + commit per record (sqlite3 defaults, as in the seed)
  python+sqlite-wal   ... the same with PRAGMA journal_mode=WAL, synchronous=NORMAL (no fsync per commit)
  opentelemetry       OpenTelemetry SDK, in memory (InMemoryMetricReader): histogram
                      gen_ai.client.token.usage recorded per token type (gen_ai.token.type) and
                      histogram gen_ai.client.operation.duration, attributes gen_ai.request.model,
                      gen_ai.provider.name, gen_ai.operation.name, agent, phase, session
  prometheus          prometheus_client in its own CollectorRegistry: a Counter per token type and a
                      Histogram of durations, labels model, provider, agent, phase, session

OpenTelemetry and Prometheus are used the cheapest documented way: attribute dicts and labelled
children are built once per (model, provider) and reused, as agentmetrics binds its labels once per
session. The python+sqlite variants run --sqlite-records records per round (default 2,000): their
cost per record is one commit (an fsync with sqlite3 defaults), the same whatever the count.

Rounds are interleaved: each round runs every candidate once, in a rotating order, so machine noise
hits all of them alike; the figures are medians over rounds. The garbage collector is disabled during
every timed loop (gc.collect() before each). After each run, outside the timing, the candidate's
totals are checked against the inputs (calls, token sums, cost; for stores, the record count).

Targets (checked and printed; --check makes a miss exit 1): agentmetrics, with persistence off and on,
<= 1000 ns/record, within 3x of the floor (native-noop), and at least 3x faster than OpenTelemetry.
"""
import argparse
import gc
import json
import os
import platform
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from uuid import uuid4

MODEL = "gpt-4o"
PROVIDER = "openai"
AGENT = "planner"
PHASE = "execute"
TOKEN_KINDS = ("input_tokens", "cache_read_tokens", "output_tokens", "reasoning_tokens")

TARGET_MAX_NS = 1000.0
TARGET_MAX_FLOOR_RATIO = 3.0
TARGET_MIN_SPEEDUP_VS_OTEL = 3.0

# gen_ai semantic-convention advisory bucket boundaries
TOKEN_BUCKETS = (1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304,
                 16777216, 67108864)
DURATION_BUCKETS = (0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48,
                    40.96, 81.92)


# ------------------------------------------------------------------------------------ inputs
def make_inputs(n, seed=1):
    """n (usage dict, duration_ns) pairs; canonical usage (input, cache read disjoint; reasoning is
    part of output), plausible agent-loop sizes."""
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        prompt = rnd.randint(500, 30_000)
        cached = rnd.randint(0, prompt) if rnd.random() < 0.7 else 0
        output = rnd.randint(20, 2_000)
        reasoning = rnd.randint(0, output // 2)
        usage = {"input_tokens": prompt - cached, "cache_read_tokens": cached,
                 "output_tokens": output, "reasoning_tokens": reasoning}
        out.append((usage, rnd.randint(200_000_000, 12_000_000_000)))
    return out


def expected_totals(inputs):
    t = {k: sum(u[k] for u, _ in inputs) for k in TOKEN_KINDS}
    t["calls"] = len(inputs)
    t["duration_ns"] = sum(d for _, d in inputs)
    # gpt-4o: 2.50 / 1.25 / 10.00 USD per million input / cache read / output (reasoning included)
    t["cost"] = (t["input_tokens"] * 2.5 + t["cache_read_tokens"] * 1.25
                 + t["output_tokens"] * 10.0) / 1e6
    return t


def close_enough(a, b, rel):
    return abs(float(a) - float(b)) <= rel * max(abs(float(b)), 1e-12)


# ----------------------------------------------------------------------------- candidates
class Candidate:
    """setup(round, tmpdir) -> call; finish() after the timed loop (flush; timed apart);
    verify(expected) -> list of problems; close()."""
    name = "?"
    group = "?"
    needs_tmp = False
    has_flush = False  # finish() does work (timed apart, reported as "flush ns/rec")
    max_records = None  # run at most this many records per round (None: all)

    def setup(self, rnd, tmpdir):
        raise NotImplementedError

    def finish(self):
        pass

    def verify(self, exp):
        return []

    def close(self):
        pass


class NativeNoop(Candidate):
    name, group = "native-noop", "floor"

    def __init__(self, am):
        self.noop = am._native.noop

    def setup(self, rnd, tmpdir):
        return self.noop


def _python_noop(*args, **kwargs):
    return None


class PythonNoop(Candidate):
    name, group = "python-noop", "reference"

    def setup(self, rnd, tmpdir):
        return _python_noop


class AgentMetrics(Candidate):
    group = "agentmetrics"

    def __init__(self, am, store=None):
        self.am = am
        self.store = store  # None, "journal", "database"
        self.name = "agentmetrics" + ("" if store is None else "+" + store)
        self.needs_tmp = self.has_flush = store is not None
        self.path = None

    def setup(self, rnd, tmpdir):
        self.rec = self.am.Recorder()
        if self.store == "journal":
            self.path = os.path.join(tmpdir, "j.jsonl")
            self.rec.open_store(journal=self.path)
        elif self.store == "database":
            self.path = os.path.join(tmpdir, "m.db")
            self.rec.open_store(database=self.path)
        self.session = self.rec.session(f"bench-{rnd}", agent=AGENT, phase=PHASE)
        return self.session.record_model_call

    def finish(self):
        if self.store is not None:
            self.rec.flush()

    def verify(self, exp):
        problems = []
        t = self.session.totals()
        for attr, want in (("model_calls", exp["calls"]), ("calls_with_usage", exp["calls"]),
                           ("calls_unpriced", 0)) + tuple((k, exp[k]) for k in TOKEN_KINDS):
            got = getattr(t, attr)
            if got != want:
                problems.append(f"totals().{attr} = {got}, expected {want}")
        if t.cost is None or not close_enough(t.cost.total, exp["cost"], 1e-9):
            problems.append(f"totals().cost.total = {t.cost and t.cost.total}, "
                            f"expected {exp['cost']:.6f}")
        if self.path is not None:
            self.session.close()
            self.rec.flush()
            n = self.am.store_count(self.path)
            # the store also holds session records: at least one line per model call
            if n < exp["calls"]:
                problems.append(f"store_count({os.path.basename(self.path)}) = {n}, "
                                f"expected >= {exp['calls']}")
        return problems

    def close(self):
        self.rec.close()
        self.rec = self.session = None


# --- (b) the pure-Python collector of seed 001 -----------------------------------------------
@dataclass
class AICallMetric:
    """Record of a single AI/LLM API call (seed 001 metrics/models.py, with the cache-read and
    reasoning counts, provider and labels this benchmark records)."""
    id: str
    timestamp: datetime
    model: str
    provider: str
    thread_id: str
    agent: str
    phase: str
    input_tokens: int
    cache_read_tokens: int
    output_tokens: int
    reasoning_tokens: int
    total_tokens: int
    cost_usd: float
    duration_ms: int
    tokens_per_second: float
    stop_reason: str
    tool_calls: int = 0


@dataclass
class SessionMetrics:
    thread_id: str
    started_at: datetime
    last_activity: datetime
    ai_call_count: int = 0
    total_input_tokens: int = 0
    total_cache_read_tokens: int = 0
    total_output_tokens: int = 0
    total_reasoning_tokens: int = 0
    total_ai_cost_usd: float = 0.0
    avg_ai_latency_ms: float = 0.0
    tools_used: dict = field(default_factory=dict)


# per 1M tokens: input, cache read, output (seed 001 metrics/costs.py, gpt-4o added)
MODEL_PRICING = {
    "gpt-4o": (2.50, 1.25, 10.00),
    "claude-sonnet-4-20250514": (3.00, 0.30, 15.00),
}
DEFAULT_PRICING = (3.00, 0.30, 15.00)


def calculate_cost(model, input_tokens, cache_read_tokens, output_tokens):
    input_price, cache_price, output_price = MODEL_PRICING.get(model, DEFAULT_PRICING)
    return round(input_tokens / 1_000_000 * input_price
                 + cache_read_tokens / 1_000_000 * cache_price
                 + output_tokens / 1_000_000 * output_price, 6)


AI_CALLS_SCHEMA = """
CREATE TABLE IF NOT EXISTS ai_calls (
    id TEXT PRIMARY KEY,
    timestamp TEXT NOT NULL,
    model TEXT NOT NULL,
    provider TEXT,
    thread_id TEXT,
    agent TEXT,
    phase TEXT,
    input_tokens INTEGER NOT NULL,
    cache_read_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    reasoning_tokens INTEGER NOT NULL,
    total_tokens INTEGER NOT NULL,
    cost_usd REAL NOT NULL,
    duration_ms INTEGER NOT NULL,
    tokens_per_second REAL,
    stop_reason TEXT,
    tool_calls INTEGER DEFAULT 0,
    created_at TEXT DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX IF NOT EXISTS idx_ai_calls_timestamp ON ai_calls(timestamp);
CREATE INDEX IF NOT EXISTS idx_ai_calls_thread ON ai_calls(thread_id);
CREATE INDEX IF NOT EXISTS idx_ai_calls_model ON ai_calls(model);
"""
INSERT_AI_CALL = """
INSERT INTO ai_calls
(id, timestamp, model, provider, thread_id, agent, phase, input_tokens, cache_read_tokens,
 output_tokens, reasoning_tokens, total_tokens, cost_usd, duration_ms, tokens_per_second,
 stop_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""


class MetricsCollector:
    """Seed 001's MetricsCollector, reduced to the model-call path: build the metric, aggregate it
    in dicts, and (with a connection) insert it into SQLite and commit."""

    def __init__(self, thread_id, agent, phase, conn=None):
        now = datetime.now()
        self.thread_id, self.agent, self.phase, self.conn = thread_id, agent, phase, conn
        self.by_model = {}
        self.session = SessionMetrics(thread_id=thread_id, started_at=now, last_activity=now)

    def record_model_call(self, *, model, usage, provider=None, duration_ns=None):
        input_tokens = usage.get("input_tokens", 0)
        cache_read_tokens = usage.get("cache_read_tokens", 0)
        output_tokens = usage.get("output_tokens", 0)
        reasoning_tokens = usage.get("reasoning_tokens", 0)
        duration_ms = duration_ns // 1_000_000 if duration_ns is not None else 0
        cost = calculate_cost(model, input_tokens, cache_read_tokens, output_tokens)
        total_tokens = input_tokens + cache_read_tokens + output_tokens
        tps = total_tokens / (duration_ms / 1000) if duration_ms > 0 else 0
        metric = AICallMetric(
            id=str(uuid4()), timestamp=datetime.now(), model=model, provider=provider,
            thread_id=self.thread_id, agent=self.agent, phase=self.phase,
            input_tokens=input_tokens, cache_read_tokens=cache_read_tokens,
            output_tokens=output_tokens, reasoning_tokens=reasoning_tokens,
            total_tokens=total_tokens, cost_usd=cost, duration_ms=duration_ms,
            tokens_per_second=tps, stop_reason="unknown")
        self._aggregate(metric)
        if self.conn is not None:
            self._store(metric)

    def _aggregate(self, m):
        per = self.by_model.get(m.model)
        if per is None:
            per = self.by_model[m.model] = {
                "calls": 0, "input_tokens": 0, "cache_read_tokens": 0, "output_tokens": 0,
                "reasoning_tokens": 0, "cost_usd": 0.0, "duration_ms": 0}
        per["calls"] += 1
        per["input_tokens"] += m.input_tokens
        per["cache_read_tokens"] += m.cache_read_tokens
        per["output_tokens"] += m.output_tokens
        per["reasoning_tokens"] += m.reasoning_tokens
        per["cost_usd"] += m.cost_usd
        per["duration_ms"] += m.duration_ms
        s = self.session
        s.ai_call_count += 1
        s.total_input_tokens += m.input_tokens
        s.total_cache_read_tokens += m.cache_read_tokens
        s.total_output_tokens += m.output_tokens
        s.total_reasoning_tokens += m.reasoning_tokens
        s.total_ai_cost_usd += m.cost_usd
        s.avg_ai_latency_ms += (m.duration_ms - s.avg_ai_latency_ms) / s.ai_call_count
        s.last_activity = m.timestamp

    def _store(self, m):
        self.conn.execute(INSERT_AI_CALL, (
            m.id, m.timestamp.isoformat(), m.model, m.provider, m.thread_id, m.agent, m.phase,
            m.input_tokens, m.cache_read_tokens, m.output_tokens, m.reasoning_tokens,
            m.total_tokens, m.cost_usd, m.duration_ms, m.tokens_per_second, m.stop_reason))
        self.conn.commit()


class PythonCollector(Candidate):
    group = "python"

    def __init__(self, sqlite=None, max_records=None):
        self.sqlite = sqlite  # None, "default", "wal"
        self.name = {None: "python", "default": "python+sqlite", "wal": "python+sqlite-wal"}[sqlite]
        self.needs_tmp = sqlite is not None
        self.max_records = max_records if sqlite else None

    def setup(self, rnd, tmpdir):
        conn = None
        if self.sqlite:
            self.path = os.path.join(tmpdir, "metrics.db")
            conn = sqlite3.connect(self.path)
            if self.sqlite == "wal":
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
            conn.executescript(AI_CALLS_SCHEMA)
            conn.commit()
        self.c = MetricsCollector(f"bench-{rnd}", AGENT, PHASE, conn)
        return self.c.record_model_call

    def verify(self, exp):
        problems = []
        per = self.c.by_model[MODEL]
        s = self.c.session
        for k in TOKEN_KINDS:
            if per[k] != exp[k] or getattr(s, "total_" + k) != exp[k]:
                problems.append(f"{k}: {per[k]}, expected {exp[k]}")
        if per["calls"] != exp["calls"] or s.ai_call_count != exp["calls"]:
            problems.append(f"calls: {per['calls']}, expected {exp['calls']}")
        if not close_enough(s.total_ai_cost_usd, exp["cost"], 1e-4):  # rounded per call
            problems.append(f"cost {s.total_ai_cost_usd}, expected {exp['cost']}")
        if self.c.conn is not None:
            n = self.c.conn.execute("SELECT count(*) FROM ai_calls").fetchone()[0]
            if n != exp["calls"]:
                problems.append(f"ai_calls rows {n}, expected {exp['calls']}")
        return problems

    def close(self):
        if self.c.conn is not None:
            self.c.conn.close()
        self.c = None


# --- (c) OpenTelemetry SDK, in memory --------------------------------------------------------
class OpenTelemetry(Candidate):
    name, group = "opentelemetry", "opentelemetry"

    def __init__(self):
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import InMemoryMetricReader
        self.MeterProvider, self.InMemoryMetricReader = MeterProvider, InMemoryMetricReader

    def setup(self, rnd, tmpdir):
        self.reader = self.InMemoryMetricReader()
        self.provider = self.MeterProvider(metric_readers=[self.reader], shutdown_on_exit=False)
        meter = self.provider.get_meter("agentmetrics-bench")
        tokens = meter.create_histogram(
            "gen_ai.client.token.usage", unit="{token}", description="Number of tokens used",
            explicit_bucket_boundaries_advisory=TOKEN_BUCKETS)
        duration = meter.create_histogram(
            "gen_ai.client.operation.duration", unit="s", description="GenAI operation duration",
            explicit_bucket_boundaries_advisory=DURATION_BUCKETS)
        tok_record, dur_record = tokens.record, duration.record
        base = {"agent": AGENT, "phase": PHASE, "session": f"bench-{rnd}"}
        cache = {}

        def attributes(model, provider):
            common = {"gen_ai.operation.name": "chat", "gen_ai.provider.name": provider,
                      "gen_ai.request.model": model, **base}
            per_kind = tuple((k, {**common, "gen_ai.token.type": k[:-len("_tokens")]})
                             for k in TOKEN_KINDS)
            return cache.setdefault((model, provider), (per_kind, common))

        def record(*, model, usage, provider=None, duration_ns=None):
            a = cache.get((model, provider))
            if a is None:
                a = attributes(model, provider)
            per_kind, common = a
            for key, attrs in per_kind:
                v = usage.get(key)
                if v is not None:
                    tok_record(v, attrs)
            if duration_ns is not None:
                dur_record(duration_ns / 1e9, common)

        return record

    def verify(self, exp):
        problems = []
        sums, counts = {}, {}
        for rm in self.reader.get_metrics_data().resource_metrics:
            for sm in rm.scope_metrics:
                for m in sm.metrics:
                    for p in m.data.data_points:
                        key = (m.name, p.attributes.get("gen_ai.token.type"))
                        sums[key] = sums.get(key, 0) + p.sum
                        counts[key] = counts.get(key, 0) + p.count
        for k in TOKEN_KINDS:
            got = sums.get(("gen_ai.client.token.usage", k[:-len("_tokens")]))
            if got != exp[k]:
                problems.append(f"token.usage[{k}] sum {got}, expected {exp[k]}")
        got = counts.get(("gen_ai.client.operation.duration", None))
        if got != exp["calls"]:
            problems.append(f"operation.duration count {got}, expected {exp['calls']}")
        return problems

    def close(self):
        self.provider.shutdown()
        self.reader = self.provider = None


# --- (d) prometheus_client ---------------------------------------------------------------------
class Prometheus(Candidate):
    name, group = "prometheus", "prometheus"

    def __init__(self):
        import prometheus_client
        self.pc = prometheus_client

    def setup(self, rnd, tmpdir):
        pc = self.pc
        self.registry = reg = pc.CollectorRegistry()
        labels = ("model", "provider", "agent", "phase", "session")
        counters = tuple(
            (k, pc.Counter(f"agent_{k}", f"{k.replace('_', ' ')} used", labels, registry=reg))
            for k in TOKEN_KINDS)
        hist = pc.Histogram("agent_model_call_duration_seconds", "model call duration", labels,
                            registry=reg, buckets=DURATION_BUCKETS)
        session = f"bench-{rnd}"
        self.labels = {"model": MODEL, "provider": PROVIDER, "agent": AGENT, "phase": PHASE,
                       "session": session}
        cache = {}

        def children(model, provider):
            lv = (model, provider, AGENT, PHASE, session)
            return cache.setdefault((model, provider), (
                tuple((k, c.labels(*lv).inc) for k, c in counters), hist.labels(*lv).observe))

        def record(*, model, usage, provider=None, duration_ns=None):
            ch = cache.get((model, provider))
            if ch is None:
                ch = children(model, provider)
            incs, observe = ch
            for key, inc in incs:
                v = usage.get(key)
                if v is not None:
                    inc(v)
            if duration_ns is not None:
                observe(duration_ns / 1e9)

        return record

    def verify(self, exp):
        problems = []
        for k in TOKEN_KINDS:
            got = self.registry.get_sample_value(f"agent_{k}_total", self.labels)
            if got != exp[k]:
                problems.append(f"agent_{k}_total {got}, expected {exp[k]}")
        got = self.registry.get_sample_value("agent_model_call_duration_seconds_count",
                                             self.labels)
        if got != exp["calls"]:
            problems.append(f"duration count {got}, expected {exp['calls']}")
        return problems

    def close(self):
        self.registry = None


# ---------------------------------------------------------------------------------- running
def run_one(cand, rnd, inputs, tmp_root):
    """One timed run; returns (ns per record, flush ns per record, problems)."""
    if cand.max_records is not None:
        inputs = inputs[:cand.max_records]
    tmpdir = tempfile.mkdtemp(prefix="bench-py-", dir=tmp_root) if cand.needs_tmp else None
    try:
        call = cand.setup(rnd, tmpdir)
        model, provider = MODEL, PROVIDER
        gc.collect()
        gc.disable()
        try:
            t0 = time.perf_counter_ns()
            for usage, duration_ns in inputs:
                call(model=model, usage=usage, provider=provider, duration_ns=duration_ns)
            t1 = time.perf_counter_ns()
            cand.finish()
            t2 = time.perf_counter_ns()
        finally:
            gc.enable()
        try:
            problems = cand.verify(expected_totals(inputs))
        except Exception as e:  # an API mismatch in a check must not hide the timings
            problems = [f"verify raised {e!r}"]
        cand.close()
        n = len(inputs)
        return (t1 - t0) / n, (t2 - t1) / n, problems
    finally:
        if tmpdir:
            shutil.rmtree(tmpdir, ignore_errors=True)


def build_candidates(args, only):
    notes = []
    cands = []
    am = None
    try:
        import agentmetrics as am  # noqa: F811
    except ImportError as e:
        notes.append(f"agentmetrics not importable ({e}): its rows and the floor are skipped")
    if am is not None:
        cands.append(NativeNoop(am))
    cands.append(PythonNoop())
    if am is not None:
        cands += [AgentMetrics(am), AgentMetrics(am, "journal"), AgentMetrics(am, "database")]
    cands += [PythonCollector(), PythonCollector("default", args.sqlite_records),
              PythonCollector("wal", args.sqlite_records)]
    for cls, mod in ((OpenTelemetry, "opentelemetry-sdk"), (Prometheus, "prometheus-client")):
        try:
            cands.append(cls())
        except ImportError as e:
            notes.append(f"{mod} not importable ({e}): pip install -r bench/requirements-python.txt")
    if only:
        cands = [c for c in cands if c.name in only]
    return am, cands, notes


def versions(am):
    import importlib.metadata as md
    v = {"python": platform.python_version()}
    for dist in ("opentelemetry-sdk", "opentelemetry-api", "prometheus-client"):
        try:
            v[dist] = md.version(dist)
        except md.PackageNotFoundError:
            pass
    if am is not None:
        v["agentmetrics"] = getattr(am, "__version__", None)
    v["sqlite"] = sqlite3.sqlite_version
    return v


def quantile(xs, q):
    s = sorted(xs)
    return statistics.quantiles(s, n=4)[0 if q == 0.25 else 2] if len(s) >= 2 else s[0]


def summarize(results, cands):
    out = {}
    for c in cands:
        ns = results[c.name]["ns"]
        if not ns:
            continue
        out[c.name] = {
            "group": c.group,
            "records_per_round": results[c.name]["records"],
            "median_ns": statistics.median(ns),
            "min_ns": min(ns),
            "p25_ns": quantile(ns, 0.25),
            "p75_ns": quantile(ns, 0.75),
            "flush_ns_per_record": (statistics.median(results[c.name]["flush"])
                                    if c.has_flush else None),
            "rounds_ns": ns,
        }
    return out


def check_targets(summary):
    checks = []
    floor = summary.get("native-noop", {}).get("median_ns")
    otel = summary.get("opentelemetry", {}).get("median_ns")
    for name in ("agentmetrics", "agentmetrics+journal", "agentmetrics+database"):
        if name not in summary:
            continue
        v = summary[name]["median_ns"]
        checks.append({"candidate": name, "target": f"<= {TARGET_MAX_NS:.0f} ns/record",
                       "value": round(v, 1), "ok": v <= TARGET_MAX_NS})
        if floor:
            checks.append({"candidate": name,
                           "target": f"<= {TARGET_MAX_FLOOR_RATIO:g}x the floor (native-noop)",
                           "value": round(v / floor, 2), "ok": v / floor <= TARGET_MAX_FLOOR_RATIO})
        if otel:
            checks.append({"candidate": name,
                           "target": f">= {TARGET_MIN_SPEEDUP_VS_OTEL:g}x faster than opentelemetry",
                           "value": round(otel / v, 2), "ok": otel / v >= TARGET_MIN_SPEEDUP_VS_OTEL})
    return checks


def print_report(summary, checks, problems, meta, notes):
    floor_name = "native-noop" if "native-noop" in summary else "python-noop"
    floor = summary.get(floor_name, {}).get("median_ns")
    ams = [n for n in ("agentmetrics", "agentmetrics+journal", "agentmetrics+database")
           if n in summary]
    print(f"\nCost of recording one model call from Python: {meta['rounds']} interleaved rounds x "
          f"{meta['records']} records (python+sqlite*: {meta['sqlite_records']}); medians over rounds.")
    print("Python {python}, SQLite {sqlite}, opentelemetry-sdk {o}, prometheus-client {p}, "
          "agentmetrics {a}; {cpus} CPUs, load {l0} -> {l1}".format(
              o=meta["versions"].get("opentelemetry-sdk", "-"),
              p=meta["versions"].get("prometheus-client", "-"),
              a=meta["versions"].get("agentmetrics", "-"), cpus=os.cpu_count(),
              l0=meta["loadavg_start"], l1=meta["loadavg_end"], **meta["versions"]))
    for n in notes:
        print("note:", n)
    head = ["candidate", "ns/record", "p25-p75", f"x {floor_name}", "flush ns/rec"]
    short = {"agentmetrics": "am", "agentmetrics+journal": "am+journal",
             "agentmetrics+database": "am+database"}
    head += [f"{short[a]} x faster" for a in ams]
    rows = []
    for name, s in summary.items():
        row = [name, f"{s['median_ns']:,.0f}", f"{s['p25_ns']:,.0f}-{s['p75_ns']:,.0f}",
               f"{s['median_ns'] / floor:.2f}" if floor else "-",
               "-" if s["flush_ns_per_record"] is None else f"{s['flush_ns_per_record']:,.0f}"]
        for a in ams:
            row.append("" if name == a or s["group"] in ("floor", "reference") else
                       f"{s['median_ns'] / summary[a]['median_ns']:.1f}")
        rows.append(row)
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
    fmt = lambda r: "| " + " | ".join(  # noqa: E731
        c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))) + " |"
    print()
    print(fmt(head))
    print("|" + "|".join(("-" * (w + 1)) + (":" if i else "-") for i, w in enumerate(widths)) + "|")
    for r in rows:
        print(fmt(r))
    print("\n\"am* x faster\": this row's ns/record divided by that agentmetrics variant's "
          "(am = agentmetrics, no store).\n\"flush ns/rec\": the end-of-round rec.flush(), "
          "outside the timed region, per record.")
    if checks:
        print("\nTargets:")
        for c in checks:
            print(f"  {'PASS' if c['ok'] else 'FAIL'}  {c['candidate']:<22} {c['target']:<42} "
                  f"{c['value']}")
    if problems:
        print("\nVerification problems (totals after a run did not match the inputs):")
        for p in problems[:30]:
            print("  ", p)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n".join(__doc__.splitlines()[1:]))
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--records", type=int, default=20_000, help="records per candidate per round")
    ap.add_argument("--sqlite-records", type=int, default=2_000,
                    help="records per round for python+sqlite* (commit per record); "
                         "0: same as --records")
    ap.add_argument("--only", default="", help="comma-separated candidate names")
    ap.add_argument("--tmpdir", default=None, help="where the journal/database files go "
                    "(default: the system temp dir)")
    ap.add_argument("--json", nargs="?", const="-", metavar="PATH",
                    help="write the results as JSON to PATH (default: stdout, no table)")
    ap.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = ap.parse_args()
    if args.sqlite_records <= 0 or args.sqlite_records > args.records:
        args.sqlite_records = args.records

    only = {s.strip() for s in args.only.split(",") if s.strip()}
    am, cands, notes = build_candidates(args, only)
    if not cands:
        sys.exit("no candidates")
    inputs = make_inputs(args.records)
    loadavg = lambda: " ".join(f"{x:.2f}" for x in os.getloadavg())  # noqa: E731
    meta = {"rounds": args.rounds, "records": args.records, "sqlite_records": args.sqlite_records,
            "versions": versions(am), "loadavg_start": loadavg(), "model": MODEL,
            "provider": PROVIDER}
    to_stdout = args.json == "-"
    log = (lambda *a, **k: print(*a, file=sys.stderr, **k)) if to_stdout else print

    # warm-up round (not counted): imports, first-call caches, price table, page cache
    warm = inputs[:min(len(inputs), 1_000)]
    for c in cands:
        run_one(c, -1, warm, args.tmpdir)

    results = {c.name: {"ns": [], "flush": [], "records": 0} for c in cands}
    problems = []
    for rnd in range(args.rounds):
        k = rnd % len(cands)
        for c in cands[k:] + cands[:k]:
            ns, flush, probs = run_one(c, rnd, inputs, args.tmpdir)
            r = results[c.name]
            r["ns"].append(ns)
            r["flush"].append(flush)
            r["records"] = min(len(inputs), c.max_records or len(inputs))
            problems += [f"round {rnd} {c.name}: {p}" for p in probs]
        log(f"round {rnd + 1}/{args.rounds} done", flush=True)
    meta["loadavg_end"] = loadavg()

    summary = summarize(results, cands)
    checks = check_targets(summary)
    if args.json:
        doc = {"meta": meta, "notes": notes, "results": summary, "targets": checks,
               "problems": problems}
        text = json.dumps(doc, indent=2)
        if to_stdout:
            print(text)
        else:
            with open(args.json, "w") as f:
                f.write(text + "\n")
    if not to_stdout:
        print_report(summary, checks, problems, meta, notes)
    failed = problems or not all(c["ok"] for c in checks)
    sys.exit(1 if args.check and failed else 0)


if __name__ == "__main__":
    main()
