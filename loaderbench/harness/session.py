"""A whole `loaderbench run`: pick scenarios, prepare data, calibrate, run, save."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from loaderbench.errors import UsageError
from loaderbench.harness import resume, runner
from loaderbench.harness.planning import resolve
from loaderbench.harness.prepare import Prepared, prepare
from loaderbench.harness.progress import Progress, note, silent
from loaderbench.loaders import get as get_loader
from loaderbench.results import outfile
from loaderbench.results.schema import RunResult
from loaderbench.results.store import load
from loaderbench.scenarios import suite as suites
from loaderbench.scenarios.scenario import Scenario

DEFAULT_OUT_DIR = Path("loaderbench-results")
# A run of more scenario processes than this needs --yes (README, "Safety").
GRID_LIMIT = 100
# A rough cost of one scenario process (start-up, setup, 50 steps) for the estimate.
PROCESS_ESTIMATE_S = 15.0
FORKED_ESTIMATE_S = 3.0  # forked from the fork server: no start-up (the ci suite: 2-3 s)


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
    force: bool = False
    yes: bool = False
    fork_server: bool = False  # repeats forked from one preloaded process (harness/zygote.py)
    #: A paired job (harness/paired.py): the baseline side's file and interpreter.
    baseline_out: Path | None = None
    baseline_python: str | None = None


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
    """Plan, claim --out, prepare the data (`announce` is told what was prepared, before any
    timing), calibrate, run every scenario and save."""
    progress = progress or silent
    if request.resume and request.force:
        raise UsageError("--resume and --force exclude each other: continue the file or "
                         "replace it")
    suite, scenarios = plan(request)
    out = request.out or outfile.numbered(default_out(request.suite))
    if request.baseline_out is not None or request.baseline_python is not None:
        return execute_paired(request, suite, scenarios, out, progress, announce)
    with outfile.claim(out, request.resume, request.force) as existing:
        previous = load(out) if existing and request.resume else None
        if previous is not None:
            scenarios = resume.remaining(previous, scenarios, str(out))
        size = grid_size(scenarios, request.yes, forked=request.fork_server)
        prepared, run = prepared_run(request, suite, progress, announce)
        calibrate = request.calibrate
        if previous is not None:
            resume.check_compatible(previous, run, str(out))
            run, calibrate = previous, calibrate and not previous.calibration
        note(f"running {size}")
        run = runner.run_all(run, scenarios, prepared, out=out, progress=progress,
                             calibrate_first=calibrate, fork_server=request.fork_server)
    return run, out


def prepared_run(request: RunRequest, suite: suites.Suite, progress: Progress,
                 announce: Callable[[Prepared], None] | None) -> tuple[Prepared, RunResult]:
    """The data prepared (`announce` told, before any timing) and the new run's record."""
    roles = suite.roles.override(**dict(request.roles))
    prepared = prepare(suite.dataset, request.data or suite.data, progress, roles)
    if announce is not None:
        announce(prepared)
    run = runner.new_run(suite.name, prepared)
    if request.fork_server:
        run = replace(run, tool={**run.tool, "children": "forked from a fork server"})
    return prepared, run


def execute_paired(request: RunRequest, suite: suites.Suite, scenarios: tuple[Scenario, ...],
                   out: Path, progress: Progress,
                   announce: Callable[[Prepared], None] | None) -> tuple[RunResult, Path]:
    """`execute` for a paired job: baseline and current interleaved (harness/paired.py)."""
    from loaderbench.harness import paired

    base_out = request.baseline_out
    if base_out is None:
        raise UsageError("--baseline-python needs --baseline-out FILE: where the baseline "
                         "side's results go")
    if request.resume:
        raise UsageError("--resume cannot continue a paired job: run it again")
    if base_out.resolve() == out.resolve():
        raise UsageError("--baseline-out and --out name the same file; give two files")
    pairing = paired.Pairing.new(request.baseline_python)
    probed = paired.probe(pairing.baseline_python)
    size = grid_size(scenarios, request.yes, len(paired.SIDES), request.fork_server)
    with outfile.claim(out, False, request.force), \
            outfile.claim(base_out, False, request.force):
        prepared, run = prepared_run(request, suite, progress, announce)
        runs = {"baseline": paired.side_run(run, pairing, "baseline", probed),
                "current": paired.side_run(run, pairing, "current")}
        note(f"running {size}: baseline and current interleaved, round by round")
        runs = paired.run_all_paired(runs, scenarios, prepared,
                                     outs={"baseline": base_out, "current": out},
                                     pairing=pairing, progress=progress,
                                     calibrate_first=request.calibrate,
                                     fork_server=request.fork_server)
    return runs["current"], out


def duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min" if seconds < 7200 else f"{seconds / 3600:.1f} h"


def grid_size(scenarios: tuple[Scenario, ...], yes: bool, sides: int = 1,
              forked: bool = False) -> str:
    """How big the run is, in words; a grid above GRID_LIMIT processes needs --yes. A paired
    job runs each repeat once per side."""
    processes = sides * sum(s.repeats * s.nproc_per_node for s in scenarios)
    each = FORKED_ESTIMATE_S if forked else PROCESS_ESTIMATE_S
    size = (f"{len(scenarios):,} scenario(s) in {processes:,} process(es), roughly "
            f"{duration(processes * each)} at ~{each:g} s a process "
            "(longer with epochs or slow loaders)")
    if processes > GRID_LIMIT and not yes:
        raise UsageError(f"this run has {size}; above {GRID_LIMIT} processes pass --yes to "
                         "start it, or narrow it with --loaders, --device or a smaller suite")
    return size
