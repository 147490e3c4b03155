"""DataLoader worker processes: the epoch number they share, and stopping them.

A persistent worker keeps its copy of the dataset across epochs, so an attribute set on the
main process's dataset never reaches it. `SharedEpoch` is a shared-memory integer the main
process sets before each epoch's iterator starts; every copy reads it when its own iterator
starts, so per-epoch orders change identically with or without persistent workers.

`shutdown` stops a DataLoader's workers now. torch offers no public call for it: the
iterator's `_shutdown_workers` is private, so it is reached here only, and guarded.
"""

from __future__ import annotations

import multiprocessing
from typing import Any


class SharedEpoch:
    """The current epoch, visible to worker processes (forked or spawned)."""

    def __init__(self) -> None:
        self._value = multiprocessing.get_context().Value("q", 0, lock=False)

    def set(self, epoch: int) -> None:
        self._value.value = epoch

    def get(self) -> int:
        return int(self._value.value)


def stop_iterator(iterator: Any) -> None:
    """Stop the workers of one DataLoader iterator (a no-op for anything else)."""
    stop = getattr(iterator, "_shutdown_workers", None)
    if stop is not None:
        stop()


def shutdown(loader: Any) -> None:
    """Stop a DataLoader's persistent workers now (others stop with their epoch's iterator)."""
    iterator = getattr(loader, "_iterator", None)
    if iterator is not None:
        stop_iterator(iterator)
        loader._iterator = None
