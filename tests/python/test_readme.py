"""The README's Python quick start runs and prints exactly the output the README shows."""

from __future__ import annotations

import os
import pathlib
import re
import subprocess
import sys

README = pathlib.Path(__file__).resolve().parents[2] / "README.md"


def test_python_quick_start(tmp_path: pathlib.Path) -> None:
    section = re.search(r"^## Python quick start\n(.*?)^## ", README.read_text(), re.S | re.M)
    assert section is not None
    code = re.search(r"```python\n(.*?)```", section.group(1), re.S)
    shown = re.search(r"```text\n(.*?)```", section.group(1), re.S)
    assert code is not None and shown is not None
    done = subprocess.run([sys.executable, "-c", code.group(1)], cwd=tmp_path, capture_output=True,
                          text=True, env={**os.environ, "NO_COLOR": "1"})
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout == shown.group(1)
    assert (tmp_path / "runs" / "agentmetrics.db").is_file()
