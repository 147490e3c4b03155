"""One scenario repeat, run in a fresh process (pyperf's habit): worker pools, pinned buffers
and CUDA contexts never leak from one scenario into the next.

    python -m loaderbench.harness.worker JOB.json RESULT.json

JOB is a `protocol.Job`; RESULT receives a ScenarioResult as JSON (see harness.protocol).
"""

from __future__ import annotations

import contextlib
import importlib
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from loaderbench.errors import UsageError
from loaderbench.harness import devices
from loaderbench.harness import transfer as transfer_mod
from loaderbench.harness.checks import Checker
from loaderbench.harness.inject import slowed
from loaderbench.harness.loop import Clock, LoopOutcome, LoopPlan, run_loop
from loaderbench.harness.overlap import Streams, overlap_record, overlapped
from loaderbench.harness.protocol import Job, base_result, child_main
from loaderbench.harness.resources import ResourceMonitor
from loaderbench.loaders import get as get_loader
from loaderbench.loaders._support.extras import unusable
from loaderbench.loaders.base import Batch, Loader, LoaderContext, build_options
from loaderbench.results.records import Resources, Timing
from loaderbench.results.schema import ScenarioResult, StepSamples
from loaderbench.scenarios.dataset import batch_row_bytes
from loaderbench.scenarios.preprocess import Preprocessor
from loaderbench.scenarios.source import DataSource
from loaderbench.steps import build as build_step
from loaderbench.steps.base import StepContext

CLOCK_NAME = "time.perf_counter"
# Imported before the timed setup: every loader and the checks use them, so their import
# time would otherwise land in whichever loader's setup ran first in the process.
SHARED_IMPORTS = ("numpy", "pandas", "pyarrow.parquet", "pyarrow.dataset", "pyarrow.compute",
                  "sklearn.impute", "sklearn.preprocessing")


def execute(job: Job, clock: Clock = time.perf_counter, ranks: Any = None) -> ScenarioResult:
    """Run the job's scenario once; every failure becomes a `failed` result, never a crash.
    `ranks` (a harness.ranks.RankContext) makes this process one rank of several."""
    s = job.scenario
    status = devices.probe(s.device)
    if not status.available:
        return base_result(s, "skipped", status.reason)
    try:
        absent = unusable(get_loader(s.loader))
    except UsageError as err:
        return base_result(s, "failed", str(err))
    if absent:
        return base_result(s, "skipped", absent)
    try:
        return measure(job, clock, ranks)
    except UsageError as err:
        return base_result(s, "failed", str(err))
    except Exception as err:
        detail = traceback.format_exc(limit=8)
        return base_result(s, "failed", f"{type(err).__name__}: {err}", traceback=detail)


def build_loader(job: Job, ranks: Any = None) -> tuple[Loader, Checker]:
    s = job.scenario
    source = DataSource.from_dict(job.source)
    pre = Preprocessor.load(Path(job.preprocessor))
    cls = get_loader(s.loader)
    options = build_options(cls.Options, s.options, s.loader)
    rank, world = (ranks.rank, ranks.world_size) if ranks else (0, 1)
    loader = slowed(cls(LoaderContext(source, pre, s.device, s.seed, rank, world),
                        options), s.slowdown)
    if ranks is None or world == 1:
        return loader, Checker(source, pre, covers_dataset=cls.covers_dataset,
                               allowed_missing=loader.allowed_missing(),
                               check_values=s.check_values)
    return loader, rank_checker(loader, ranks, s.check_values)


def rank_checker(loader: Loader, ranks: Any, check_values: bool) -> Checker:
    """The checks of one rank, judged over all ranks at the end (rank_checks.py)."""
    from loaderbench.harness.rank_checks import RankChecker
    from loaderbench.loaders._support.distributed import padding

    ctx, opt = loader.context, loader.options
    map_style = hasattr(opt, "set_epoch")
    pad, dropped = padding(ctx.source.rows, ctx.world_size,
                           bool(getattr(opt, "drop_last", False))) if map_style else (0, 0)
    return RankChecker(ctx.source, ctx.preprocessor, covers_dataset=type(loader).covers_dataset,
                       allowed_missing=loader.allowed_missing() * ctx.world_size,
                       check_values=check_values, shuffles=loader.shuffles(), padding=pad,
                       dropped=dropped, group=ranks.group)


