"""The README's Python quick start runs and prints what its comments promise."""

from __future__ import annotations

import os
import pathlib
import re
import subprocess
import sys

README = pathlib.Path(__file__).resolve().parents[2] / "README.md"


def test_python_quick_start(tmp_path: pathlib.Path) -> None:
    text = README.read_text()
    code = re.search(r"## Python quick start\n.*?```python\n(.*?)```", text, re.S)
    assert code is not None
    done = subprocess.run([sys.executable, "-c", code.group(1)], cwd=tmp_path, capture_output=True,
                          text=True, env={**os.environ, "NO_COLOR": "1"})
    assert done.returncode == 0, done.stderr
    assert done.stderr.startswith("  2,000 in · 150 out · 800 cached · 2,150 total (session 2,150) · $0.0055")
    out = done.stdout.splitlines()
    assert out[0].startswith("CostItems(input=Decimal('0.003')") and out[0].endswith("total=Decimal('0.0055'))")
    assert out[1] == "0.0055"
    assert (tmp_path / "runs" / "agentmetrics.db").is_file()
