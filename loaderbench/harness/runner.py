"""Runs a list of scenarios: each repeat in a fresh process, results saved after each one.

The result file is rewritten atomically after every scenario, so a crash, a timeout or
Ctrl-C never loses what finished.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path

import loaderbench
from loaderbench.harness import devices
from loaderbench.harness.prepare import Prepared
from loaderbench.harness.progress import Progress, silent
from loaderbench.harness.worker import Job, base_result
from loaderbench.loaders import get as get_loader
from loaderbench.loaders.base import build_options
from loaderbench.results import environment
from loaderbench.results.records import Resources
from loaderbench.results.schema import RunResult, ScenarioResult, StepSamples
from loaderbench.results.store import save
from loaderbench.scenarios.scenario import Scenario

CALIBRATION_TIMEOUT_S = 600


def validate(scenarios: Sequence[Scenario]) -> None:
    """Fail fast (UsageError) on an unknown loader or option, before anything runs."""
    for s in scenarios:
        build_options(get_loader(s.loader).Options, s.options, s.loader)


def resolve_devices(scenarios: Sequence[Scenario]) -> list[Scenario]:
    return [replace(s, device=devices.resolve(s.device)) for s in scenarios]


def child_env() -> dict[str, str]:
    """The worker must import this very loaderbench, installed or not."""
    env = dict(os.environ)
    root = str(Path(loaderbench.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


@dataclass(frozen=True)
class Spawned:
    returncode: int | None
    log: str


def spawn(module: str, args: Sequence[str], timeout: float, log_path: Path) -> Spawned:
    """Run `python -m module args` in its own process group; kill the group on timeout."""
    with open(log_path, "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", module, *args], stdout=log,
                                stderr=subprocess.STDOUT, env=child_env(),
                                start_new_session=True)
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            code = None
        except BaseException:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise
    return Spawned(code, log_path.read_text(errors="replace")[-4000:])


TORCHRUN_ARGS_ENV = "LOADERBENCH_TORCHRUN_ARGS"


def launch(job: Job, job_path: Path, out_path: Path) -> tuple[str, list[str]]:
    """The module and arguments of a job's process: the worker, or torchrun over ranks.
    $LOADERBENCH_TORCHRUN_ARGS replaces --standalone (multi-node rendezvous arguments)."""
    files = [str(job_path), str(out_path)]
    n = job.scenario.nproc_per_node
    if n <= 1:
        return "loaderbench.harness.worker", files
    rendezvous = shlex.split(os.environ.get(TORCHRUN_ARGS_ENV, "")) or ["--standalone"]
    return "torch.distributed.run", [*rendezvous, "--nproc-per-node", str(n),
                                     "-m", "loaderbench.harness.ranks", *files]


def rank_skip(s: Scenario) -> str | None:
    """Why a multi-rank scenario cannot run its loader, or None."""
    if s.nproc_per_node > 1 and not get_loader(s.loader).shards_by_rank:
        return (f"loader {s.loader!r} does not shard by rank (every rank would read every "
                "row); multi-rank loaders: those with shards_by_rank")
    return None


def run_job(job: Job, workdir: Path) -> ScenarioResult:
    stem = f"{uuid.uuid4().hex[:12]}-r{job.repeat}"
    job_path, out_path = workdir / f"{stem}.job.json", workdir / f"{stem}.out.json"
    job_path.write_text(json.dumps(job.to_dict()))
    module, args = launch(job, job_path, out_path)
    done = spawn(module, args, job.scenario.timeout_s, workdir / f"{stem}.log")
    if out_path.exists():
        return ScenarioResult.from_dict(json.loads(out_path.read_text()))
    if done.returncode is None:
        why = f"timed out after {job.scenario.timeout_s:g} s (raise timeout_s in the suite)"
    else:
        tail = " | ".join(done.log.strip().splitlines()[-3:])
        why = f"worker process exited with code {done.returncode}: {tail}"
    return base_result(job.scenario, "failed", why)


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


PER_REPEAT_TIMING = ("setup_s", "loop_s", "bookkeeping_s", "epoch_s", "epoch_wall_s")
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
        job = Job(s, repeat, prepared.source.to_dict(), str(prepared.preprocessor_path),
                  prepared.n_classes)
        results.append(run_job(job, workdir))
        if results[-1].status == "skipped":
            break
    return merge(results)


def calibrate(prepared: Prepared, batch_bytes: list[int], device_names: list[str],
              workdir: Path) -> dict:
    out = workdir / "calibration.json"
    source = workdir / "source.json"
    source.write_text(json.dumps(prepared.source.to_dict()))
    args = [str(source), json.dumps(batch_bytes), json.dumps(device_names), str(out)]
    done = spawn("loaderbench.harness.calibration", args, CALIBRATION_TIMEOUT_S,
                 workdir / "calibration.log")
    if out.exists():
        return json.loads(out.read_text())
    return {"error": f"calibration failed (exit {done.returncode}): "
                     f"{' | '.join(done.log.strip().splitlines()[-2:])}"}


def new_run(suite: str, prepared: Prepared) -> RunResult:
    env = {**environment.collect(), **devices.describe()}
    created = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    return RunResult(created=created, env=env, suite=suite, dataset=prepared.describe(),
                     tool={"name": "loaderbench", "version": loaderbench.__version__,
                           "argv": sys.argv[1:]})


def run_all(run: RunResult, scenarios: Sequence[Scenario], prepared: Prepared, out: Path,
            progress: Progress = silent, calibrate_batch_bytes: list[int] | None = None
            ) -> RunResult:
    """Calibrate once, run every scenario, save after each; return the finished run."""
    with tempfile.TemporaryDirectory(prefix="loaderbench-") as tmp:
        workdir = Path(tmp)
        if calibrate_batch_bytes:
            names = sorted({s.device for s in scenarios})
            progress("calibrating: host copy, Parquet scan, host-to-device copies", 0, 0)
            run = replace(run, calibration=calibrate(prepared, calibrate_batch_bytes, names,
                                                     workdir))
            save(run, out)
        for i, s in enumerate(scenarios):
            result = run_scenario(s, prepared, workdir, progress, (i, len(scenarios)))
            run = run.with_scenario(result)
            save(run, out)
        progress("done", len(scenarios), len(scenarios))
    return run
