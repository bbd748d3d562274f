#!/usr/bin/env python3
"""Print the version the public header declares (AGM_VERSION_MAJOR/MINOR/PATCH): the single
source of truth that meson.build, pyproject.toml and package.json read."""
import re
import sys

text = open(sys.argv[1], encoding="utf-8").read()
parts = [re.search(rf"#define AGM_VERSION_{k} (\d+)", text).group(1) for k in ("MAJOR", "MINOR", "PATCH")]
print(".".join(parts))
