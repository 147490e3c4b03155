"""The step loop: each step split into data wait, transfer and compute.

    t0 ─ next(batches) ─ sync ─ t1 ─ transfer ─ sync ─ t2 ─ train step ─ sync ─ t3

The device is synchronised before every clock read, so asynchronous CUDA/MPS work is charged
to the part that queued it. The first step of an epoch includes starting the epoch's iterator
(worker processes, file handles): that is the time to first batch. Checks and bookkeeping
run between steps, outside t0..t3. The clock is injected so tests can drive it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from loaderbench.loaders.base import Batch, Loader
from loaderbench.results.schema import StepSamples

Clock = Callable[[], float]


@dataclass(frozen=True)
class LoopPlan:
    """Warmup steps (recorded, not counted), then `steps` more, or whole `epochs`."""

    warmup: int = 0
    steps: int | None = None
    epochs: int | None = 1

    def done(self, step: int, epoch: int) -> bool:
        if self.steps is not None:
            return step >= self.warmup + self.steps
        return epoch >= (self.epochs or 1)


@dataclass
class Recorder:
    """Columnar step records for one repeat."""

    repeat: int = 0
    warmup: int = 0
    columns: dict[str, list] = field(default_factory=lambda: {
        k: [] for k in ("wait_s", "transfer_s", "compute_s", "rows", "epoch", "repeat",
                        "warmup", "first")})

    def add(self, times: tuple[float, float, float, float], rows: int, epoch: int,
            first: bool) -> None:
        t0, t1, t2, t3 = times
        c = self.columns
        c["wait_s"].append(t1 - t0)
        c["transfer_s"].append(t2 - t1)
        c["compute_s"].append(t3 - t2)
        c["rows"].append(rows)
        c["epoch"].append(epoch)
        c["repeat"].append(self.repeat)
        c["warmup"].append(len(c["warmup"]) < self.warmup)
        c["first"].append(first)

    def __len__(self) -> int:
        return len(self.columns["wait_s"])

    def samples(self) -> StepSamples:
        return StepSamples(**{k: tuple(v) for k, v in self.columns.items()})


@dataclass
class LoopOutcome:
    steps: StepSamples
    epoch_s: list[float]
    epochs_complete: int


def run_loop(loader: Loader, plan: LoopPlan, transfer: Callable[[Batch], Batch],
             train: Callable[[Batch], None], sync: Callable[[], None],
             observe: Callable[[Batch], None], end_epoch: Callable[[int, bool], None],
             clock: Clock = time.perf_counter, repeat: int = 0) -> LoopOutcome:
    """Run epochs until the plan is done; return the raw steps and complete epochs' times."""
    rec = Recorder(repeat=repeat, warmup=plan.warmup)
    epoch_s: list[float] = []
    epoch = 0
    while not plan.done(len(rec), epoch):
        seconds, complete = _one_epoch(loader, plan, transfer, train, sync, observe, clock,
                                       rec, epoch)
        end_epoch(epoch, complete)
        if not complete:
            break
        epoch_s.append(seconds)
        epoch += 1
    return LoopOutcome(rec.samples(), epoch_s, len(epoch_s))


def _one_epoch(loader: Loader, plan: LoopPlan, transfer, train, sync, observe, clock: Clock,
               rec: Recorder, epoch: int) -> tuple[float, bool]:
    """One epoch's steps; returns its time (steps plus the final empty wait) and completeness."""
    start = len(rec)
    t0 = clock()
    batches: Iterator[Batch] = iter(loader.epoch(epoch))
    while True:
        try:
            batch = next(batches)
        except StopIteration:
            end_wait = clock() - t0
            break
        sync()
        t1 = clock()
        on_device = transfer(batch)
        sync()
        t2 = clock()
        train(on_device)
        sync()
        t3 = clock()
        rec.add((t0, t1, t2, t3), batch.rows, epoch, first=len(rec) == start)
        observe(on_device)
        if plan.steps is not None and plan.done(len(rec), epoch):
            _abandon(batches)
            return 0.0, False
        t0 = clock()
    if len(rec) == start:
        raise RuntimeError(f"loader {loader.name!r} yielded no batch in epoch {epoch}")
    steps = rec.columns
    seconds = sum(steps[k][i] for k in ("wait_s", "transfer_s", "compute_s")
                  for i in range(start, len(rec)))
    return seconds + end_wait, True


def _abandon(batches: Iterator[Batch]) -> None:
    """An epoch cut short: stop a DataLoader's workers now, unless they are persistent."""
    if getattr(batches, "_persistent_workers", False):
        return
    shutdown = getattr(batches, "_shutdown_workers", None)
    if shutdown is not None:
        shutdown()
