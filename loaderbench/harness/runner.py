"""The parent side of a run: each scenario's repeats in fresh worker processes (through
`protocol`, never importing the worker), the calibration in its own, the result file saved
after each scenario.

The result file is rewritten atomically after every scenario, so a crash, a timeout or
Ctrl-C never loses what finished.
"""

from __future__ import annotations

import datetime as dt
import os
import shlex
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import fields, replace
from pathlib import Path

import loaderbench
from loaderbench.harness import devices
from loaderbench.harness.planning import batch_bytes
from loaderbench.harness.prepare import Prepared
from loaderbench.harness.progress import Progress, silent
from loaderbench.harness.protocol import Job, base_result, call_child, forking
from loaderbench.loaders import get as get_loader
from loaderbench.results import environment
from loaderbench.results.records import Resources
from loaderbench.results.schema import RunResult, ScenarioResult, StepSamples
from loaderbench.results.store import save
from loaderbench.scenarios.scenario import Scenario

CALIBRATION_TIMEOUT_S = 600
WORKER = "loaderbench.harness.worker"
CALIBRATION = "loaderbench.harness.calibration"
RANKS = "loaderbench.harness.ranks"  # one process per rank, under torchrun


TORCHRUN_ARGS_ENV = "LOADERBENCH_TORCHRUN_ARGS"


def launcher(job: Job) -> tuple[str, list[str]] | None:
    """torchrun's module and arguments for a multi-rank job, or None for one process.
    $LOADERBENCH_TORCHRUN_ARGS replaces --standalone (multi-node rendezvous arguments)."""
    n = job.scenario.nproc_per_node
    if n <= 1:
        return None
    rendezvous = shlex.split(os.environ.get(TORCHRUN_ARGS_ENV, "")) or ["--standalone"]
    return "torch.distributed.run", [*rendezvous, "--nproc-per-node", str(n)]


def rank_skip(s: Scenario) -> str | None:
    """Why a multi-rank scenario cannot run its loader, or None."""
    if s.nproc_per_node > 1 and not get_loader(s.loader).shards_by_rank:
        return (f"loader {s.loader!r} does not shard by rank (every rank would read every "
                "row); multi-rank loaders: those with shards_by_rank")
    return None


def run_job(job: Job, workdir: Path, python: str | None = None) -> ScenarioResult:
    """One repeat in a fresh worker process (of `python`, default this interpreter); its
    failure to answer is a `failed` result."""
    via = launcher(job)
    reply = call_child(RANKS if via else WORKER, job.to_dict(), timeout=job.scenario.timeout_s,
                       workdir=workdir, label=f"r{job.repeat}", via=via, python=python)
    if reply.data is not None:
        return ScenarioResult.from_dict(reply.data)
    fix = " (raise timeout_s in the suite)" if reply.timed_out else ""
    return base_result(job.scenario, "failed", f"worker process {reply.error}{fix}")


def merge(results: Sequence[ScenarioResult]) -> ScenarioResult:
    """Repeats of one scenario -> one result: steps carry their repeat index, timing and
    resources keep one value per repeat (their fields are tuples: concatenated)."""
    first = results[0]
    if len(results) == 1:
        return first
    bad = next((r for r in results if r.status != "ok"), None)
    return (bad or first).with_(
        steps=StepSamples.concat([r.steps for r in results]),
        timing=replace(first.timing, **concat([r.timing for r in results], PER_REPEAT_TIMING)),
        resources=Resources(**concat([r.resources for r in results], RESOURCE_FIELDS)))


PER_REPEAT_TIMING = ("setup_s", "loop_s", "bookkeeping_s", "checks_s", "epoch_s",
                     "epoch_wall_s")
RESOURCE_FIELDS = tuple(f.name for f in fields(Resources))


def concat(parts: Sequence[object], names: Sequence[str]) -> dict[str, tuple]:
    """Each named tuple field of `parts`, joined in order."""
    return {n: tuple(v for p in parts for v in getattr(p, n)) for n in names}


def run_scenario(s: Scenario, prepared: Prepared, workdir: Path, progress: Progress = silent,
                 position: tuple[int, int] = (0, 1)) -> ScenarioResult:
    """Every repeat of `s`, each in a fresh process; `position` is (done, total) for progress."""
    skip = rank_skip(s)
    if skip:
        return base_result(s, "skipped", skip)
    results = []
    for repeat in range(s.repeats):
        note = f" repeat {repeat + 1}/{s.repeats}" if s.repeats > 1 else ""
        progress(f"{s.name} [{s.device}]{note}", *position)
        results.append(run_job(job_for(s, prepared, repeat), workdir))
        if results[-1].status == "skipped":
            break
    return merge(results)


def job_for(s: Scenario, prepared: Prepared, repeat: int) -> Job:
    return Job(scenario=s, repeat=repeat, source=prepared.source.to_dict(),
               preprocessor=str(prepared.preprocessor_path), n_classes=prepared.n_classes)


def calibrate(prepared: Prepared, batch_bytes: list[int], device_names: list[str],
              workdir: Path) -> dict:
    request = {"source": prepared.source.to_dict(), "batch_bytes": batch_bytes,
               "devices": device_names}
    reply = call_child(CALIBRATION, request, timeout=CALIBRATION_TIMEOUT_S, workdir=workdir,
                       label="calibration")
    return reply.data if reply.data is not None else {"error": f"calibration {reply.error}"}


def calibrate_for(scenarios: Sequence[Scenario], prepared: Prepared, workdir: Path,
                  progress: Progress = silent) -> dict:
    """The calibration at the scenarios' batch sizes and devices."""
    sizes = batch_bytes(scenarios, len(prepared.source.roles.features))
    progress("calibrating: host copy, Parquet scan, host-to-device copies", 0, 0)
    return calibrate(prepared, sizes, sorted({s.device for s in scenarios}), workdir)


def new_run(suite: str, prepared: Prepared) -> RunResult:
    env = {**environment.collect(), **devices.describe()}
    created = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    return RunResult(created=created, env=env, suite=suite, dataset=prepared.describe(),
                     tool={"name": "loaderbench", "version": loaderbench.__version__,
                           "argv": sys.argv[1:]})


def run_all(run: RunResult, scenarios: Sequence[Scenario], prepared: Prepared, *, out: Path,
            progress: Progress = silent, calibrate_first: bool = True,
            fork_server: bool = False) -> RunResult:
    """Calibrate once (at the run's batch sizes), run every scenario, save after each one;
    return the finished run. With `fork_server`, children fork from one preloaded process."""
    with tempfile.TemporaryDirectory(prefix="loaderbench-") as tmp, forking(fork_server):
        workdir = Path(tmp)
        if calibrate_first and scenarios:
            run = replace(run, calibration=calibrate_for(scenarios, prepared, workdir, progress))
            save(run, out)
        for i, s in enumerate(scenarios):
            result = run_scenario(s, prepared, workdir, progress, (i, len(scenarios)))
            run = run.with_scenario(result)
            save(run, out)
        progress("done", len(scenarios), len(scenarios))
    return run
