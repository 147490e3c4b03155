"""Does running baseline and current side by side in one job take the noise out of a gate?

`benchmarks/gate_power.py` gates runs made minutes apart; on a shared machine the loaders'
speed drifts between them. This runs, inside one job, one repeat (a fresh process) of each
real `ci` scenario three ways in rotating order, again and again: plain (A), plain again (A2)
and with a 15 % slowdown injected (S). Then, per scenario:

    one process sd    spread of one process's mean step time (plain runs)
    A2-A sd           spread of the change between two plain processes run back to back:
                      what a paired, interleaved gate would have to see through
    S-A mean, sd      the injected 15 % as measured, and its spread

    python3 benchmarks/gate_noise.py --out FILE.json [--rounds 8] [--steps 60]
    python3 benchmarks/gate_noise.py --out FILE.json --report-only

The raw per-process means are saved to FILE.json as they come.

With `--fork-vs-fresh LOADER` it asks instead whether a repeat forked from a process that has
already imported torch, pandas, scikit-learn and PyArrow (a fork server) still shows the
spread of a fresh process, at what cost a process: forked and fresh repeats of the `ci`
scenario of LOADER, alternating, `--rounds` of each (Linux: os.fork).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
from tabulate import tabulate

from loaderbench.harness import runner
from loaderbench.harness.planning import resolve
from loaderbench.harness.prepare import prepare
from loaderbench.results import gate
from loaderbench.scenarios import suite as suites

ARMS = ("A", "A2", "S")
SLOWDOWN = 0.15


def measure(rounds: int, steps: int, out: Path) -> dict[str, dict[str, list[float]]]:
    suite = suites.load("ci")
    prepared = prepare(suite.dataset)
    plain = resolve(suites.select(suite.scenarios, repeats=1, steps=steps))
    slow = resolve(suites.select(suite.scenarios, repeats=1, steps=steps, slowdown=SLOWDOWN))
    arms = {"A": plain, "A2": plain, "S": slow}
    found: dict[str, dict[str, list[float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(rounds):
            for j, s in enumerate(plain):
                if s.loader == "synthetic":
                    continue
                for arm in ARMS[i % 3:] + ARMS[:i % 3]:  # rotate who goes first
                    result = runner.run_scenario(arms[arm][j], prepared, Path(tmp))
                    times = gate.groups(result.steps)[0]
                    found.setdefault(s.name, {}).setdefault(arm, []).append(float(times.mean()))
            out.write_text(json.dumps(found))
            print(f"round {i + 1}/{rounds}", file=sys.stderr, flush=True)
    return found


def table(found: dict[str, dict[str, list[float]]]) -> str:
    rows = []
    for name, by_arm in found.items():
        a, a2, s = (np.log(np.array(by_arm[k])) for k in ARMS)
        rows.append([name, len(a), f"±{a.std(ddof=1):.1%}", f"±{(a2 - a).std(ddof=1):.1%}",
                     f"{np.expm1((s - a).mean()):+.1%}", f"±{(s - a).std(ddof=1):.1%}"])
    return tabulate(rows, headers=["scenario", "rounds", "one process sd", "A2-A sd",
                                   "S-A mean", "S-A sd"], tablefmt="github",
                    disable_numparse=True)


def one_forked(job) -> float:
    """Mean step time of `job` run in a child forked from this process."""
    import os

    from loaderbench.harness import worker

    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: run the repeat, send its mean step time, leave at once
        os.close(read)
        result = worker.execute(job)
        os.write(write, json.dumps(float(gate.groups(result.steps)[0].mean())).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        value = json.loads(pipe.read())
    os.waitpid(pid, 0)
    return value


def fork_vs_fresh(loader: str, rounds: int, steps: int) -> str:
    import time

    import pandas  # noqa: F401 - the fork server's imports, paid once
    import pyarrow.parquet  # noqa: F401
    import sklearn  # noqa: F401
    import torch  # noqa: F401

    from loaderbench.harness.protocol import Job

    suite = suites.load("ci")
    prepared = prepare(suite.dataset)
    s = next(x for x in resolve(suites.select(suite.scenarios, repeats=1, steps=steps))
             if x.loader == loader)
    job = Job(scenario=s, repeat=0, source=prepared.source.to_dict(),
              preprocessor=str(prepared.preprocessor_path), n_classes=prepared.n_classes)
    means: dict[str, list[float]] = {"forked": [], "fresh": []}
    seconds: dict[str, list[float]] = {"forked": [], "fresh": []}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(rounds):
            for kind in ("forked", "fresh")[::1 if i % 2 == 0 else -1]:
                t = time.perf_counter()
                means[kind].append(one_forked(job) if kind == "forked" else float(
                    gate.groups(runner.run_job(job, Path(tmp)).steps)[0].mean()))
                seconds[kind].append(time.perf_counter() - t)
    rows = [[kind, s.name, len(v), f"{np.exp(np.log(v).mean()) * 1e3:.2f}",
             f"±{np.log(v).std(ddof=1):.1%}", f"{np.median(seconds[kind]):.1f}"]
            for kind, v in means.items()]
    return tabulate(rows, headers=["repeat", "scenario", "processes", "mean step ms",
                                   "one process sd", "s a process"], tablefmt="github",
                    disable_numparse=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path)
    p.add_argument("--rounds", type=int, default=8)
    p.add_argument("--steps", type=int, default=60)
    p.add_argument("--report-only", action="store_true")
    p.add_argument("--fork-vs-fresh", metavar="LOADER", help="forked vs fresh repeats")
    a = p.parse_args(argv)
    if a.fork_vs_fresh:
        print(fork_vs_fresh(a.fork_vs_fresh, a.rounds, a.steps))
        return 0
    if a.out is None:
        p.error("--out is required (except with --fork-vs-fresh)")
    found = json.loads(a.out.read_text()) if a.report_only else \
        measure(a.rounds, a.steps, a.out)
    print(table(found))
    return 0


if __name__ == "__main__":
    sys.exit(main())
