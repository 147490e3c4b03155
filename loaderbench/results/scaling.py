"""The scaling view: steps/s and data wait against workers or threads, per loader and loop.

Each row is one scenario of a parallelism grid (`workers`, `num_workers`, `threads`), shown
against the `synthetic` yardstick of the same run, device and loop mode: a user sees where a
loader stops scaling (steps/s flat while CPU cores busy still climbs) and whether it reaches
the yardstick. GPU busy is the share of the loop's step time the device spent on the
training step (CUDA events), where the run measured it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from loaderbench.results.columns import fmt
from loaderbench.results.formats import table
from loaderbench.results.schema import RunResult, ScenarioResult

KNOBS = ("workers", "num_workers", "threads")
YARDSTICK = "synthetic"


@dataclass(frozen=True)
class ScalingRow:
    loader: str
    loop: str
    device: str
    knob: str
    value: int | None
    steps_per_s: float | None
    rows_per_s: float | None
    wall_rows_per_s: float | None
    of_yardstick: float | None
    data_wait: float | None
    gpu_busy: float | None
    cores_busy: float | None
    checks_share: float | None
    of_scan: float | None
    of_dict_scan: float | None
    name: str


def loop_of(result: ScenarioResult) -> str:
    return str(result.scenario.get("loop") or result.timing.loop)


def knob_of(result: ScenarioResult) -> tuple[str, int | None]:
    """The grid's parallelism setting: the first of KNOBS that is above 0, else none."""
    for knob in KNOBS:
        value = result.options.get(knob)
        if isinstance(value, int) and value > 0:
            return knob, value
    return "-", None


def yardsticks(run: RunResult) -> dict[tuple[str, str], float]:
    """The best `synthetic` steps/s per (device, loop)."""
    best: dict[tuple[str, str], float] = {}
    for r in run.scenarios:
        if r.loader == YARDSTICK and r.status == "ok":
            key = (r.device, loop_of(r))
            best[key] = max(best.get(key, 0.0), r.metrics.steps_per_s or 0.0)
    return best


def gpu_busy(result: ScenarioResult) -> float | None:
    steps = result.steps
    if not steps.compute_dev_s or len(steps.compute_dev_s) != len(steps):
        return None
    counted = steps.counted()
    wall = sum(steps.step_s()[i] for i in counted)
    return sum(steps.compute_dev_s[i] for i in counted) / wall if wall else None


def wall_rate(result: ScenarioResult) -> float | None:
    """Rows over the loop's wall time, checks and start-up included: with step none, a loader
    whose workers fill batches while the checks run looks faster by its steps alone."""
    loop_s = sum(result.timing.loop_s)
    return sum(result.steps.rows) / loop_s if loop_s else None


def scaling_rows(run: RunResult, loaders: Sequence[str] | None = None) -> list[ScalingRow]:
    best = yardsticks(run)
    scan = run.calibration.get("scan_rows_per_s")
    dict_scan = run.calibration.get("scan_rows_per_s_dictionary")
    rows = []
    for r in run.scenarios:
        if r.status != "ok" or (loaders and r.loader not in loaders):
            continue
        knob, value = knob_of(r)
        yard = best.get((r.device, loop_of(r)))
        m = r.metrics
        rows.append(ScalingRow(r.loader, loop_of(r), r.device, knob, value, m.steps_per_s,
                               m.samples_per_s, wall_rate(r),
                               m.steps_per_s / yard if yard and m.steps_per_s else None,
                               m.data_wait_fraction, gpu_busy(r), r.resources.cores_busy,
                               m.checks_fraction if m.checks_fraction is not None
                               else m.bookkeeping_fraction,
                               _ratio(wall_rate(r), scan), _ratio(wall_rate(r), dict_scan),
                               r.name))
    return sorted(rows, key=lambda x: (x.device, x.loop, x.loader, x.knob, x.value or 0))


def _ratio(value: float | None, base: float | None) -> float | None:
    return value / base if value is not None and base else None


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def render_scaling(run: RunResult, loaders: Sequence[str] | None = None,
                   fmt_name: str = "github") -> str:
    headers = ["scenario", "loop", "device", "steps/s", "x yardstick", "data wait",
               "GPU busy", "CPU cores", "checks", "rows/s", "wall rows/s", "% scan",
               "% dict scan"]
    body = [[r.name, r.loop, r.device, fmt(r.steps_per_s),
             "-" if r.of_yardstick is None else f"{r.of_yardstick:.2f}",
             _pct(r.data_wait), _pct(r.gpu_busy),
             "-" if r.cores_busy is None else f"{r.cores_busy:.1f}", _pct(r.checks_share),
             fmt(r.rows_per_s), fmt(r.wall_rows_per_s), _pct(r.of_scan), _pct(r.of_dict_scan)]
            for r in scaling_rows(run, loaders)]
    notes = ("x yardstick: steps/s over the best `synthetic` scenario's of the same device and "
             "loop; GPU busy: device time of the training step over the step's wall time "
             "(CUDA events); checks: the checks' own share of the loop's wall time, outside "
             "the timed steps (older files: all work between steps); wall rows/s: rows over "
             "the loop's wall time, checks and start-up included; % scan: wall rows/s over "
             "the run's raw Parquet scans (strings, dictionaries)")
    return table(fmt_name, headers, body, notes=[notes])
