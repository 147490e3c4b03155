"""The details table (`--details`): where each scenario stands against the machine's own
ceilings, what it cost to start, and what it used.

% scan    the scenario's rows/s as a share of a raw PyArrow scan of the same files and columns
          (no preprocessing): how close to "just reading" it gets. With the `none` step it
          is the loader's own rate; with a real step, compute counts too
% pinned  its host-to-device GB/s as a share of a pinned copy of a batch of the same shape,
          measured in the run's calibration (CUDA rows only)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from loaderbench.results.ceilings import above_pinned
from loaderbench.results.columns import DEVICE, FIGURES, SCENARIO, Cell, Column, aligns, cells, fmt
from loaderbench.results.columns import headers as headers_of
from loaderbench.results.formats import table
from loaderbench.results.schema import RunResult, ScenarioResult

BOOKKEEPING_NOTE_ABOVE = 0.05


def percent(part: float | None, whole: float | None) -> str:
    if part is None or not whole:
        return "-"
    return f"{fmt(100 * part / whole, 2)}%"


def ci_cell(c: Cell) -> str:
    m = c.result.metrics
    if m.steps_per_s is None:
        return "-"
    low, high = m.steps_per_s_ci_low, m.steps_per_s_ci_high
    return fmt(m.steps_per_s) + (f" ({fmt(low)}–{fmt(high)})" if low is not None else "")


def pinned_ceiling(run: RunResult, result: ScenarioResult) -> float | None:
    """The calibration's pinned GB/s for a batch of this scenario's size on its device."""
    device = (run.calibration.get("devices") or {}).get(result.device) or {}
    by_size = device.get("h2d_pinned_gbps_by_bytes") or {}
    return by_size.get(str(result.metrics.batch_bytes))


def scan_cell(c: Cell) -> str:
    """rows/s as a share of the raw scan; only for loaders that read the dataset."""
    reads = c.result.checks is None or c.result.checks.covers_dataset
    scan = c.run.calibration.get("scan_rows_per_s") if reads else None
    return percent(c.result.metrics.samples_per_s, scan)


def pinned_cell(c: Cell) -> str:
    if c.result.device != "cuda":
        return "-"
    pinned = pinned_ceiling(c.run, c.result)
    mark = " !" if above_pinned(c.result.metrics, pinned) else ""
    return percent(c.result.metrics.h2d_gbps, pinned) + mark


def transfer_cell(c: Cell) -> str:
    transfer = c.result.transfer
    return "-" if transfer is None else transfer.describe(c.result.device)


COLUMNS: tuple[Column, ...] = (
    SCENARIO, DEVICE, Column("steps/s (95% CI)", ci_cell), FIGURES["step_ms_p99"],
    FIGURES["first_batch_s"], FIGURES["setup_s"], FIGURES["epoch_s"],
    Column("% scan", scan_cell), FIGURES["h2d_gbps"], Column("% pinned", pinned_cell),
    Column("transfer", transfer_cell, "left"),
    Column("peak RSS MiB", lambda c: fmt(c.result.resources.peak_rss)),
    Column("CPU cores", lambda c: fmt(c.result.resources.cores_busy)),
)


def row(cell: Cell) -> list[str]:
    result = cell.result
    if not result.metrics.counted_steps:
        return [result.name, result.device, result.status.upper(), *["-"] * (len(COLUMNS) - 3)]
    return cells(COLUMNS, cell)


def render_details(run: RunResult, fmt_name: str = "github") -> str:
    rows = [row(Cell(run, s)) for s in run.scenarios]
    return table(fmt_name, headers_of(COLUMNS), rows, aligns(COLUMNS), notes(run))


def notes(run: RunResult) -> list[str]:
    out = ["steps/s: throughput without warmup and without epoch 0's first step (later "
           "epochs' restarts count); 95% CI by bootstrap over windows of consecutive steps "
           "(and over repeats when there are several)",
           "first batch: epoch 0's wait for its first batch (worker start-up); setup: the "
           "loader's one-off setup; epoch: a whole epoch as the training loop sees it"]
    out += [measured(s) for s in run.scenarios if s.metrics.counted_steps]
    out += calibration_notes(run.calibration)
    out += timing_notes(run.scenarios)
    out += [note for s in run.scenarios if (note := between_steps(s))]
    return out


def between_steps(s: ScenarioResult) -> str | None:
    """What the work between steps cost, when it is more than a sliver of the loop: the
    checks' own share and, apart, the harness's records (step columns, device timing events,
    resource polls); files from before the split have only the sum."""
    m = s.metrics
    share = m.bookkeeping_fraction
    if share is None or share <= BOOKKEEPING_NOTE_ABOVE:
        return None
    where = f"{s.name} [{s.device}]: "
    tail = " of the loop's wall time (outside the timed steps; workers ran on meanwhile)"
    if m.checks_fraction is None:
        return f"{where}checks between steps took {share:.0%}{tail}"
    return (f"{where}the checks took {m.checks_fraction:.0%} and the harness's own records "
            f"between steps {max(0.0, share - m.checks_fraction):.0%}{tail}")


def measured(s: ScenarioResult) -> str:
    """What the scenario's rates were measured over."""
    m = s.metrics
    partial = " + a partial one" if (s.scenario or {}).get("epochs") is None else ""
    reads = f"; {m.reads_counted} slow (chunk-reading) steps counted" if m.reads_seen else ""
    seconds = f", {fmt(m.counted_s)} s" if m.counted_s is not None else ""
    return (f"{s.name} [{s.device}]: measured {m.counted_steps} steps{seconds}; "
            f"{m.epochs_complete} full epochs{partial}{reads}")


def size(nbytes: float) -> str:
    return f"{fmt(nbytes / 2**20)} MiB" if nbytes >= 2**20 else f"{fmt(nbytes / 2**10)} KiB"


def calibration_notes(cal: Mapping[str, Any]) -> list[str]:
    if not cal:
        return ["no calibration in this run (--no-calibrate): % scan and % pinned are blank"]
    if "error" in cal:
        return [f"calibration: {cal['error']}"]
    out = [f"calibration: host copy {fmt(cal.get('host_copy_gbps'))} GB/s; raw Parquet scan "
           f"{fmt(cal.get('scan_rows_per_s'))} rows/s (= 100% scan; compute counts in a "
           "scenario's rows/s, so step `none` shows the loader's own share)"]
    for name, dev in sorted((cal.get("devices") or {}).items()):
        parts = [f"{kind} {fmt(dev.get(f'h2d_{kind}_gbps_large'))} GB/s at 64 MiB, "
                 f"{fmt(dev.get(f'h2d_{kind}_gbps_batch'))} GB/s at "
                 f"{size(dev.get('batch_bytes') or 0)} (the most common batch)"
                 for kind in ("pinned", "pageable") if f"h2d_{kind}_gbps_large" in dev]
        out.append(f"{name} host-to-device: " + "; ".join(parts))
    return out


def timing_notes(scenarios: Sequence[ScenarioResult]) -> list[str]:
    """How each device's steps were timed, once per device."""
    seen: dict[str, str] = {}
    for s in scenarios:
        t = s.timing
        if s.device in seen or not t.sync:
            continue
        events = t.device_timer
        extra = f"; {events} beside it (JSON: *_dev_*)" if events and events != "none" else ""
        seen[s.device] = f"timed on {s.device}: {t.clock} after sync = {t.sync}{extra}"
    return list(seen.values())
