#!/usr/bin/env python3
"""check_readme.py README INCLUDE_DIR LIB_DIR: the README's C quick start compiles as C99
against the header and library, runs, and prints the line its comment promises."""
import os
import pathlib
import re
import subprocess
import sys
import tempfile

readme, include, libdir = sys.argv[1:4]
code = re.search(r"## C quick start\n\n```c\n(.*?)```", pathlib.Path(readme).read_text(), re.S).group(1)
promised = re.search(r'puts\(line\.data\);\s*/\* "(.*?)" \*/', code).group(1)
with tempfile.TemporaryDirectory() as tmp:
    src, exe = pathlib.Path(tmp) / "quickstart.c", pathlib.Path(tmp) / "quickstart"
    src.write_text(code)
    subprocess.run([os.environ.get("CC", "cc"), *os.environ.get("EXTRA_CFLAGS", "").split(),
                    "-std=c99", "-Wall", "-Wextra", "-pedantic", "-Werror",
                    f"-I{include}", str(src), "-o", str(exe), f"-L{libdir}", "-lagentmetrics",
                    f"-Wl,-rpath,{libdir}"], check=True)
    out = subprocess.run([str(exe)], capture_output=True, text=True, check=True,
                         env={**os.environ, "NO_COLOR": "1"}).stdout.rstrip("\n")
if out != promised:
    sys.exit(f"README quick start prints\n  {out!r}\nbut its comment promises\n  {promised!r}")
print("README C quick start: ok")
