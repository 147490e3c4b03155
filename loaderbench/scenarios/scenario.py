"""Scenario: one thing to measure — a loader with its options, on a device, with a step."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from loaderbench.errors import UsageError

DEVICES = ("cpu", "cuda", "mps", "auto")
TRANSFERS = ("auto", "pageable", "pin")
LOOPS = ("attributed", "overlapped")
STEP_PATTERN = re.compile(r"^[a-z][a-z0-9_-]*(:[^\s:]+)?$")
MAX_SEED = 2**63 - 1


def whole(value: Any, low: int) -> bool:
    """A whole number (not a bool) of at least `low`."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= low


def positive_seconds(value: Any) -> bool:
    return (isinstance(value, int | float) and not isinstance(value, bool)
            and math.isfinite(value) and value > 0)


# Scenario field -> (is the value valid, what a valid value is).
RULES: dict[str, tuple[Any, str]] = {
    "name": (lambda v: isinstance(v, str), "a string"),
    "loader": (lambda v: isinstance(v, str), "a loader name (a string)"),
    "options": (lambda v: isinstance(v, Mapping), "a table of loader options"),
    "device": (lambda v: isinstance(v, str) and v in DEVICES, f"one of {', '.join(DEVICES)}"),
    "transfer": (lambda v: isinstance(v, str) and v in TRANSFERS,
                 f"one of {', '.join(TRANSFERS)}"),
    "loop": (lambda v: isinstance(v, str) and v in LOOPS, f"one of {', '.join(LOOPS)}"),
    "step": (lambda v: isinstance(v, str) and bool(STEP_PATTERN.match(v)),
             "NAME or NAME:ARGUMENT, a step of `loaderbench list` (e.g. mlp, sleep:5)"),
    "steps": (lambda v: v is None or whole(v, 1), "a whole number >= 1"),
    "epochs": (lambda v: v is None or whole(v, 1), "a whole number >= 1"),
    "repeats": (lambda v: whole(v, 1), "a whole number >= 1"),
    "nproc_per_node": (lambda v: whole(v, 1), "a whole number >= 1"),
    "warmup": (lambda v: whole(v, 0), "a whole number >= 0"),
    "non_blocking": (lambda v: v is None or isinstance(v, bool), "true or false"),
    "check_values": (lambda v: isinstance(v, bool), "true or false"),
    "timeout_s": (positive_seconds, "a number of seconds > 0"),
    "seed": (lambda v: whole(v, 0) and v <= MAX_SEED, f"a whole number from 0 to {MAX_SEED}"),
}


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
        for name, (valid, expected) in RULES.items():
            value = getattr(self, name)
            if not valid(value):
                raise UsageError(f"scenario {self.name!r}: {name} must be {expected}, got "
                                 f"{value!r}; fix it in the suite")
        if (self.steps is None) == (self.epochs is None):
            raise UsageError(f"scenario {self.name!r}: give exactly one of steps or epochs")
        if not isinstance(self.slowdown, int | float) or self.slowdown < 0:
            raise UsageError(f"scenario {self.name!r}: slowdown must be a fraction >= 0 "
                             "(0.15 for 15% slower)")
        self._check_adaptive()

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
