"""``python -m agentmetrics``: the agentmetrics command line, the same program the C library
installs (bundled in this package, with the core linked in)."""

from __future__ import annotations

import os
import subprocess
import sys


def executable() -> str:
    """The bundled command-line program."""
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "_bin", "agentmetrics")


def main() -> None:
    exe = executable()
    if not os.access(exe, os.X_OK):
        sys.exit(f"agentmetrics: the command-line program is missing from this installation ({exe})")
    argv = [exe, *sys.argv[1:]]
    sys.stdout.flush()
    sys.stderr.flush()
    if os.name == "posix":
        os.execv(exe, argv)  # the program takes over this process: signals and exit code are its own
    sys.exit(subprocess.call(argv))


if __name__ == "__main__":
    main()
