"""What a paired gate job can see (`run --baseline-out`): false alarms and detection when
baseline and current run interleaved in one job, on this machine.

Each measured job runs the `ci` suite's scenarios as `run --baseline-out` does (rounds, one
fresh process a side each round, forked from a preloaded server, the order reversed every
other round), with four arms instead of two, to spend the machine's time on more pairs:
A and A2 (plain) and S15 and S<level> (a slowdown injected into every loader,
harness/inject.py; the second level alternates over --levels). Then per scenario:

    A/A          gate(A, A2): any `slower` is a false alarm
    detection    gate(A, S15), gate(A, S<level>): `slower` is a catch

Pairs from one job share arm A, so the A/A and detection pairs of a job are not independent;
jobs are. The CI job's own time is measured on real `loaderbench run --baseline-out` jobs
(--cli-jobs, A/A; their verdicts are counted too).

    python3 benchmarks/gate_power_paired.py --out DIR [--jobs 10] [--cli-jobs 2]
        [--levels 10,30] [--thresholds 5,10] [--budget-s 4800] [--report-only]

Every arm is saved as DIR/job<j>-<arm>.json when its job ends, so a second call resumes.
Writes DIR/gate_power_paired.md, and DIR/rounds.json: each job's per-round mean step times
per arm and scenario, which the tables are made of.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import fields, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
from gate_power import cell, goals, realized, spread
from tabulate import tabulate

from loaderbench.harness import runner
from loaderbench.harness.planning import resolve
from loaderbench.harness.prepare import prepare
from loaderbench.harness.protocol import forking
from loaderbench.results import gate, units
from loaderbench.results.samples import StepSamples
from loaderbench.results.schema import RunResult
from loaderbench.results.store import load, save
from loaderbench.scenarios import suite as suites

MAIN_LEVEL = 15


def arms(job: int, levels: tuple[int, ...]) -> dict[str, float]:
    """The job's arms and their injected slowdowns."""
    extra = levels[job % len(levels)]
    return {"A": 0.0, "A2": 0.0, f"S{MAIN_LEVEL}": MAIN_LEVEL / 100, f"S{extra}": extra / 100}


# A Williams square: over 4 rounds each arm runs once in every position and follows every
# other arm once, so no arm is favoured by where it sits in a round or what ran before it.
# (The first measurement reversed the order every other round: A2, always in the middle and
# after a slowed arm in odd rounds, came out slower than A in 11 of 16 jobs for arrow-native.)
WILLIAMS_4 = ((0, 1, 3, 2), (1, 2, 0, 3), (2, 3, 1, 0), (3, 0, 2, 1))


def order(names: list[str], r: int) -> list[str]:
    """Four arms: round r's row of a Williams square; otherwise reversed every other round."""
    if len(names) == len(WILLIAMS_4):
        return [names[i] for i in WILLIAMS_4[r % len(WILLIAMS_4)]]
    return names if r % 2 == 0 else names[::-1]


def realizing(path: Path | None) -> dict[str, float]:
    """Per scenario, the factor that makes an injected slowdown show in full: from an earlier
    measurement's rounds.json, 0.15 over the median change its S15 arms showed (the busy-wait
    is the consumer's, and loaders that produce in background threads or workers hide part
    of it: results/cpu-2core-gate-power-paired.md). The `measured` column checks the result."""
    if path is None:
        return {}
    shown: dict[str, list[float]] = {}
    for job in json.loads(path.read_text()).values():
        if f"S{MAIN_LEVEL}" not in job:
            continue
        for name, slowed in job[f"S{MAIN_LEVEL}"].items():
            plain = job["A"][name]
            ratios = [np.log(slowed[r] / plain[r]) for r in slowed if r in plain]
            shown.setdefault(name, []).append(float(np.exp(np.mean(ratios))) - 1)
    return {name: min(3.0, max(1.0, MAIN_LEVEL / 100 / float(np.median(got))))
            for name, got in shown.items()}


def one_job(job: int, levels: tuple[int, ...], suite: str, out: Path,
            scale: dict[str, float] | None = None) -> None:
    """Every round of every scenario, each arm's repeat in its own forked process; each
    slowed arm's injection times the scenario's `scale` (realizing)."""
    s = suites.load(suite)
    prepared = prepare(s.dataset)
    plan = resolve(suites.select(s.scenarios))
    slow = arms(job, levels)
    runs = {a: replace(runner.new_run(suite, prepared),
                       tool={"paired": {"id": f"job{job}", "side": a}}) for a in slow}
    start = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp, forking(True):
        for sc in plan:
            done: dict[str, list] = {a: [] for a in slow}
            for r in range(sc.repeats):
                for a in order(list(slow), r):
                    slowdown = slow[a] * (scale or {}).get(sc.name, 1.0)
                    job_ = runner.job_for(replace(sc, slowdown=slowdown), prepared, r)
                    done[a].append(runner.run_job(job_, Path(tmp)))
            for a in slow:
                runs[a] = runs[a].with_scenario(runner.merge(done[a]))
    for a, run in runs.items():
        tool = {**run.tool, "job_s": time.monotonic() - start, "load": os.getloadavg()[0]}
        save(replace(run, tool=tool), out / f"job{job:02d}-{a}.json")


