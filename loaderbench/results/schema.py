"""The result file: one run, many scenarios, every raw step time.

Schema history (bump SCHEMA_VERSION when a reader of the old version would misread a file):
  1  first version: env, calibration, dataset, scenarios with columnar raw steps,
     metrics computed from them, checks and timing. Later additions that an older reader
     safely ignores (so no bump): steps.transfer_dev_s / compute_dev_s (CUDA event times,
     empty where not measured); timing.bookkeeping_s, epoch_wall_s, loop_s, pinning,
     pinned_batches, device_timer; calibration.devices.*.h2d_*_gbps_by_bytes.

A file is JSON written atomically with sorted keys (see store.py); no pickle anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any

SCHEMA_VERSION = 1
STATUSES = ("ok", "skipped", "failed")


@dataclass(frozen=True)
class StepSamples:
    """Raw per-step times, columnar. Every list has one entry per step, in the order run."""

    wait_s: tuple[float, ...] = ()
    transfer_s: tuple[float, ...] = ()
    compute_s: tuple[float, ...] = ()
    rows: tuple[int, ...] = ()
    epoch: tuple[int, ...] = ()
    repeat: tuple[int, ...] = ()
    warmup: tuple[bool, ...] = ()
    first: tuple[bool, ...] = ()  # first step of an epoch: holds the iterator's start-up
    # Device-side times of the same steps (CUDA events); empty where not measured.
    transfer_dev_s: tuple[float, ...] = ()
    compute_dev_s: tuple[float, ...] = ()
    # The rank that ran each step in a multi-rank run; empty for a single process.
    rank: tuple[int, ...] = ()

    def __len__(self) -> int:
        return len(self.wait_s)

    def step_s(self) -> list[float]:
        return [w + t + c for w, t, c in zip(self.wait_s, self.transfer_s, self.compute_s,
                                             strict=True)]

    def counted(self) -> list[int]:
        """Indices of the steps that rates are computed from: not warmup, and not the first
        step of epoch 0 (the one-time start-up: worker spawn, first file open), which is
        reported apart as time to first batch. Later epochs' first steps do count: a loader's
        per-epoch restart (new workers, a new scan, prefetch filling again) recurs in every
        epoch of training, and excluding it would flatter loaders that front-load an epoch's
        work into its first step."""
        return [i for i in range(len(self))
                if not self.warmup[i] and not (self.first[i] and self.epoch[i] == 0)]

    def to_dict(self) -> dict[str, list]:
        return {f.name: list(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_dict(cls, d: dict[str, list]) -> StepSamples:
        return cls(**{f.name: tuple(d.get(f.name, ())) for f in fields(cls)})

    @classmethod
    def concat(cls, parts: list[StepSamples]) -> StepSamples:
        return cls(**{f.name: tuple(v for p in parts for v in getattr(p, f.name))
                      for f in fields(cls)})


@dataclass(frozen=True)
class ScenarioResult:
    """One scenario's outcome: what ran, how it went, raw steps and what they add up to."""

    name: str
    loader: str
    device: str
    status: str
    options: dict[str, Any] = field(default_factory=dict)
    reason: str = ""
    step: str = "mlp"
    steps: StepSamples = field(default_factory=StepSamples)
    metrics: dict[str, Any] = field(default_factory=dict)
    checks: dict[str, Any] = field(default_factory=dict)
    timing: dict[str, Any] = field(default_factory=dict)
    resources: dict[str, Any] = field(default_factory=dict)
    scenario: dict[str, Any] = field(default_factory=dict)
    # Multi-rank runs only: world size, backend, nodes and each rank's status and times.
    ranks: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {self.status!r}")

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["steps"] = self.steps.to_dict()
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ScenarioResult:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in d.items() if k in known}
        values["steps"] = StepSamples.from_dict(d.get("steps", {}))
        return cls(**values)

    def with_(self, **changes: Any) -> ScenarioResult:
        return replace(self, **changes)


@dataclass(frozen=True)
class RunResult:
    """A whole run: where it ran, what the machine can do, and every scenario."""

    created: str
    env: dict[str, Any]
    scenarios: tuple[ScenarioResult, ...] = ()
    suite: str = ""
    calibration: dict[str, Any] = field(default_factory=dict)
    dataset: dict[str, Any] = field(default_factory=dict)
    tool: dict[str, Any] = field(default_factory=dict)
    schema_version: int = SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["scenarios"] = [s.to_dict() for s in self.scenarios]
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RunResult:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in d.items() if k in known}
        values["scenarios"] = tuple(ScenarioResult.from_dict(s) for s in d.get("scenarios", []))
        return cls(**values)

    def with_scenario(self, result: ScenarioResult) -> RunResult:
        return replace(self, scenarios=(*self.scenarios, result))

    def scenario(self, name: str) -> ScenarioResult | None:
        return next((s for s in self.scenarios if s.name == name), None)
