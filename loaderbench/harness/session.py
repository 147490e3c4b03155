"""A whole `loaderbench run`: pick scenarios, prepare data, calibrate, run, save."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loaderbench.harness import runner
from loaderbench.harness.planning import resolve
from loaderbench.harness.prepare import Prepared, prepare
from loaderbench.harness.progress import Progress, silent
from loaderbench.loaders import get as get_loader
from loaderbench.results.schema import RunResult
from loaderbench.results.store import check_writable, load
from loaderbench.scenarios import suite as suites
from loaderbench.scenarios.scenario import Scenario

DEFAULT_OUT_DIR = Path("loaderbench-results")


@dataclass(frozen=True)
class RunRequest:
    suite: str = "quick"
    loaders: tuple[str, ...] | None = None
    devices: tuple[str, ...] | None = None
    out: Path | None = None
    data: Path | str | None = None  # a folder, a file or a glob; None: the suite's
    repeats: int | None = None
    steps: int | None = None
    epochs: int | None = None
    check_values: bool = True
    calibrate: bool = True
    resume: bool = False
    slowdown: float | None = None
    nproc_per_node: int | None = None
    #: Role options from the command line (label, id, numeric, ...), over the suite's [data].
    roles: tuple[tuple[str, Any], ...] = ()


def default_out(suite_name: str) -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return DEFAULT_OUT_DIR / f"{Path(suite_name).stem}-{stamp}.json"


def plan(request: RunRequest) -> tuple[suites.Suite, tuple[Scenario, ...]]:
    """The scenarios to run, every name and option checked before any work starts."""
    for name in request.loaders or ():
        get_loader(name)
    suite = suites.load(request.suite)
    overrides = {"repeats": request.repeats, "steps": request.steps, "epochs": request.epochs,
                 "check_values": None if request.check_values else False,
                 "slowdown": request.slowdown,
                 "nproc_per_node": request.nproc_per_node}
    chosen = suites.select(suite.scenarios, request.loaders, request.devices, **overrides)
    return suite, resolve(chosen)


def execute(request: RunRequest, progress: Progress | None = None,
            announce: Callable[[Prepared], None] | None = None) -> tuple[RunResult, Path]:
    """Plan, prepare the data (`announce` is told what was prepared, before any timing),
    calibrate, run every scenario and save."""
    suite, scenarios = plan(request)
    out = request.out or default_out(request.suite)
    check_writable(out)
    roles = suite.roles.override(**dict(request.roles))
    prepared = prepare(suite.dataset, request.data or suite.data, progress or silent, roles)
    if announce is not None:
        announce(prepared)
    run = runner.new_run(suite.name, prepared)
    calibrate = request.calibrate
    if request.resume and out.exists():
        run, scenarios = resumed(out, scenarios)
        calibrate = calibrate and not run.calibration
    run = runner.run_all(run, scenarios, prepared, out=out, progress=progress or silent,
                         calibrate_first=calibrate)
    return run, out


def resumed(out: Path, scenarios: tuple[Scenario, ...]) -> tuple[RunResult, tuple[Scenario, ...]]:
    """Continue an interrupted run: keep its finished scenarios, run only the rest."""
    run = load(out)
    done = {(s.name, s.device) for s in run.scenarios}
    return run, tuple(s for s in scenarios if (s.name, s.device) not in done)
