"""SIGTERM and SIGHUP (a cancelled CI job, `timeout`, a closed terminal) take Ctrl-C's path:
the exception unwinds the run, so the scenario's process group is ended, temporary folders
are removed, and the result file keeps every finished scenario; the CLI exits 128 + signal.
A closed stdout pipe (`loaderbench ... | head`) ends quietly too (`quiet_stdout`)."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator
from types import FrameType

HANDLED = (signal.SIGTERM, signal.SIGHUP)


class Terminated(KeyboardInterrupt):
    """A termination signal, raised where the main thread is, as Ctrl-C is."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum
        self.name = signal.Signals(signum).name


def _raise(signum: int, frame: FrameType | None) -> None:
    for sig in HANDLED:  # a second signal while unwinding must not interrupt the clean-up
        signal.signal(sig, signal.SIG_IGN)
    raise Terminated(signum)


@contextlib.contextmanager
def interrupts() -> Iterator[None]:
    """Within the block, SIGTERM and SIGHUP raise Terminated (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, _raise) for sig in HANDLED}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def quiet_stdout() -> None:
    """Point stdout at /dev/null, so that the interpreter's last flush into a closed pipe
    prints nothing either (Python's documented recipe for SIGPIPE)."""
    with contextlib.suppress(AttributeError, OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
