"""sleep:MS — emulated compute that releases the GIL (time.sleep, as DLIO emulates it)."""

from __future__ import annotations

import time

from loaderbench.loaders.base import Batch
from loaderbench.steps.base import TimedStep


class SleepStep(TimedStep):
    name = "sleep"

    def __call__(self, batch: Batch) -> None:
        time.sleep(self.seconds)
