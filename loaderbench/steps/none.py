"""none — no training step: the loader alone sets the pace."""

from __future__ import annotations

from loaderbench.loaders.base import Batch
from loaderbench.steps.base import TrainingStep


class NoStep(TrainingStep):
    name = "none"

    def __call__(self, batch: Batch) -> None:
        return None
