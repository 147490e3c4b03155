"""One scenario repeat, run in a fresh process (pyperf's habit): worker pools, pinned buffers
and CUDA contexts never leak from one scenario into the next.

    python -m loaderbench.harness.worker JOB.json RESULT.json

JOB holds the scenario, the repeat index, the data folder, the fitted preprocessing and the
class count; RESULT receives a ScenarioResult as JSON (written atomically).
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loaderbench.errors import UsageError
from loaderbench.harness import devices, transfer
from loaderbench.harness.checks import Checker
from loaderbench.harness.loop import Clock, LoopPlan, run_loop
from loaderbench.harness.resources import ResourceMonitor
from loaderbench.harness.steps import make_step
from loaderbench.loaders import get as get_loader
from loaderbench.loaders.base import Loader, LoaderContext, build_options
from loaderbench.results.schema import ScenarioResult
from loaderbench.results.stats import step_metrics
from loaderbench.results.store import dumps, write_atomic
from loaderbench.scenarios.dataset import open_data
from loaderbench.scenarios.preprocess import Preprocessor
from loaderbench.scenarios.scenario import Scenario


@dataclass(frozen=True)
class Job:
    scenario: Scenario
    repeat: int
    data_root: str
    preprocessor: str
    n_classes: int

    def to_dict(self) -> dict[str, Any]:
        return {"scenario": self.scenario.to_dict(), "repeat": self.repeat,
                "data_root": self.data_root, "preprocessor": self.preprocessor,
                "n_classes": self.n_classes}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Job:
        return cls(Scenario(**d["scenario"]), d["repeat"], d["data_root"], d["preprocessor"],
                   d["n_classes"])


def base_result(s: Scenario, status: str, reason: str = "", **extra: Any) -> ScenarioResult:
    return ScenarioResult(name=s.name, loader=s.loader, device=s.device, status=status,
                          options=dict(s.options), reason=reason, step=s.step,
                          scenario=s.to_dict(), **extra)


def execute(job: Job, clock: Clock = time.perf_counter) -> ScenarioResult:
    """Run the job's scenario once; every failure becomes a `failed` result, never a crash."""
    s = job.scenario
    status = devices.probe(s.device)
    if not status.available:
        return base_result(s, "skipped", status.reason)
    try:
        return measure(job, clock)
    except UsageError as err:
        return base_result(s, "failed", str(err))
    except Exception as err:
        detail = traceback.format_exc(limit=8)
        return base_result(s, "failed", f"{type(err).__name__}: {err}",
                           timing={"traceback": detail})


def build_loader(job: Job) -> tuple[Loader, Checker]:
    s = job.scenario
    source = open_data(job.data_root)
    pre = Preprocessor.load(Path(job.preprocessor))
    cls = get_loader(s.loader)
    options = build_options(cls.Options, s.options, s.loader)
    loader = cls(LoaderContext(source, pre, s.device, s.seed), options)
    checker = Checker(source, pre, cls.covers_dataset, loader.allowed_missing(), s.check_values)
    return loader, checker


def measure(job: Job, clock: Clock) -> ScenarioResult:
    import torch

    s = job.scenario
    loader, checker = build_loader(job)
    monitor = ResourceMonitor()
    t = clock()
    loader.setup()
    setup_s = clock() - t
    move = transfer.plan(s.device, s.transfer, loader.pins_memory(), s.non_blocking,
                         bool(getattr(loader.options, "pin_memory", False)),
                         loader.yields_on_device)
    train = make_step(s.step, checker.preprocessor.n_features, job.n_classes,
                      torch.device(s.device), s.seed)

    def observe(batch):
        checker.observe(batch)
        monitor.poll()

    try:
        outcome = run_loop(loader, LoopPlan(s.warmup, s.steps, s.epochs), move.function(), train,
                           devices.synchronizer(s.device), observe, checker.end_epoch, clock,
                           job.repeat)
    finally:
        loader.close()
    checks, failure = checker.verdict()
    row_bytes = 4 * checker.preprocessor.n_features + 16
    timing = {"setup_s": setup_s, "epoch_s": outcome.epoch_s, "transfer_mode": move.mode,
              "sync": devices.probe(s.device).sync_method, "clock": "time.perf_counter"}
    return base_result(s, "failed" if failure else "ok", failure or "", steps=outcome.steps,
                       metrics=step_metrics(outcome.steps, row_bytes), checks=checks,
                       timing=timing, resources=monitor.summary())


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    job = Job.from_dict(json.loads(Path(args[0]).read_text()))
    result = execute(job)
    write_atomic(Path(args[1]), dumps(result.to_dict()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
