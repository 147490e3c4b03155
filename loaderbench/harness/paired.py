"""Baseline and current in one job, interleaved (`run --baseline-out BASELINE.json`).

Trade-off: a gate against a stored baseline cannot tell a slower loader from a machine that
is slower today: on a 2-core runner the same scenario drifts by 5-27 % (sd) between runs made
minutes apart (`results/cpu-2core-gate-power.md`). Here each scenario's repeats alternate
between the two sides in rounds, baseline first in even rounds and current first in odd
ones (ABBA), so drift touches both alike and `gate` judges each round's pair
(`results/units.paired_interval`). The price: the job runs the baseline too, so it costs
twice the processes of a plain run.

The baseline side runs under `--baseline-python` (default: this interpreter), an interpreter
with the baseline's own loaderbench, loaders and libraries installed (a second virtual
environment, or a script that sets PYTHONPATH to the baseline's checkout and runs python).
Both sides get the same resolved scenarios, data and fitted preprocessing; only what runs
differs, and `--inject-slowdown` slows the current side only (A/A and A/B tests of what the
gate can see). Each file records the pairing (`tool["paired"]`: one id, its side, the
interpreter) and its own side's environment.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from loaderbench.errors import UsageError
from loaderbench.harness.prepare import Prepared
from loaderbench.harness.progress import Progress, silent
from loaderbench.harness.protocol import base_result, child_env, forking
from loaderbench.harness.runner import calibrate_for, job_for, merge, rank_skip, run_job
from loaderbench.results.schema import RunResult, ScenarioResult
from loaderbench.results.store import save
from loaderbench.scenarios.scenario import Scenario

SIDES = ("baseline", "current")
PROBE_TIMEOUT_S = 300
PROBE = ("import json, loaderbench; from loaderbench.results import environment; "
         "from loaderbench.harness import devices; print(json.dumps({'version': "
         "loaderbench.__version__, 'env': {**environment.collect(), **devices.describe()}}))")


@dataclass(frozen=True)
class Pairing:
    """Both sides of one paired job: the id both files carry and each side's interpreter."""

    id: str
    baseline_python: str
    current_python: str = sys.executable

    @classmethod
    def new(cls, baseline_python: str | None) -> Pairing:
        return cls(id=uuid.uuid4().hex[:16], baseline_python=baseline_python or sys.executable)

    def python(self, side: str) -> str:
        return self.baseline_python if side == "baseline" else self.current_python

    def record(self, side: str) -> dict:
        return {"id": self.id, "side": side, "python": self.python(side)}


def probe(python: str) -> dict:
    """The loaderbench version and environment that `python` runs; UsageError when it
    cannot run loaderbench."""
    try:
        done = subprocess.run([python, "-c", PROBE], capture_output=True, text=True,
                              timeout=PROBE_TIMEOUT_S, env=child_env(python))
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise UsageError(f"--baseline-python {python}: cannot run it ({exc}); give the path "
                         "of a Python interpreter") from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise UsageError(f"--baseline-python {python} cannot run loaderbench ({last}); install "
                         "the baseline's loaderbench in that environment (pip install -e "
                         "BASELINE_CHECKOUT)")
    return json.loads(done.stdout.strip().splitlines()[-1])


def side_run(run: RunResult, pairing: Pairing, side: str, probed: dict | None = None
             ) -> RunResult:
    """`run`'s record for one side: the pairing, and (baseline) that interpreter's env."""
    tool = {**run.tool, "paired": pairing.record(side)}
    if probed is None:
        return replace(run, tool=tool)
    return replace(run, env=probed["env"], tool={**tool, "version": probed["version"]})


def sides(s: Scenario) -> dict[str, Scenario]:
    """Each side's scenario: an injected slowdown is the current side's only."""
    return {"baseline": replace(s, slowdown=0.0), "current": s}


def round_order(r: int) -> tuple[str, str]:
    """ABBA: baseline first in even rounds, current first in odd ones."""
    return SIDES if r % 2 == 0 else SIDES[::-1]


def run_pair(s: Scenario, prepared: Prepared, workdir: Path, pairing: Pairing,
             progress: Progress = silent, position: tuple[int, int] = (0, 1)
             ) -> dict[str, ScenarioResult]:
    """Every round of `s`, each side's repeat in its own process, alternating."""
    plan = sides(s)
    skip = rank_skip(s)
    if skip:
        return {side: base_result(plan[side], "skipped", skip) for side in SIDES}
    done: dict[str, list[ScenarioResult]] = {side: [] for side in SIDES}
    for r in range(s.repeats):
        for side in round_order(r):
            progress(f"{s.name} [{s.device}] round {r + 1}/{s.repeats} {side}", *position)
            job = job_for(plan[side], prepared, r)
            done[side].append(run_job(job, workdir, pairing.python(side)))
        if any(done[side][-1].status == "skipped" for side in SIDES):
            break
    return {side: merge(done[side]) for side in SIDES}


def run_all_paired(runs: dict[str, RunResult], scenarios: Sequence[Scenario],
                   prepared: Prepared, *, outs: dict[str, Path], pairing: Pairing,
                   progress: Progress = silent, calibrate_first: bool = True,
                   fork_server: bool = False) -> dict[str, RunResult]:
    """`runner.run_all` for a paired job: one calibration (one machine) in both files, every
    scenario's rounds, both files saved after each scenario."""
    with tempfile.TemporaryDirectory(prefix="loaderbench-") as tmp, \
            forking(fork_server, (pairing.baseline_python,)):
        workdir = Path(tmp)
        if calibrate_first and scenarios:
            found = calibrate_for(scenarios, prepared, workdir, progress)
            runs = {side: replace(run, calibration=found) for side, run in runs.items()}
        for i, s in enumerate(scenarios):
            results = run_pair(s, prepared, workdir, pairing, progress, (i, len(scenarios)))
            for side in SIDES:
                runs[side] = runs[side].with_scenario(results[side])
                save(runs[side], outs[side])
        progress("done", len(scenarios), len(scenarios))
    return runs
