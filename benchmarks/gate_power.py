"""How often `loaderbench gate` cries wolf, and how often it catches a real slowdown.

Runs the `ci` suite (real loaders and the synthetic yardstick) as a CI job would, through the
real harness (fresh processes, every check on): plain runs, and runs with a known slowdown
injected into every loader (`slowdown`, harness/inject.py: a busy-wait of a fraction of each
batch's own time), interleaved so the machine's load drifts over both alike. Then gates
every pair of plain runs (A/A: any `slower` is a false alarm) and every plain run against
every slowed run (detection), per scenario and threshold:

    python3 benchmarks/gate_power.py --out DIR [--runs 8] [--slowed-runs 4]
        [--levels 10,15,30] [--repeats 3] [--steps 60] [--thresholds 5,10] [--budget-s 1500]
        [--fork-server]

Each run is saved as DIR/<kind>-<i>.json as soon as it ends, so a second call with the same
DIR resumes; measuring stops when --budget-s is spent and the table is made from what exists.
Writes DIR/gate_power.md. Pairs drawn from one pool share runs, so they are not independent:
the table gives the number of runs beside the number of pairs.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
from tabulate import tabulate

from loaderbench.harness import runner
from loaderbench.harness.planning import resolve
from loaderbench.harness.prepare import prepare
from loaderbench.results import gate, units
from loaderbench.results.schema import RunResult
from loaderbench.results.store import load, save
from loaderbench.scenarios import suite as suites

GOAL_FALSE_ALARMS = 0.05
GOAL_CAUGHT_15 = 0.95
GOAL_JOB_S = 300.0


@dataclass(frozen=True)
class Plan:
    runs: int
    slowed_runs: int
    levels: tuple[int, ...]
    repeats: int
    steps: int
    budget_s: float
    fork_server: bool = False


def kinds(plan: Plan) -> list[tuple[str, float]]:
    """(file stem, slowdown) of every run, interleaved so that load drift touches all kinds
    alike: a share of the plain runs, then one run at each level, and again."""
    per_group = -(-plan.runs // max(plan.slowed_runs, 1))
    plain = [(f"plain-{i}", 0.0) for i in range(plan.runs)]
    out = []
    for i in range(max(plan.slowed_runs, -(-plan.runs // per_group))):
        out += plain[i * per_group:(i + 1) * per_group]
        if i < plan.slowed_runs:
            out += [(f"slow{level}-{i}", level / 100) for level in plan.levels]
    return out


def measure(plan: Plan, out: Path) -> None:
    """Every run not yet in `out`, until the budget is spent; each run's wall time is kept
    in its file's tool record (the CI job's `run` step)."""
    suite = suites.load("ci")
    prepared = prepare(suite.dataset)
    start = time.monotonic()
    for stem, slowdown in kinds(plan):
        path = out / f"{stem}.json"
        if path.exists():
            continue
        if time.monotonic() - start > plan.budget_s:
            print(f"budget of {plan.budget_s:g} s spent: stopping before {stem}", file=sys.stderr)
            return
        chosen = resolve(suites.select(suite.scenarios, repeats=plan.repeats,
                                       steps=plan.steps, slowdown=slowdown or None))
        run = runner.new_run("ci", prepared)
        t = time.monotonic()
        run = runner.run_all(run, chosen, prepared, out=path, calibrate_first=False,
                             fork_server=plan.fork_server)
        run = replace(run, tool={**run.tool, "job_s": time.monotonic() - t,
                                 "load_avg_1min": os.getloadavg()[0]})
        save(run, path)
        print(f"{stem}: {run.tool['job_s']:.0f} s", file=sys.stderr, flush=True)


def pools(out: Path) -> dict[str, list[RunResult]]:
    """The saved runs by kind ("plain", "slow15", ...), complete runs only."""
    found: dict[str, list[RunResult]] = {}
    for path in sorted(out.glob("*-*.json")):
        run = load(path)
        if "job_s" in run.tool:
            found.setdefault(path.stem.rsplit("-", 1)[0], []).append(run)
    return found


def tally(pairs: list[tuple[RunResult, RunResult]], threshold: float) -> dict[str, list]:
    """Per scenario: every pair's verdict (kind, point ratio)."""
    out: dict[str, list] = {}
    for base, cur in pairs:
        for v in gate.gate(base, cur, threshold):
            out.setdefault(v.name, []).append((v.verdict, v.ratio))
    return out


