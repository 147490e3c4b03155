"""The step loop: each step split into data wait, transfer and compute.

    t0 ─ next(batches) ─ sync ─ t1 ─ transfer ─ sync ─ t2 ─ train step ─ sync ─ t3

The device is synchronised before every clock read, so asynchronous CUDA/MPS work is charged
to the part that queued it. The first step of an epoch includes starting the epoch's iterator
(worker processes, file handles): that is the time to first batch. Checks and bookkeeping
run between steps, outside t0..t3; their time is summed apart (`bookkeeping_s`), so the
wall time a check costs is shown rather than hidden. The clock is injected so tests can
drive it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np

from loaderbench.loaders._support.workers import stop_iterator
from loaderbench.loaders.base import Batch, Loader
from loaderbench.results.schema import StepSamples
from loaderbench.results.units import rate_half_width

Clock = Callable[[], float]
COLUMNS = ("wait_s", "transfer_s", "compute_s", "rows", "epoch", "repeat", "warmup", "first")


CHECK_EVERY = 10  # steps between two looks at an adaptive run's interval


@dataclass(frozen=True)
class LoopPlan:
    """Warmup steps (recorded, not counted), then `steps` more, or whole `epochs`.

    Adaptive (pyperf calibrates its loops the same way): with `max_time_s`, `steps` is a
    minimum and the loop goes on until the counted steps' time reaches `min_time_s` and the
    throughput's interval (windows of steps) is within ±`target_half_width`, or the counted
    time reaches `max_time_s`.
    """

    warmup: int = 0
    steps: int | None = None
    epochs: int | None = 1
    min_time_s: float = 0.0
    max_time_s: float | None = None
    target_half_width: float = 0.05

    def done(self, rec: Recorder, epoch: int) -> bool:
        if self.steps is not None:
            return self.enough(rec)
        return epoch >= (self.epochs or 1)

    def enough(self, rec: Recorder) -> bool:
        """Steps mode: has the loop measured enough to stop now?"""
        extra = len(rec) - self.warmup - (self.steps or 0)
        if self.steps is None or extra < 0:
            return False
        if self.max_time_s is None:
            return True
        if extra % CHECK_EVERY:
            return False
        times = rec.counted_times()
        counted = float(times.sum())
        if counted >= self.max_time_s:
            return True
        half = rate_half_width(times)
        return counted >= self.min_time_s and half is not None \
            and half <= self.target_half_width


@dataclass
class Recorder:
    """Columnar step records for one repeat."""

    repeat: int = 0
    warmup: int = 0
    columns: dict[str, list] = field(default_factory=lambda: {k: [] for k in COLUMNS})
    #: The step times rates count (StepSamples.counted), kept as steps are added so an
    #: adaptive run's look at its interval does not rebuild them from every column.
    counted: list[float] = field(default_factory=list)

    def add(self, t0: float, t1: float, t2: float, t3: float, rows: int, epoch: int,
            first: bool) -> None:
        self.add_parts(t1 - t0, t2 - t1, t3 - t2, rows, epoch, first)

    def add_parts(self, wait: float, transfer: float, compute: float, rows: int, epoch: int,
                  first: bool) -> None:
        c = self.columns
        n = len(c["wait_s"])
        c["wait_s"].append(wait)
        c["transfer_s"].append(transfer)
        c["compute_s"].append(compute)
        c["rows"].append(rows)
        c["epoch"].append(epoch)
        c["repeat"].append(self.repeat)
        c["warmup"].append(n < self.warmup)
        c["first"].append(first)
        if not (n < self.warmup or (first and epoch == 0)):
            self.counted.append(wait + transfer + compute)

    def __len__(self) -> int:
        return len(self.columns["wait_s"])

    def counted_times(self) -> np.ndarray:
        """Step times of the steps rates count (StepSamples.counted), so far."""
        return np.asarray(self.counted)

    def samples(self) -> StepSamples:
        return StepSamples(**{k: tuple(v) for k, v in self.columns.items()})


@dataclass
class LoopOutcome:
    steps: StepSamples
    epoch_s: list[float]          # complete epochs, as a training loop would see them
    epochs_complete: int
    epoch_wall_s: list[float] = field(default_factory=list)  # the same, checks included
    bookkeeping_s: float = 0.0    # checks and records between steps, outside t0..t3
    loop_s: float = 0.0           # the whole loop, wall clock


@dataclass(frozen=True)
class StepParts:
    """What one step does, in order: transfer, train, and the device sync between them."""

    transfer: Callable[[Batch], Batch]
    train: Callable[[Batch], None]
    sync: Callable[[], None]


def run_loop(loader: Loader, plan: LoopPlan, transfer: Callable[[Batch], Batch],
             train: Callable[[Batch], None], sync: Callable[[], None],
             observe: Callable[[Batch], None], end_epoch: Callable[[int, bool], None],
             clock: Clock = time.perf_counter, repeat: int = 0,
             one_epoch: EpochRunner | None = None) -> LoopOutcome:
    """Run epochs until the plan is done; return the raw steps and complete epochs' times.
    `one_epoch` runs one epoch's steps (default: the attributed step above)."""
    rec = Recorder(repeat=repeat, warmup=plan.warmup)
    out = LoopOutcome(StepSamples(), [], 0)
    parts = StepParts(transfer, train, sync)
    run_epoch = one_epoch or _one_epoch
    start = clock()
    epoch = 0
    while not plan.done(rec, epoch):
        t = clock()
        seconds, complete, bookkeeping = run_epoch(loader, plan, parts, observe, clock, rec,
                                                   epoch)
        end_epoch(epoch, complete)
        out.bookkeeping_s += bookkeeping
        if not complete:
            break
        out.epoch_s.append(seconds)
        out.epoch_wall_s.append(clock() - t)
        epoch += 1
    out.loop_s = clock() - start
    out.steps, out.epochs_complete = rec.samples(), len(out.epoch_s)
    return out


EpochRunner = Callable[[Loader, LoopPlan, StepParts, Callable[[Batch], None], Clock, Recorder,
                        int], tuple[float, bool, float]]


def _one_epoch(loader: Loader, plan: LoopPlan, parts: StepParts,
               observe: Callable[[Batch], None], clock: Clock, rec: Recorder,
               epoch: int) -> tuple[float, bool, float]:
    """One epoch's steps: its time (steps plus the final empty wait), whether it ran to its
    end, and the bookkeeping time between its steps."""
    transfer, train, sync, add = parts.transfer, parts.train, parts.sync, rec.add
    start, bookkeeping, seconds = len(rec), 0.0, 0.0
    n = start
    t0 = clock()
    batches: Iterator[Batch] = iter(loader.epoch(epoch))
    for batch in batches:
        sync()
        t1 = clock()
        on_device = transfer(batch)
        sync()
        t2 = clock()
        train(on_device)
        sync()
        t3 = clock()
        add(t0, t1, t2, t3, batch.rows, epoch, n == start)
        seconds += t3 - t0
        n += 1
        observe(on_device)
        if plan.steps is not None and plan.enough(rec):
            bookkeeping += clock() - t3
            abandon(batches)
            return 0.0, False, bookkeeping
        t0 = clock()
        bookkeeping += t0 - t3
    end_wait = clock() - t0
    if n == start:
        raise RuntimeError(f"loader {loader.name!r} yielded no batch in epoch {epoch}")
    return seconds + end_wait, True, bookkeeping


def abandon(batches: Iterator[Batch]) -> None:
    """An epoch cut short: stop a DataLoader's workers now, unless they are persistent."""
    if getattr(batches, "_persistent_workers", False):
        return
    stop_iterator(batches)
