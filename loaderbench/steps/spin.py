"""spin:MS — emulated compute that holds the GIL (a busy loop).

It shows what a pin-memory thread or a worker hand-off loses when the main thread never lets
go (pytorch#77139).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from loaderbench.loaders.base import Batch
from loaderbench.steps.base import StepContext, TimedStep


class SpinStep(TimedStep):
    name = "spin"

    def __init__(self, context: StepContext, argument: float = 0.0,
                 clock: Callable[[], float] = time.perf_counter) -> None:
        super().__init__(context, argument)
        self.clock = clock

    def __call__(self, batch: Batch) -> None:
        end = self.clock() + self.seconds
        while self.clock() < end:
            pass