def share(verdicts: list, kind: str) -> float:
    return sum(v == kind for v, _ in verdicts) / len(verdicts) if verdicts else float("nan")


def cell(verdicts: list, kind: str) -> str:
    """`caught% (noisy%)` over the pairs."""
    if not verdicts:
        return "-"
    return f"{share(verdicts, kind):.0%} ({share(verdicts, 'noisy'):.0%})"


def realized(verdicts: list) -> str:
    ratios = sorted(r for _, r in verdicts if r is not None)
    return f"{(ratios[len(ratios) // 2] - 1) * 100:+.0f}%" if ratios else "-"


def spread(verdicts: list) -> str:
    """Standard deviation of the A/A changes: the noise a threshold must clear."""
    changes = [r - 1 for _, r in verdicts if r is not None]
    if len(changes) < 2:
        return "-"
    mean = sum(changes) / len(changes)
    return f"±{(sum((c - mean) ** 2 for c in changes) / (len(changes) - 1)) ** 0.5:.1%}"


def table(found: dict[str, list[RunResult]], threshold: float,
          levels: tuple[int, ...]) -> tuple[str, dict]:
    """One row per scenario: A/A false alarms, then each level's detection and its realized
    median change; the second value holds the shares the goals are judged on."""
    plain = found.get("plain", [])
    aa = tally(list(itertools.combinations(plain, 2)), threshold)
    det = {lv: tally([(b, c) for b in plain for c in found.get(f"slow{lv}", [])], threshold)
           for lv in levels}
    rows, shares = [], {"aa": [], "15": []}
    for name in aa or next(iter(det.values()), {}):
        row = [name, len(aa.get(name, [])), spread(aa.get(name, [])),
               cell(aa.get(name, []), "slower")]
        shares["aa"] += aa.get(name, [])
        for lv in levels:
            got = det[lv].get(name, [])
            row += [cell(got, "slower"), realized(got)]
            if lv == 15:
                shares["15"] += got
        rows.append(row)
    headers = ["scenario", "A/A pairs", "A/A sd", "A/A slower (noisy)"]
    for lv in levels:
        headers += [f"{lv}% caught (noisy)", f"{lv}% measured"]
    return tabulate(rows, headers=headers, tablefmt="github", disable_numparse=True), shares


def goals(shares: dict, job_s: float | None, noisy: str) -> str:
    """The issue's three goals, judged at one threshold and noisy policy."""
    wrong = ("slower", "noisy") if noisy == "fail" else ("slower",)
    aa, caught = shares["aa"], shares["15"]
    fa = sum(v in wrong for v, _ in aa) / len(aa) if aa else float("nan")
    hit = share(caught, "slower")
    job = f"{job_s:.0f} s" if job_s is not None else "-"
    return (f"A/A false alarms (--noisy {noisy}) {fa:.1%} (goal <= {GOAL_FALSE_ALARMS:.0%}: "
            f"{'met' if fa <= GOAL_FALSE_ALARMS else 'NOT met'}); 15% caught {hit:.1%} (goal >= "
            f"{GOAL_CAUGHT_15:.0%}: {'met' if hit >= GOAL_CAUGHT_15 else 'NOT met'}); CI job "
            f"{job} (goal <= {GOAL_JOB_S:.0f} s: "
            f"{'met' if job_s is not None and job_s <= GOAL_JOB_S else 'NOT met'})")


# Units the gate could resample (most windows per repeat, least steps per window): the
# choice units.py makes is judged against single steps and whole repeats on the same runs.
UNIT_CHOICES = {"windows (the gate's)": (units.MAX_WINDOWS_PER_REPEAT,
                                         units.MIN_STEPS_PER_WINDOW),
                "single steps": (10**9, 1), "whole repeats": (1, 1)}


def unit_verdicts(pairs: list[tuple[RunResult, RunResult]], threshold: float, most: int,
                  min_steps: int) -> list[str]:
    """Every scenario pair's verdict with the given units (no minimum sample)."""
    out = []
    for base, cur in pairs:
        cur_by = {(s.name, s.device): s for s in cur.scenarios if s.ok}
        for b in base.scenarios:
            c = cur_by.get((b.name, b.device))
            if not b.ok or c is None:
                continue
            bu = units.units(gate.groups(b.steps), most, min_steps)
            cu = units.units(gate.groups(c.steps), most, min_steps)
            out.append(units.classify(*units.ratio_interval(bu, cu), threshold))
    return out


