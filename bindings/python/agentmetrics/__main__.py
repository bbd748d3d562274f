"""``python -m agentmetrics`` and the ``agentmetrics`` script: the agentmetrics command line, the
same program the C library installs, run in this process by the extension (which holds the one
copy of the core), with an HTTP client from the standard library for ``export --endpoint``."""

from __future__ import annotations

import signal
import sys
import threading

from . import _http
from ._native import cli_main


def main() -> None:
    # The command writes to file descriptors 1 and 2 itself: what Python buffered goes first.
    sys.stdout.flush()
    sys.stderr.flush()
    if threading.current_thread() is threading.main_thread():
        # This process is the command now: Ctrl-C and kill end it as they end the program (`tail
        # -f` takes them itself and exits 0), not as a KeyboardInterrupt in Python code.
        for stop in (signal.SIGINT, signal.SIGTERM):
            signal.signal(stop, signal.SIG_DFL)
    sys.exit(cli_main(["agentmetrics", *sys.argv[1:]], _http.send))


if __name__ == "__main__":
    main()
