"""Benchmark for issue 5: `arrow-native` against the raw Parquet scan and `vectorized`.

Runs the real harness (a calibration process, then one fresh worker process per scenario
repeat, every check on) on the default dataset (DatasetSpec() defaults: 200,000 rows x 252
columns, generated once into the loaderbench cache), step "none", on the CPU (--device to
change it), and prints
each scenario's rows/s as % of the two scan rates the calibration measured and as a multiple
of `vectorized`:

    python3 benchmarks/arrow_native.py --out DIR [--epochs 3] [--repeats 2] [--threads 2,16]

Writes DIR/arrow_native.json (the run, loadable by `loaderbench report`),
DIR/arrow_native.md (the table) and DIR/scan_after.json (the scan measured again after the
scenarios: on a shared machine the two differ, and the table says so). rows/s is the
harness's samples/s (warmup and epoch 0's first step left out; later epochs' restarts count);
"epoch rows/s" divides the rows by whole epoch times, start-up included, closer to how the
scan is timed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tabulate import tabulate

from loaderbench.harness import runner
from loaderbench.harness.planning import batch_bytes, resolve_options
from loaderbench.harness.prepare import prepare
from loaderbench.loaders.arrow_native import ArrowNativeOptions
from loaderbench.results.schema import RunResult, ScenarioResult
from loaderbench.scenarios.dataset import DatasetSpec
from loaderbench.scenarios.scenario import Scenario

BATCH = 4096
GOAL_SCAN = 0.50
GOAL_VECTORIZED = 10.0


def variants(threads: list[int]) -> list[tuple[str, str, dict]]:
    """(name, loader, options) of every scenario: the baselines, the default, then each kind
    of parallelism: PyArrow's threads alone, Python threads, DataLoader workers."""
    default = ArrowNativeOptions().threads
    many = max(threads)
    out = [("vectorized", "vectorized", {}),
           ("vectorized columns=needed", "vectorized", {"columns": "needed"}),
           ("arrow-native", "arrow-native", {}),
           ("arrow-native threads=0", "arrow-native", {"threads": 0}),
           ("arrow-native threads=0 use_threads=False", "arrow-native",
            {"threads": 0, "use_threads": False})]
    out += [(f"arrow-native threads={n}", "arrow-native", {"threads": n})
            for n in threads if n != default]
    if many > 2:  # many cores: PyArrow's own pool inside each thread, or not?
        out.append((f"arrow-native threads={many} use_threads=False", "arrow-native",
                    {"threads": many, "use_threads": False}))
    out += [(f"arrow-native num_workers={n} threads=0", "arrow-native",
             {"num_workers": n, "threads": 0}) for n in threads]
    if many > 2:
        out.append((f"arrow-native num_workers={many} threads=0 use_threads=False",
                    "arrow-native", {"num_workers": many, "threads": 0, "use_threads": False}))
    return out


def scenarios(args: argparse.Namespace) -> list[Scenario]:
    threads = sorted({int(t) for t in args.threads.split(",") if int(t) > 0})
    return [Scenario(name=name, loader=loader, options={"batch_size": BATCH, **options},
                     device=args.device, step=args.step, steps=None, epochs=args.epochs,
                     warmup=5, repeats=args.repeats)
            for name, loader, options in variants(threads)]


def epoch_rate(result: ScenarioResult, rows: int) -> float | None:
    epochs = result.timing.epoch_s
    return rows * len(epochs) / sum(epochs) if epochs else None


def pct(rate: float | None, ceiling: float | None) -> str:
    return f"{rate / ceiling:.0%}" if rate and ceiling else "-"


def table_rows(run: RunResult) -> list[list[str]]:
    cal, rows = run.calibration, run.dataset["rows"]
    base = run.scenario("vectorized")
    base_rate = base.metrics.samples_per_s if base and base.ok else None
    out = []
    for s in run.scenarios:
        rate = s.metrics.samples_per_s if s.ok else None
        times = f"{rate / base_rate:.1f}x" if rate and base_rate else "-"
        verdict = (f"{s.checks.coverage}; values {s.checks.values_text}" if s.ok and s.checks
                   else f"{s.status.upper()}: {s.reason}")
        out.append([s.name, f"{rate:,.0f}" if rate else "-",
                    f"{epoch_rate(s, rows) or 0:,.0f}", pct(rate, cal.get("scan_rows_per_s")),
                    pct(rate, cal.get("scan_rows_per_s_dictionary")), times, verdict])
    return out