@dataclass
class Timed:
    """The step's parts as the loop runs them, and the probes that watch them."""

    transfer: Callable[[Batch], Batch]
    train: Callable[[Batch], None]
    probe: transfer_mod.PinProbe | None
    events: devices.EventTimer | None

    @classmethod
    def build(cls, device: str, move: Callable[[Batch], Batch],
              train: Callable[[Batch], None], events_around: bool = True) -> Timed:
        """On CUDA: a probe of the first batch's pinning, and CUDA events around each part
        (unless the loop times the device itself: the overlapped loop)."""
        if device != "cuda":
            return cls(move, train, None, None)
        probe = transfer_mod.PinProbe(move)
        events = devices.event_timer(device) if events_around else None
        timed_move, timed_train = events.wrap(probe, train) if events else (probe, train)
        return cls(timed_move, timed_train, probe, events)

    @property
    def pinned(self) -> bool | None:
        return self.probe.pinned if self.probe else None

    @property
    def device_timer(self) -> str:
        return self.events.method if self.events else "none"

    def columns(self, steps: StepSamples) -> StepSamples:
        if self.events is None:
            return steps
        return replace(steps, transfer_dev_s=tuple(self.events.transfer_s),
                       compute_dev_s=tuple(self.events.compute_s))


def measure(job: Job, clock: Clock, ranks: Any = None) -> ScenarioResult:
    import torch

    s = job.scenario
    for module in SHARED_IMPORTS:
        importlib.import_module(module)
    loader, checker = build_loader(job, ranks)
    monitor = ResourceMonitor()
    t = clock()
    loader.setup()
    setup_s = clock() - t
    move = transfer_mod.plan(s.device, s.transfer, loader_pins=loader.pins_memory(),
                             non_blocking=s.non_blocking,
                             pin_option=bool(getattr(loader.options, "pin_memory", False)),
                             on_device=loader.yields_on_device)
    train = build_step(s.step, StepContext(checker.preprocessor.n_features, job.n_classes,
                                           torch.device(s.device), s.seed,
                                           regression=checker.source.target.task == "regression"))
    if ranks is not None:
        train = ranks.wrap_step(train)
    timed = Timed.build(s.device, move.function(), train, s.loop == "attributed")
    try:
        with ranks.joined(train) if ranks is not None else contextlib.nullcontext():
            outcome, resources, checks_s = _loop(job, loader, checker, monitor, timed, clock)
    finally:
        loader.close()
    checks, failure = checker.verdict()
    clocks = {"sync": devices.probe(s.device).sync_method, "device_timer": timed.device_timer}
    if s.loop == "overlapped":
        clocks.update(overlap_record(s.device))
    timing = Timing(setup_s=(setup_s,), loop_s=(outcome.loop_s,),
                    bookkeeping_s=(outcome.bookkeeping_s,), checks_s=(checks_s,),
                    epoch_s=tuple(outcome.epoch_s),
                    epoch_wall_s=tuple(outcome.epoch_wall_s), clock=CLOCK_NAME, loop=s.loop,
                    **clocks)
    return base_result(s, "failed" if failure else "ok", failure or "",
                       steps=timed.columns(outcome.steps), transfer=move.record(timed.pinned),
                       timing=timing, checks=checks, resources=resources,
                       row_bytes=batch_row_bytes(checker.preprocessor.n_features))


class Stopwatch:
    """The summed time of the calls it wraps."""

    def __init__(self, clock: Clock) -> None:
        self.clock, self.total = clock, 0.0

    def wrap(self, fn: Callable[..., None]) -> Callable[..., None]:
        def timed(*args: Any) -> None:
            t = self.clock()
            fn(*args)
            self.total += self.clock() - t
        return timed


def _loop(job: Job, loader: Loader, checker: Checker, monitor: ResourceMonitor, timed: Timed,
          clock: Clock) -> tuple[LoopOutcome, Resources, float]:
    """The step loop, with the checks and the resource monitor between steps; also the
    checks' own time (every batch's look and every epoch's end)."""
    s = job.scenario
    collect = timed.events.collect if timed.events else None
    checks = Stopwatch(clock)
    check, poll = checks.wrap(checker.observe), monitor.poll

    def observe(batch: Batch) -> None:
        if collect is not None:
            collect()
        check(batch)
        poll()

    streams = Streams.for_device(s.device) if s.loop == "overlapped" else None
    plan = LoopPlan(s.warmup, s.steps, s.epochs, s.min_time_s, s.max_time_s,
                    s.target_half_width)
    monitor.start()
    outcome = run_loop(loader, plan, transfer=timed.transfer,
                       train=timed.train, sync=devices.synchronizer(s.device), observe=observe,
                       end_epoch=checks.wrap(checker.end_epoch), clock=clock, repeat=job.repeat,
                       one_epoch=overlapped(streams) if streams else None)
    if streams is not None and streams.cuda:
        outcome.steps = replace(outcome.steps, transfer_dev_s=tuple(streams.transfer_dev_s),
                                compute_dev_s=tuple(streams.compute_dev_s))
    resources = Resources(**{k: (v,) for k, v in monitor.summary().items()})
    return outcome, resources, checks.total


def answer(request: dict[str, Any]) -> dict[str, Any]:
    return execute(Job.from_dict(request)).to_dict(metrics=False)


def main(argv: list[str] | None = None) -> int:
    return child_main(argv, answer)


if __name__ == "__main__":
    sys.exit(main())
