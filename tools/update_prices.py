#!/usr/bin/env python3
"""Regenerate the bundled price table from LiteLLM's published price JSON.

The `litellm` wheel on PyPI carries `litellm/model_prices_and_context_window_backup.json`.
This script downloads a pinned wheel (network: PyPI only, at development time; the library
never touches the network), keeps the entries and keys agentmetrics prices with, and writes

  core/data/litellm_prices.json       one entry per line, sorted, diffable
  core/data/litellm_prices.meta.json  where it came from and when

Usage: tools/update_prices.py [--litellm-version 1.109.1] [--wheel path/to/litellm.whl]
"""
from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import pathlib
import re
import subprocess
import sys
import tempfile
import zipfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
DATA = ROOT / "core" / "data"
MEMBER = "litellm/model_prices_and_context_window_backup.json"
DEFAULT_VERSION = "1.109.1"

# The rates the core reads (core/src/pricing/prices.cpp), with optional cliff tiers.
RATE = re.compile(
    r"^(input_cost_per_token|output_cost_per_token|cache_read_input_token_cost"
    r"|cache_creation_input_token_cost|cache_creation_input_token_cost_above_1hr"
    r"|output_cost_per_reasoning_token)(_above_\d+k_tokens)?$"
)
KEEP = {"litellm_provider", "mode"}


def fetch_wheel(version: str, into: pathlib.Path) -> pathlib.Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", f"litellm=={version}", "--no-deps",
         "--only-binary=:all:", "-d", str(into), "-q"],
        check=True,
    )
    return next(into.glob("litellm-*.whl"))


def is_rate(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0


def filter_table(raw: dict) -> dict:
    table = {}
    for name, entry in raw.items():
        if name == "sample_spec" or not isinstance(entry, dict):
            continue
        if not (is_rate(entry.get("input_cost_per_token")) or is_rate(entry.get("output_cost_per_token"))):
            continue
        kept = {k: v for k, v in entry.items() if (RATE.match(k) and is_rate(v)) or (k in KEEP and isinstance(v, str))}
        table[name] = dict(sorted(kept.items()))
    return dict(sorted(table.items()))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--litellm-version", default=DEFAULT_VERSION)
    ap.add_argument("--wheel", type=pathlib.Path, help="use this wheel instead of downloading")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        wheel = args.wheel or fetch_wheel(args.litellm_version, pathlib.Path(tmp))
        with zipfile.ZipFile(wheel) as zf:
            blob = zf.read(MEMBER)
    version = re.match(r"litellm-([^-]+)-", wheel.name).group(1)
    table = filter_table(json.loads(blob))
    lines = [f"{json.dumps(k)}: {json.dumps(v, separators=(',', ':'))}" for k, v in table.items()]
    DATA.mkdir(parents=True, exist_ok=True)
    (DATA / "litellm_prices.json").write_text("{\n" + ",\n".join(lines) + "\n}\n")
    meta = {
        "source": "litellm",
        "litellm_version": version,
        "file": MEMBER,
        "sha256": hashlib.sha256(blob).hexdigest(),
        "generated": dt.date.today().isoformat(),
        "models": len(table),
    }
    (DATA / "litellm_prices.meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    print(f"wrote {len(table)} models from litellm {version}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
