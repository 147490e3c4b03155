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

from tabulate import tabulate

from loaderbench.results.ceilings import above_pinned, reads_dataset
from loaderbench.results.schema import RunResult, ScenarioResult
from loaderbench.results.tables import check_format, fmt

HEADERS = ("scenario", "device", "steps/s (95% CI)", "p99 ms", "first batch s", "setup s",
           "epoch s", "% scan", "H2D GB/s", "% pinned", "transfer", "peak RSS MiB",
           "CPU cores")
ALIGN = ("left", "left", "right", "right", "right", "right", "right", "right", "right",
         "right", "left", "right", "right")
BOOKKEEPING_NOTE_ABOVE = 0.05


def percent(part: float | None, whole: float | None) -> str:
    if part is None or not whole:
        return "-"
    return f"{fmt(100 * part / whole, 2)}%"


def ci_cell(m: Mapping[str, Any]) -> str:
    rate, low, high = (m.get(k) for k in ("steps_per_s", "steps_per_s_ci_low",
                                          "steps_per_s_ci_high"))
    if rate is None:
        return "-"
    return fmt(rate) + (f" ({fmt(low)}–{fmt(high)})" if low is not None else "")


def pinned_ceiling(run: RunResult, result: ScenarioResult) -> float | None:
    """The calibration's pinned GB/s for a batch of this scenario's size on its device."""
    device = (run.calibration.get("devices") or {}).get(result.device) or {}
    by_size = device.get("h2d_pinned_gbps_by_bytes") or {}
    return by_size.get(str(result.metrics.get("batch_bytes")))


def transfer_cell(result: ScenarioResult) -> str:
    pinning = (result.timing or {}).get("pinning")
    if not pinning or pinning.startswith("n/a"):
        return pinning or "-"
    nb = ", non_blocking" if result.timing.get("non_blocking") else ""
    return {"none": "pageable"}.get(pinning, f"{pinning} pin") + nb


def row(run: RunResult, result: ScenarioResult) -> list[str]:
    m, res = result.metrics, result.resources or {}
    if not m.get("counted_steps"):
        return [result.name, result.device, result.status.upper(), *["-"] * (len(HEADERS) - 3)]
    scan = run.calibration.get("scan_rows_per_s") if reads_dataset(result) else None
    gbps = m.get("h2d_gbps")
    return [result.name, result.device, ci_cell(m), fmt(m.get("step_ms_p99")),
            fmt(m.get("first_batch_s")), fmt(m.get("setup_s")), fmt(m.get("epoch_s")),
            percent(m.get("samples_per_s"), scan), fmt(gbps),
            _pinned_cell(m, pinned_ceiling(run, result)) if result.device == "cuda" else "-",
            transfer_cell(result), fmt(res.get("peak_rss_mib")), fmt(res.get("cpu_cores_busy"))]


def _pinned_cell(m: Mapping[str, Any], pinned: float | None) -> str:
    return percent(m.get("h2d_gbps"), pinned) + (" !" if above_pinned(m, pinned) else "")


def render_details(run: RunResult, fmt_name: str = "github") -> str:
    rows = [row(run, s) for s in run.scenarios]
    text = tabulate(rows, headers=HEADERS, tablefmt=check_format(fmt_name),
                    disable_numparse=True, colalign=ALIGN)
    return text + "\n" + "\n".join(notes(run))


def notes(run: RunResult) -> list[str]:
    out = ["steps/s: throughput without warmup and without epoch 0's first step (later "
           "epochs' restarts count); 95% CI by bootstrap over windows of consecutive steps "
           "(and over repeats when there are several)",
           "first batch: epoch 0's wait for its first batch (worker start-up); setup: the "
           "loader's one-off setup; epoch: a whole epoch as the training loop sees it"]
    out += [measured(s) for s in run.scenarios if s.metrics.get("counted_steps")]
    out += calibration_notes(run.calibration)
    out += timing_notes(run.scenarios)
    for s in run.scenarios:
        share = s.metrics.get("bookkeeping_fraction")
        if share is not None and share > BOOKKEEPING_NOTE_ABOVE:
            out.append(f"{s.name} [{s.device}]: checks between steps took {share:.0%} of the "
                       "loop's wall time (outside the timed steps; workers ran on meanwhile)")
    return out


def measured(s: ScenarioResult) -> str:
    """What the scenario's rates were measured over."""
    m = s.metrics
    partial = " + a partial one" if (s.scenario or {}).get("epochs") is None else ""
    reads = f"; {m['reads_counted']} slow (chunk-reading) steps counted" \
        if m.get("reads_seen") else ""
    seconds = f", {fmt(m['counted_s'])} s" if m.get("counted_s") is not None else ""
    return (f"{s.name} [{s.device}]: measured {m['counted_steps']} steps{seconds}; "
            f"{m.get('epochs_complete', 0)} full epochs{partial}{reads}")


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
                 f"{size(dev.get('batch_bytes', 0))} (the most common batch)"
                 for kind in ("pinned", "pageable") if f"h2d_{kind}_gbps_large" in dev]
        out.append(f"{name} host-to-device: " + "; ".join(parts))
    return out


def timing_notes(scenarios: Sequence[ScenarioResult]) -> list[str]:
    """How each device's steps were timed, once per device."""
    seen: dict[str, str] = {}
    for s in scenarios:
        t = s.timing or {}
        if s.device in seen or "sync" not in t:
            continue
        events = t.get("device_timer")
        extra = f"; {events} beside it (JSON: *_dev_*)" if events and events != "none" else ""
        seen[s.device] = f"timed on {s.device}: {t.get('clock')} after sync = {t['sync']}{extra}"
    return list(seen.values())
