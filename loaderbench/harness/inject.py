"""A known slowdown, injected into any loader: for measuring what the gate can catch.

With `slowdown = F` (a suite field, or `run --inject-slowdown 15%`), every `next()` on the
loader's epoch iterator is timed and followed by a busy-wait of F times that time, inside the
step's data wait. The batch's own production time sets the wait, so the loader is F slower
whatever its speed, and the step slows by F times its data-wait share: all of it under step
`none` on cpu, less under a model step that hides part of the loading. A busy-wait, not a
sleep: it holds the core as slower loading code would. The scenario record keeps the value;
the gate compares loader options, not this, so a slowed run gates against a plain baseline
(`benchmarks/gate_power.py` does exactly that).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

from loaderbench.loaders.base import Batch, Loader


def spin(seconds: float, clock: Callable[[], float] = time.perf_counter) -> None:
    """Hold the core for `seconds`."""
    end = clock() + seconds
    while clock() < end:
        pass


class SlowedIterator:
    """An epoch iterator whose every batch costs `fraction` more of its own time."""

    def __init__(self, inner: Iterator[Batch], fraction: float,
                 clock: Callable[[], float] = time.perf_counter) -> None:
        self.inner, self.fraction, self.clock = inner, fraction, clock

    def __iter__(self) -> SlowedIterator:
        return self

    def __next__(self) -> Batch:
        t = self.clock()
        batch = next(self.inner)
        spin(self.fraction * (self.clock() - t), self.clock)
        return batch

    def __getattr__(self, name: str) -> Any:
        # A DataLoader iterator's _shutdown_workers / _persistent_workers stay reachable.
        return getattr(self.inner, name)


class Slowed(Loader):
    """`loader`, with every batch `fraction` slower."""

    def __init__(self, loader: Loader, fraction: float,
                 clock: Callable[[], float] = time.perf_counter) -> None:
        super().__init__(loader.context, loader.options)
        self.inner, self.fraction, self.clock = loader, fraction, clock
        self.name = loader.name
        self.covers_dataset = loader.covers_dataset

    @property
    def yields_on_device(self) -> bool:  # type: ignore[override]
        return self.inner.yields_on_device

    def setup(self) -> None:
        self.inner.setup()

    def epoch(self, index: int) -> Iterator[Batch]:
        return SlowedIterator(iter(self.inner.epoch(index)), self.fraction, self.clock)

    def allowed_missing(self) -> int:
        return self.inner.allowed_missing()

    def pins_memory(self) -> bool:
        return self.inner.pins_memory()

    def close(self) -> None:
        self.inner.close()


def slowed(loader: Loader, fraction: float) -> Loader:
    return Slowed(loader, fraction) if fraction > 0 else loader