def unit_table(found: dict[str, list[RunResult]], threshold: float) -> str:
    """A/A false alarms and 15% detection, all scenarios together, for each unit choice."""
    plain = found.get("plain", [])
    aa_pairs = list(itertools.combinations(plain, 2))
    hit_pairs = [(b, c) for b in plain for c in found.get("slow15", [])]
    rows = []
    for label, (most, min_steps) in UNIT_CHOICES.items():
        aa = unit_verdicts(aa_pairs, threshold, most, min_steps)
        hit = unit_verdicts(hit_pairs, threshold, most, min_steps)
        rate = lambda vs, k: f"{sum(v == k for v in vs) / len(vs):.0%}" if vs else "-"  # noqa: E731
        rows.append([label, rate(aa, "slower"), rate(aa, "noisy"), rate(hit, "slower"),
                     rate(hit, "noisy")])
    return tabulate(rows, headers=["units", "A/A slower", "A/A noisy", "15% caught",
                                   "15% noisy"], tablefmt="github", disable_numparse=True)


YARDSTICK = "synthetic"


def mean_steps(run: RunResult) -> dict[str, float]:
    """Each ok scenario's mean counted step time."""
    return {s.name: units.mean_step(units.units(gate.groups(s.steps))) for s in run.scenarios
            if s.ok and s.metrics.get("counted_steps")}


def yardstick_table(found: dict[str, list[RunResult]]) -> str:
    """The A/A spread of each real loader's change, raw and divided by the synthetic
    yardstick's change in the same pair of runs: how much of the noise is the machine's
    load of the moment, which the yardstick feels too."""
    plain = [mean_steps(r) for r in found.get("plain", [])]
    rows = []
    for name in plain[0] if plain else []:
        if name.startswith(YARDSTICK):
            continue
        raw, norm = [], []
        for a, b in itertools.combinations(plain, 2):
            yard = next((b[k] / a[k] for k in a if k.startswith(YARDSTICK) and k in b), None)
            if name in a and name in b and yard:
                raw.append((None, b[name] / a[name]))
                norm.append((None, b[name] / a[name] / yard))
        rows.append([name, spread(raw), spread(norm)])
    return tabulate(rows, headers=["scenario", "A/A sd", "A/A sd / yardstick"],
                    tablefmt="github", disable_numparse=True)


Z95 = 1.645  # one-sided 95%: the false-alarm goal and the detection goal alike
GOAL_SLOWDOWN = 0.15


def repeat_logs(run: RunResult) -> dict[str, np.ndarray]:
    """Each ok scenario's per-repeat mean step times (logs): one value per fresh process."""
    return {s.name: np.log([t.mean() for t in gate.groups(s.steps) if len(t)])
            for s in run.scenarios if s.ok and s.metrics.get("counted_steps")}


def noise_row(per_run: list[np.ndarray], process_s: float) -> list[str]:
    """Within-run sd of one process's mean step time, the sd of run means beyond what that
    explains (drift between runs), and how many processes a side would need to meet the
    goals (one-sided z at 5% false alarms and 95% power for a 15% slowdown): within one job,
    and against a baseline from another run, where drift does not shrink with repeats."""
    within = float(np.sqrt(np.mean([r.var(ddof=1) for r in per_run if len(r) > 1])))
    means = np.array([r.mean() for r in per_run])
    reps = float(np.mean([len(r) for r in per_run]))
    drift = float(np.sqrt(max(0.0, means.var(ddof=1) - within ** 2 / reps)))
    need = lambda extra: 2 * within ** 2 / ((np.log(1 + GOAL_SLOWDOWN) / (2 * Z95)) ** 2  # noqa: E731
                                             - extra)
    one_job = need(0.0)
    across = need(2 * drift ** 2) if (np.log(1 + GOAL_SLOWDOWN) / (2 * Z95)) ** 2 > \
        2 * drift ** 2 else float("inf")
    fmt = lambda n: "never" if not np.isfinite(n) else f"{int(np.ceil(n))} (~{np.ceil(n) * process_s:.0f} s)"  # noqa: E501,E731
    return [f"±{within:.1%}", f"±{drift:.1%}", fmt(one_job), fmt(across)]


