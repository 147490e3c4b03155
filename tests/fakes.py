"""Test doubles for the harness: a clock the test drives, and a loader that advances it."""

from __future__ import annotations

from collections.abc import Iterator

import torch

from loaderbench.loaders.base import Batch, Loader, LoaderOptions


class FakeClock:
    """A clock that moves only when told to: no test sleeps."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class FakeLoader(Loader):
    """Yields `per_epoch` batches of `rows` rows; each next() costs `wait` seconds of the fake
    clock and starting an epoch costs `startup` more."""

    name = "fake"

    def __init__(self, clock: FakeClock, per_epoch: int = 4, rows: int = 2, wait: float = 0.01,
                 startup: float = 0.5, features: int = 3) -> None:
        super().__init__(None, LoaderOptions(batch_size=rows))  # type: ignore[arg-type]
        self.clock, self.per_epoch, self.rows = clock, per_epoch, rows
        self.wait, self.startup, self.features = wait, startup, features

    def epoch(self, index: int) -> Iterator[Batch]:
        self.clock.advance(self.startup)
        for i in range(self.per_epoch):
            self.clock.advance(self.wait)
            ids = torch.arange(i * self.rows, (i + 1) * self.rows)
            yield Batch(torch.zeros(self.rows, self.features), torch.zeros(self.rows,
                        dtype=torch.int64), ids)
