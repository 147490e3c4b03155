"""The comparison table of one run, rendered with tabulate.

Speedup compares samples/s (rows per second), so scenarios at different batch sizes compare
fairly; at equal batch size it equals the steps/s ratio. The baseline is the slowest scenario
on the same device, or the slowest of the `--baseline` loader there.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from tabulate import tabulate, tabulate_formats

from loaderbench.errors import UsageError
from loaderbench.results.ceilings import scenario_marks
from loaderbench.results.schema import RunResult, ScenarioResult

HEADERS = ("scenario", "device", "steps/s", "samples/s", "ms/step p50", "p90", "data wait",
           "speedup", "checks")
SETUP_NOTE_S = 0.1


def fmt(value: float | None, digits: int = 3) -> str:
    """A number with about `digits` significant figures and thousands separators."""
    if value is None:
        return "-"
    if abs(value) >= 10 ** (digits - 1):
        return f"{value:,.0f}"
    return f"{value:.{digits}g}"


def check_format(name: str) -> str:
    if name not in tabulate_formats:
        raise UsageError(f"unknown table format {name!r}; choose one of "
                         f"{', '.join(sorted(tabulate_formats))}")
    return name


def checks_cell(result: ScenarioResult) -> str:
    """Coverage and value checks in a few words; failures loudly."""
    checks = result.checks or {}
    words = []
    if checks.get("duplicates"):
        words.append(f"DUPLICATES {checks['duplicates']:,}")
    if checks.get("missing"):
        words.append(f"MISSING {checks['missing']:,}")
    if checks.get("values") == "mismatch":
        words.append("VALUES WRONG")
    if checks.get("contract") not in (None, "ok"):
        words.append("CONTRACT BROKEN")
    if words:
        return ", ".join(words)
    parts = [f"coverage {checks.get('coverage', '-')}", f"values {checks.get('values', '-')}"]
    return "; ".join(parts)


def baselines(run: RunResult, loader: str | None) -> dict[str, float]:
    """Per device, the samples/s that speedups are relative to."""
    out: dict[str, float] = {}
    for s in run.scenarios:
        rate = samples_rate(s.metrics) if s.ok else None
        if rate is None or (loader and s.loader != loader):
            continue
        out[s.device] = min(out.get(s.device, rate), rate)
    return out


def samples_rate(m: dict) -> float | None:
    """The headline samples/s (stats.headline), or the steady rate of an older file."""
    return m.get("headline_samples_per_s", m.get("samples_per_s"))


def row(result: ScenarioResult, base: float | None, marked: bool = False) -> list[str]:
    m = result.metrics
    if not result.ok and not m.get("samples_per_s"):
        return [result.name, result.device, result.status.upper(), "-", "-", "-", "-", "-",
                result.reason or "-"]
    rate = samples_rate(m)
    speed = f"{fmt(rate / base)}x" if rate and base else "-"
    steps = fmt(m.get("steps_per_s")) + (" ~" if m.get("unstable") else "")
    wait = m.get("data_wait_fraction")
    status = "" if result.ok else f"{result.status.upper()}: "
    return [result.name, result.device, steps, fmt(rate) + (" !" if marked else ""),
            fmt(m.get("step_ms_p50")),
            fmt(m.get("step_ms_p90")), "-" if wait is None else f"{wait:.0%}", speed,
            status + checks_cell(result)]


def render(run: RunResult, fmt_name: str = "github", baseline: str | None = None) -> str:
    """The run's comparison table, plus footnotes for what the cells cannot say."""
    base = baselines(run, baseline)
    if baseline and not base:
        raise UsageError(f"--baseline {baseline!r} names no loader that ran ok in this run")
    marks = {(s.name, s.device): scenario_marks(run, s) for s in run.scenarios if s.ok}
    rows = [row(s, base.get(s.device), bool(marks.get((s.name, s.device))))
            for s in run.scenarios]
    text = tabulate(rows, headers=HEADERS, tablefmt=check_format(fmt_name),
                    disable_numparse=True, colalign=_align())
    notes = [f"! {name} [{device}]: {reason}" for (name, device), reasons in marks.items()
             for reason in reasons]
    return text + footnotes(run.scenarios, baseline, notes)


def _align() -> Sequence[str]:
    return ("left", "left", "right", "right", "right", "right", "right", "right", "left")


def footnotes(scenarios: Sequence[ScenarioResult], baseline: str | None,
              marks: Sequence[str] = ()) -> str:
    notes = [f"speedup: samples/s relative to the slowest "
             f"{'`' + baseline + '` scenario' if baseline else 'scenario'} on the same device"]
    if any(s.metrics.get("headline") == "whole-epoch" for s in scenarios):
        notes.append("samples/s: the lower of the steady rate (counted steps) and the "
                     "whole-epoch rate (complete epochs, start-up included)")
    notes += list(marks)
    notes += [f"~ {s.name} [{s.device}] unstable: {s.metrics.get('unstable_reason') or 'spread'}"
              "; rerun with more steps or repeats" for s in scenarios if s.metrics.get("unstable")]
    notes += [f"{s.name} [{s.device}]: {s.status} - {s.reason}" for s in scenarios
              if not s.ok and s.reason]
    setups = setup_note(scenarios)
    return "\n" + "\n".join(notes + ([setups] if setups else []))


def setup_s(result: ScenarioResult) -> float | None:
    """The loader's set-up time (the median over repeats), or None if not recorded."""
    value = result.timing.get("setup_s")
    values = [v for v in (value if isinstance(value, list) else [value]) if v is not None]
    return float(statistics.median(values)) if values else None


def setup_note(scenarios: Sequence[ScenarioResult]) -> str:
    """Set-up times of at least SETUP_NOTE_S (reading a whole dataset, say): not in the rates."""
    lines = [f"  {s.name} [{s.device}]: {setup_s(s):.2f} s" for s in scenarios
             if (setup_s(s) or 0.0) >= SETUP_NOTE_S]
    if not lines:
        return ""
    return "\n".join(["set-up, timed apart from the steps (not in the rates):", *lines])