def noise_table(found: dict[str, list[RunResult]]) -> str:
    """Where the noise is, per scenario, from the plain runs (see noise_row)."""
    plain = found.get("plain", [])
    logs = [repeat_logs(r) for r in plain]
    processes = sum(len(v) for r in logs for v in r.values())
    process_s = sum(r.tool["job_s"] for r in plain) / processes if processes else 0.0
    rows = []
    for name in logs[0] if logs else []:
        per_run = [r[name] for r in logs if name in r]
        if len(per_run) > 1:
            rows.append([name, *noise_row(per_run, process_s)])
    return tabulate(rows, headers=["scenario", "one process sd", "drift between runs sd",
                                   "processes a side, one job", "processes a side, stored "
                                   "baseline"], tablefmt="github", disable_numparse=True)


def report(out: Path, plan: Plan, thresholds: list[float], load_note: str) -> str:
    found = pools(out)
    plain = found.get("plain", [])
    jobs = sorted(r.tool["job_s"] for r in plain)
    job_s = jobs[len(jobs) // 2] if jobs else None
    counts = ", ".join(f"{len(v)} {k}" for k, v in sorted(found.items()))
    loads = sorted(r.tool.get("load_avg_1min", 0.0) for v in found.values() for r in v)
    if loads:
        load_note = (f"1-minute load average at the end of each run {loads[0]:.1f} to "
                     f"{loads[-1]:.1f} (median {loads[len(loads) // 2]:.1f}) on "
                     f"{plain[0].env.get('cores_usable', '?') if plain else '?'} cores. "
                     + load_note)
    env = plain[0].env if plain else {}
    head = [f"# Gate power on {env.get('cpu', '?')}, {env.get('cores_usable', '?')} cores",
            "", f"`python3 benchmarks/gate_power.py --out DIR --runs {plan.runs} --slowed-runs "
            f"{plan.slowed_runs} --repeats {plan.repeats} --steps {plan.steps}"
            f"{' --fork-server' if plan.fork_server else ''}`: suite `ci`, "
            f"{plan.repeats} repeats x {plan.steps} steps per scenario; runs: {counts}; "
            f"median CI job (`run`) {job_s or 0:.0f} s. {load_note}", "",
            "caught: share of pairs judged `slower`; (noisy): share judged `noisy`; measured: "
            "median change of mean step time over the pairs (the injected slowdown as the "
            "gate sees it).", ""]
    body = []
    for t in thresholds:
        text, shares = table(found, t, plan.levels)
        body += [f"## --threshold {t * 100:g}%", "", text, "",
                 *(f"- {goals(shares, job_s, n)}" for n in gate.NOISY_POLICIES), "",
                 "Units compared on the same pairs (all scenarios together):", "",
                 unit_table(found, t), ""]
    body += ["Load of the moment: each loader's A/A change divided by the synthetic "
             "yardstick's change in the same pair (an analysis only; the gate does not do it):",
             "", yardstick_table(found), "",
             "Where the noise is (plain runs): the sd of one process's mean step time within a "
             "run, the sd of run means beyond that (drift), and the processes a side would need "
             f"to catch {GOAL_SLOWDOWN:.0%} at 95% with 5% false alarms (one-sided z; seconds at "
             "this run's time per process, per scenario):", "", noise_table(found), ""]
    return "\n".join(head + body)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--runs", type=int, default=8, help="plain runs (A/A pairs among them)")
    p.add_argument("--slowed-runs", type=int, default=4, help="runs at each slowdown level")
    p.add_argument("--levels", default="10,15,30", help="slowdowns in percent")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--steps", type=int, default=60)
    p.add_argument("--thresholds", default="5,7.5,10", help="gate thresholds in percent")
    p.add_argument("--budget-s", type=float, default=1500.0, help="stop measuring after this")
    p.add_argument("--load-note", default="", help="a line on the machine's load, for the table")
    p.add_argument("--fork-server", action="store_true",
                   help="fork repeats from one preloaded process (run --fork-server)")
    p.add_argument("--report-only", action="store_true", help="make the table from DIR only")
    a = p.parse_args(argv)
    plan = Plan(a.runs, a.slowed_runs, tuple(int(x) for x in a.levels.split(",")), a.repeats,
                a.steps, a.budget_s, a.fork_server)
    a.out.mkdir(parents=True, exist_ok=True)
    if not a.report_only:
        measure(plan, a.out)
    text = report(a.out, plan, [float(x) / 100 for x in a.thresholds.split(",")], a.load_note)
    (a.out / "gate_power.md").write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
