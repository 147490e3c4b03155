"""The training-step contract: what the harness times as "compute" after each batch.

A step is a class with a `name`, optionally an `argument` (how its parameter is written in a
suite, e.g. `MS` for `sleep:5`) and a `parse` that checks it, built once per scenario from a
`StepContext` and called on each batch once it is on the device.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import Any, ClassVar

import torch

from loaderbench.errors import UsageError
from loaderbench.loaders.base import Batch


@dataclass(frozen=True)
class StepContext:
    """What a step is built from: the batch's shape, the class count, the device, the seed,
    and whether the target is a regression value rather than a class."""

    n_features: int
    n_classes: int
    device: torch.device
    seed: int = 0
    regression: bool = False  # a float32 target: one output and an MSE loss (mlp)


class TrainingStep(abc.ABC):
    name: ClassVar[str]
    #: How the step's argument is written (`MS`), or None for a step that takes none.
    argument: ClassVar[str | None] = None

    def __init__(self, context: StepContext, argument: Any = None) -> None:
        self.context = context

    @classmethod
    def parse(cls, text: str | None, spec: str) -> Any:
        """The argument from its text; a UsageError names the step and the fix."""
        if text is not None:
            raise UsageError(f"training step {cls.name!r} takes no argument, got {spec!r}")
        return None

    @abc.abstractmethod
    def __call__(self, batch: Batch) -> None:
        """One training step on a batch already on the device."""


class TimedStep(TrainingStep):
    """A step that lasts a given time: `NAME:MS`, MS in milliseconds (e.g. `sleep:5`)."""

    argument = "MS"

    def __init__(self, context: StepContext, argument: float = 0.0) -> None:
        super().__init__(context)
        self.seconds = argument / 1e3

    @classmethod
    def parse(cls, text: str | None, spec: str) -> float:
        try:
            ms = float(text) if text is not None else -1.0
        except ValueError:
            ms = -1.0
        if not ms >= 0:
            raise UsageError(f"training step {spec!r}: write {cls.name}:MS, MS in milliseconds "
                             f"(e.g. {cls.name}:5)")
        return ms
