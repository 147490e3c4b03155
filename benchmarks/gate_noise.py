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


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--rounds", type=int, default=8)
    p.add_argument("--steps", type=int, default=60)
    p.add_argument("--report-only", action="store_true")
    a = p.parse_args(argv)
    found = json.loads(a.out.read_text()) if a.report_only else \
        measure(a.rounds, a.steps, a.out)
    print(table(found))
    return 0


if __name__ == "__main__":
    sys.exit(main())