def cli_job(i: int, suite: str, out: Path) -> None:
    """The README's recipe as a CI job would run it (A/A), timed."""
    base, cur = out / f"cli{i:02d}-base.json", out / f"cli{i:02d}-cur.json"
    start = time.monotonic()
    subprocess.run([sys.executable, "-m", "loaderbench", "run", "--quiet", "--suite", suite,
                    "--fork-server", "--baseline-out", str(base), "--out", str(cur)],
                   check=True, capture_output=True)
    took = time.monotonic() - start
    for path in (base, cur):
        run = load(path)
        save(replace(run, tool={**run.tool, "job_s": took, "load": os.getloadavg()[0]}), path)


def measure(a: argparse.Namespace, levels: tuple[int, ...]) -> None:
    start = time.monotonic()
    scale = realizing(a.realize)
    todo = [("cli", i) for i in range(a.cli_jobs)] + [("job", j) for j in range(a.jobs)]
    for kind, i in todo:
        if (a.out / (f"cli{i:02d}-cur.json" if kind == "cli" else f"job{i:02d}-A.json")).exists():
            continue
        if time.monotonic() - start > a.budget_s:
            print(f"budget of {a.budget_s:g} s spent: stopping before {kind} {i}",
                  file=sys.stderr)
            return
        t = time.monotonic()
        if kind == "cli":
            cli_job(i, a.suite, a.out)
        else:
            one_job(i, levels, a.suite, a.out, scale)
        print(f"{kind} {i}: {time.monotonic() - t:.0f} s", file=sys.stderr, flush=True)


def rounds_of(run: RunResult) -> int:
    """The job's rounds: its scenarios' most repeats."""
    return max((len(gate.by_repeat(s.steps)) for s in run.scenarios if s.ok), default=0)


def first_rounds(run: RunResult, n: int) -> RunResult:
    """`run` as if its job had stopped after `n` rounds (the Williams square is complete
    every 4 rounds, so 12 of 16 rounds are a balanced 12-round job)."""
    def cut(steps: StepSamples) -> StepSamples:
        keep = [i for i, r in enumerate(steps.repeat) if r < n]
        return replace(steps, **{f.name: tuple(getattr(steps, f.name)[i] for i in keep)
                                 for f in fields(steps) if len(getattr(steps, f.name))})
    return replace(run, scenarios=tuple(replace(s, steps=cut(s.steps)) for s in run.scenarios))


Pairs = dict[str, list[tuple[RunResult, RunResult]]]


def pairs(out: Path, levels: tuple[int, ...]) -> Pairs:
    """A/A pairs (A vs A2, and every CLI job) and detection pairs per level."""
    found: Pairs = {"aa": []}
    for path in sorted(out.glob("cli*-base.json")):
        found["aa"].append((load(path), load(path.with_name(path.name.replace("base", "cur")))))
    for path in sorted(out.glob("job*-A.json")):
        base = load(path)
        for other in sorted(out.glob(path.name.replace("-A.json", "-*.json"))):
            arm = other.stem.split("-")[1]
            key = "aa" if arm == "A2" else arm[1:] if arm.startswith("S") else None
            if key is not None:
                found.setdefault(key, []).append((base, load(other)))
    return found


def within(found: Pairs, n: int | None) -> Pairs:
    """The pairs' first `n` rounds, of the jobs that ran at least n (the others left out)."""
    if n is None:
        return found
    return {key: [(first_rounds(b, n), first_rounds(c, n)) for b, c in got
                  if rounds_of(b) >= n] for key, got in found.items()}


def injected(out: Path) -> str:
    """What the slowed arms injected per scenario (--realize scales them)."""
    arm = next(iter(sorted(out.glob(f"job*-S{MAIN_LEVEL}.json"))), None)
    if arm is None:
        return ""
    parts = [f"`{s.name.split()[0]}` {s.scenario.get('slowdown', 0) * 100:.1f} %"
             for s in load(arm).scenarios if isinstance(s.scenario, dict)]
    return f"The S{MAIN_LEVEL} arms injected: {', '.join(parts)} (other levels in proportion)."


def tally(pairs: list[tuple[RunResult, RunResult]], threshold: float, level: float
          ) -> dict[str, list]:
    """Per scenario: every pair's verdict (kind, point ratio), paired interval at `level`."""
    out: dict[str, list] = {}
    for base, cur in pairs:
        for v in gate.gate(base, cur, threshold, level):
            out.setdefault(v.name, []).append((v.verdict, v.ratio))
    return out


