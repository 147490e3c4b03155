"""Progress on stderr for runs longer than a few seconds: rich when stderr is a terminal,
nothing with --quiet or when output goes to a file or pipe.

Every phase reports through one callback, `(label, done, total)`; a total of 0 means the
length is unknown (a pulsing bar). The bar appears only once the run has lasted SHOW_AFTER_S,
so short runs print nothing but their table; it is transient, so the table is all that stays.
The bar lives in the orchestrating process: the measured scenarios run in their own processes.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

Progress = Callable[[str, int, int], None]  # (label, done, total); total 0 = unknown
SHOW_AFTER_S = 2.0


def note(text: str) -> None:
    """A line the user should see whatever the display (stderr, so tables stay clean)."""
    print(f"loaderbench: note: {text}", file=sys.stderr, flush=True)


def silent(label: str, done: int, total: int) -> None:
    """The progress callback that shows nothing."""


@contextmanager
def display(quiet: bool, show_after_s: float = SHOW_AFTER_S) -> Iterator[Progress | None]:
    if quiet or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as RichProgress

    bar = RichProgress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                       TimeElapsedColumn(), console=Console(stderr=True), transient=True,
                       redirect_stdout=False, redirect_stderr=False, refresh_per_second=4)
    task = bar.add_task("starting", total=None)

    def update(label: str, done: int, total: int) -> None:
        bar.update(task, description=label, completed=done, total=total or None)

    timer = threading.Timer(show_after_s, bar.start)
    timer.daemon = True
    timer.start()
    try:
        yield update
    finally:
        timer.cancel()
        timer.join()
        bar.stop()
