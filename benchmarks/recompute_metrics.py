"""Recompute the metrics of result files from their raw steps, with this loaderbench's rules.

    python benchmarks/recompute_metrics.py results/*.json

Metrics are always derived from the raw step times a file keeps; when the rules that derive
them change (as when later epochs' first steps started to count), this brings committed
files up to date without rerunning anything. Files are rewritten atomically.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from loaderbench.results.stats import scenario_metrics
from loaderbench.results.store import load, save
from loaderbench.scenarios.dataset import batch_row_bytes


def recompute(path: Path) -> int:
    run = load(path)
    row_bytes = batch_row_bytes(run.dataset["numeric"] + run.dataset["categorical"])
    scenarios = tuple(
        s.with_(metrics=scenario_metrics(s.steps, s.timing, row_bytes, s.device))
        if len(s.steps) else s for s in run.scenarios)
    save(replace(run, scenarios=scenarios), path)
    return len(scenarios)


def main(argv: list[str]) -> int:
    for name in argv:
        print(f"{name}: {recompute(Path(name))} scenarios")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