def table(found: dict, threshold: float, levels: list[str], level: float
          ) -> tuple[str, dict]:
    aa = tally(found["aa"], threshold, level)
    det = {lv: tally(found.get(lv, []), threshold, level) for lv in levels}
    rows, shares = [], {"aa": [], "15": []}
    for name in aa:
        row = [name, len(aa[name]), spread(aa[name]), cell(aa[name], "slower")]
        shares["aa"] += aa[name]
        for lv in levels:
            got = det[lv].get(name, [])
            row += [len(got), cell(got, "slower"), realized(got)]
            shares["15"] += got if lv == str(MAIN_LEVEL) else []
        rows.append(row)
    headers = ["scenario", "A/A pairs", "A/A sd", "A/A slower (noisy)"]
    for lv in levels:
        headers += [f"{lv}% pairs", f"{lv}% caught (noisy)", f"{lv}% measured"]
    return tabulate(rows, headers=headers, tablefmt="github", disable_numparse=True), shares


def report(out: Path, levels: tuple[int, ...], thresholds: list[float],
           round_counts: list[int | None]) -> str:
    cli = sorted(load(p).tool["job_s"] for p in out.glob("cli*-cur.json"))
    job_s = cli[len(cli) // 2] if cli else None
    jobs = sorted(out.glob("job*-A.json"))
    env = load(jobs[0]).env if jobs else {}
    loads = sorted(load(p).tool.get("load", 0.0) for p in [*jobs, *out.glob("cli*-cur.json")])
    head = [f"# Paired gate power on {env.get('cpu', '?')}, {env.get('cores_usable', '?')} "
            "cores", "", f"`python3 benchmarks/gate_power_paired.py`: {len(jobs)} four-arm jobs "
            f"and {len(cli)} CLI jobs (`run --suite ci --fork-server --baseline-out`, A/A), "
            f"CLI job {', '.join(f'{s:.0f} s' for s in cli) or '-'}; 1-minute load at the end "
            f"of each job {loads[0] if loads else 0:.1f} to {loads[-1] if loads else 0:.1f}. "
            + injected(out), "", "caught: share of pairs judged `slower`; (noisy): share "
            "judged `noisy`; measured: median change of mean step time over the pairs.", ""]
    body = []
    every = pairs(out, levels)
    for n in round_counts:
        found = within(every, n)
        shown = sorted({k for k in found if k != "aa"}, key=int)
        for t in thresholds:
            text, shares = table(found, t, shown, units.PAIRED_LEVEL)
            body += [f"## {f'{n} rounds, ' if n else ''}gate --threshold {t * 100:g}% (paired "
                     f"interval {units.PAIRED_LEVEL:.0%}, the gate's: each bound a one-sided "
                     "95% test)", "", text, "",
                     *(f"- {goals(shares, job_s, p)}" for p in ("pass", "fail")), ""]
    return "\n".join(head + body)


def rounds(out: Path) -> dict:
    """Every job's per-round mean step time (ms) per arm and scenario, and its wall time:
    what the tables are made of, small enough to keep."""
    kept: dict = {}
    for path in sorted([*out.glob("job*-*.json"), *out.glob("cli*-*.json")]):
        job, arm = path.stem.split("-", 1)
        run = load(path)
        kept.setdefault(job, {"job_s": round(run.tool.get("job_s", 0.0), 1)})[arm] = {
            s.name: {str(r): round(m * 1e3, 4) for r, m in
                     units.repeat_means(gate.by_repeat(s.steps)).items()}
            for s in run.scenarios if s.ok}
    return kept


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--suite", default="ci")
    p.add_argument("--jobs", type=int, default=10, help="four-arm jobs")
    p.add_argument("--cli-jobs", type=int, default=2, help="timed CLI jobs (A/A)")
    p.add_argument("--levels", default="10,30", help="second slowdown, alternating (percent)")
    p.add_argument("--thresholds", default="5,10", help="gate thresholds in percent")
    p.add_argument("--budget-s", type=float, default=4800.0, help="stop measuring after this")
    p.add_argument("--report-only", action="store_true", help="make the table from DIR only")
    p.add_argument("--rounds", default="", help="tables for the first N rounds of the jobs "
                   "that ran N or more, e.g. 12,16 (default: all rounds)")
    p.add_argument("--realize", type=Path, default=None, metavar="ROUNDS_JSON",
                   help="scale each scenario's injection by what an earlier measurement's "
                        "S15 arms showed, so that 15%% shows as 15%%")
    a = p.parse_args(argv)
    levels = tuple(int(x) for x in a.levels.split(","))
    a.out.mkdir(parents=True, exist_ok=True)
    if not a.report_only:
        measure(a, levels)
    counts = [int(x) for x in a.rounds.split(",")] if a.rounds else [None]
    text = report(a.out, levels, [float(x) / 100 for x in a.thresholds.split(",")], counts)
    (a.out / "gate_power_paired.md").write_text(text + "\n")
    (a.out / "rounds.json").write_text(json.dumps(rounds(a.out), indent=1) + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
