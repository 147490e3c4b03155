"""synthetic — the yardstick: one prebuilt batch, handed out after a fixed latency.

Trade-off: it reads nothing per step, so it is the upper bound of any loader on this machine
and the one whose data wait is known exactly: each `next()` busy-waits `latency_ms` on
`time.perf_counter` (a sleep would overshoot by the scheduler's slack), then returns the same
batch. The harness's accuracy and the regression gate are checked against it. The batch holds
real rows (the first `batch_size` rows, preprocessed with the reference path), so the value
check still means something; coverage is not applicable, since it never reads the dataset.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch

from loaderbench.loaders.base import Batch, Loader, LoaderOptions
from loaderbench.loaders.options import option
from loaderbench.scenarios.rows import read_file


@dataclass(frozen=True)
class SyntheticOptions(LoaderOptions):
    latency_ms: float = option(0.0, minimum=0, help="busy-wait per batch")
    steps_per_epoch: int = option(100, minimum=1, help="batches per epoch")
    pin_memory: bool = False


def busy_wait(seconds: float, clock=time.perf_counter) -> None:
    end = clock() + seconds
    while clock() < end:
        pass


class SyntheticLoader(Loader):
    name = "synthetic"
    Options = SyntheticOptions
    covers_dataset = False

    def setup(self) -> None:
        source = self.context.source
        roles = source.roles
        frames, have = [], 0
        for index in range(len(source.files)):
            frames.append(read_file(source, index).to_pandas())
            have += len(frames[-1])
            if have >= self.options.batch_size:
                break
        import pandas as pd

        frame = pd.concat(frames, ignore_index=True).iloc[: self.options.batch_size]
        batch = Batch(torch.from_numpy(self.context.preprocessor.features(frame, "map")),
                      torch.from_numpy(frame[roles.label].to_numpy(dtype=source.target.dtype,
                                                                   copy=True)),
                      torch.from_numpy(frame[roles.row_id].to_numpy(dtype=np.int64, copy=True)))
        self.batch = batch.pin_memory() if self.pins_memory() else batch

    def epoch(self, index: int) -> Iterator[Batch]:
        seconds = self.options.latency_ms / 1e3
        for _ in range(self.options.steps_per_epoch):
            if seconds:
                busy_wait(seconds)
            yield self.batch
