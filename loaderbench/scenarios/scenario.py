"""Scenario: one thing to measure — a loader with its options, on a device, with a step."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from loaderbench.errors import UsageError

DEVICES = ("cpu", "cuda", "mps", "auto")
TRANSFERS = ("auto", "pageable", "pin")
LOOPS = ("attributed", "overlapped")
STEP_PATTERN = re.compile(r"^[a-z][a-z0-9_-]*(:[^\s:]+)?$")


def check_step(step: str) -> str:
    """A training step is written NAME or NAME:ARGUMENT; the harness resolves the name in the
    step registry (loaderbench/steps) when it plans the run."""
    if not isinstance(step, str) or not STEP_PATTERN.match(step):
        raise UsageError(f"training step {step!r} is not NAME or NAME:ARGUMENT (e.g. mlp, "
                         "sleep:5); `loaderbench list` shows the steps")
    return step


@dataclass(frozen=True)
class Scenario:
    """Frozen: a scenario is what was asked for; its outcome is a ScenarioResult."""

    name: str
    loader: str
    options: Mapping[str, Any] = field(default_factory=dict)
    device: str = "cpu"
    step: str = "mlp"
    steps: int | None = 50
    epochs: int | None = None
    warmup: int = 5
    repeats: int = 1
    transfer: str = "auto"
    non_blocking: bool | None = None
    loop: str = "attributed"
    check_values: bool = True
    timeout_s: float = 900.0
    seed: int = 0
    slowdown: float = 0.0  # injected: each batch costs this fraction more (harness/inject.py)
    # Adaptive length: with max_time_s, `steps` is a minimum; the loop runs on until the
    # counted time reaches min_time_s and the steps/s interval is within ±target_half_width,
    # or the counted time reaches max_time_s (harness/loop.py).
    min_time_s: float = 0.0
    max_time_s: float | None = None
    target_half_width: float = 0.05
    #: Ranks on this node (torchrun's --nproc-per-node); 1 runs one ordinary process.
    nproc_per_node: int = 1

    def __post_init__(self) -> None:
        if self.device not in DEVICES:
            raise UsageError(f"unknown device {self.device!r}; use one of {', '.join(DEVICES)}")
        if self.transfer not in TRANSFERS:
            raise UsageError(f"unknown transfer {self.transfer!r}; use {', '.join(TRANSFERS)}")
        if self.loop not in LOOPS:
            raise UsageError(f"unknown loop {self.loop!r}; use {' or '.join(LOOPS)}")
        check_step(self.step)
        if (self.steps is None) == (self.epochs is None):
            raise UsageError(f"scenario {self.name!r}: give exactly one of steps or epochs")
        for name in ("steps", "epochs", "repeats", "nproc_per_node"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value < 1):
                raise UsageError(f"scenario {self.name!r}: {name} must be a whole number >= 1")
        if not isinstance(self.slowdown, int | float) or self.slowdown < 0:
            raise UsageError(f"scenario {self.name!r}: slowdown must be a fraction >= 0 "
                             "(0.15 for 15% slower)")
        self._check_adaptive()
        if not isinstance(self.warmup, int) or self.warmup < 0:
            raise UsageError(f"scenario {self.name!r}: warmup must be a whole number >= 0")

    def _check_adaptive(self) -> None:
        if self.max_time_s is None:
            return
        if self.steps is None:
            raise UsageError(f"scenario {self.name!r}: max_time_s needs steps (the minimum), "
                             "not epochs")
        if not 0 <= self.min_time_s <= self.max_time_s or not 0 < self.target_half_width < 1:
            raise UsageError(f"scenario {self.name!r}: need 0 <= min_time_s <= max_time_s and "
                             "0 < target_half_width < 1 (0.05 for ±5%)")

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["options"] = dict(self.options)
        return out