def goals(run: RunResult) -> list[str]:
    """The issue's two goals, judged for the default arrow-native and the best variant."""
    scan = run.calibration.get("scan_rows_per_s")
    base = run.scenario("vectorized")
    base_rate = base.metrics.samples_per_s if base and base.ok else None
    rated = [(s.metrics.samples_per_s, s.name) for s in run.scenarios
             if s.ok and s.loader == "arrow-native" and s.metrics.samples_per_s]
    if not rated or not scan or not base_rate:
        return ["goals: not judged (a scenario or the calibration failed)"]
    if any(s.step != "none" for s in run.scenarios):
        return ["goals: not judged (they are stated for step none)"]
    default = next((r for r in rated if r[1] == "arrow-native"), max(rated))
    lines = []
    for label, (rate, name) in (("default", default), ("best", max(rated))):
        ok = rate >= GOAL_SCAN * scan and rate >= GOAL_VECTORIZED * base_rate
        lines.append(f"{label} ({name}): {rate / scan:.0%} of the scan (goal >= "
                     f"{GOAL_SCAN:.0%}), {rate / base_rate:.1f}x vectorized (goal >= "
                     f"{GOAL_VECTORIZED:g}x): {'met' if ok else 'NOT met'}")
    return lines


def noise_note(before: dict, after: dict) -> list[str]:
    """The scan measured again after the scenarios: how far the ratios can be trusted."""
    a, b = before.get("scan_rows_per_s"), after.get("scan_rows_per_s")
    if not a or not b:
        return ["raw scan after the scenarios: not measured"]
    spread = abs(a - b) / min(a, b)
    line = (f"raw scan after the scenarios: {b:,.0f} rows/s with strings, "
            f"{after.get('scan_rows_per_s_dictionary', 0):,.0f} with dictionaries "
            f"({spread:.0%} from before)")
    if spread > 0.2:
        line += "; the machine's load changed during the run: the % columns are indicative"
    return [line]


def render(run: RunResult, after: dict) -> str:
    cal, env = run.calibration, run.env
    headers = ["scenario", "rows/s", "epoch rows/s", "% scan (strings)", "% scan (dict)",
               "x vectorized", "checks"]
    libs = env.get("libraries", {})
    head = [f"machine: {env.get('cpu', '?')}, {env.get('cores_usable')} usable cores; python "
            f"{env.get('python')}, pyarrow {libs.get('pyarrow')}, numpy {libs.get('numpy')}, "
            f"torch {libs.get('torch')}",
            f"dataset: {run.dataset.get('rows'):,} rows, {run.dataset.get('files')} files; "
            f"batch {BATCH}, step {run.scenarios[0].step if run.scenarios else '-'}",
            f"raw scan (calibration): {cal.get('scan_rows_per_s', 0):,.0f} rows/s with "
            f"strings, {cal.get('scan_rows_per_s_dictionary', 0):,.0f} rows/s with "
            "dictionaries", *noise_note(cal, after), ""]
    table = tabulate(table_rows(run), headers=headers, tablefmt="github",
                     disable_numparse=True)
    return "\n".join([*head, table, "", *goals(run)]) + "\n"


def usable_cores() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="folder for the JSON and table")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--step", default="none",
                        help="training step (the goals are judged with none; sleep:2 shows "
                             "what overlapping the loader with a GPU-like step gains)")
    parser.add_argument("--threads", default=f"2,{usable_cores()}",
                        help="comma-separated counts for the threads and num_workers variants")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    chosen = resolve_options(scenarios(args))
    prepared = prepare(DatasetSpec())
    run = runner.new_run("benchmarks/arrow_native", prepared)
    sizes = batch_bytes(chosen, len(prepared.source.roles.features))
    run = runner.run_all(run, chosen, prepared, out=args.out / "arrow_native.json",
                         progress=lambda label, done, total: print(
                             f"[{done}/{total}] {label}", file=sys.stderr, flush=True))
    with tempfile.TemporaryDirectory(prefix="loaderbench-") as tmp:
        after = runner.calibrate(prepared, sizes, ["cpu"], Path(tmp))
    (args.out / "scan_after.json").write_text(json.dumps(after, indent=1, sort_keys=True))
    text = render(run, after)
    (args.out / "arrow_native.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
