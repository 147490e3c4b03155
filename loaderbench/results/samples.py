"""Raw per-step times, as the harness records them: the data every metric comes from."""

from __future__ import annotations

from dataclasses import dataclass, fields


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

    def __post_init__(self) -> None:
        n = len(self.wait_s)
        for f in fields(self):
            count = len(getattr(self, f.name))
            optional = f.name.endswith("_dev_s") or f.name == "rank"
            if count != n and not (count == 0 and optional):
                raise ValueError(f"steps.{f.name} has {count} values for {n} steps")

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

    @classmethod
    def concat(cls, parts: list[StepSamples]) -> StepSamples:
        return cls(**{f.name: tuple(v for p in parts for v in getattr(p, f.name))
                      for f in fields(cls)})
