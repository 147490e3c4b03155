"""The comparison table of one run: its columns (specs, see columns.py) and footnotes.

Speedup compares samples/s (rows per second), so scenarios at different batch sizes compare
fairly; at equal batch size it equals the steps/s ratio. The baseline is the slowest scenario
on the same device, or the slowest of the `--baseline` loader there.
"""

from __future__ import annotations

from collections.abc import Sequence

from loaderbench.errors import UsageError
from loaderbench.results.ceilings import scenario_marks
from loaderbench.results.columns import (
    DEVICE,
    FIGURES,
    SCENARIO,
    Cell,
    Column,
    aligns,
    cells,
    fmt,
    n_classes,
)
from loaderbench.results.columns import headers as headers_of
from loaderbench.results.formats import table
from loaderbench.results.ranks import rank_note
from loaderbench.results.records import ValueCheck
from loaderbench.results.schema import RunResult, ScenarioResult

SETUP_NOTE_S = 0.1


def checks_cell(result: ScenarioResult) -> str:
    """Coverage and value checks in a few words; failures loudly."""
    checks = result.checks
    if checks is None:
        return "coverage -; values -"
    words = []
    if checks.duplicates:
        words.append(f"DUPLICATES {checks.duplicates:,}")
    if checks.missing:
        words.append(f"MISSING {checks.missing:,}")
    if checks.values is ValueCheck.MISMATCH:
        words.append("VALUES WRONG")
    if checks.contract_error is not None:
        words.append("CONTRACT BROKEN")
    if checks.ranks is not None and checks.ranks.order_repeated:
        words.append("SAME ORDER EVERY EPOCH")
    if words:
        return ", ".join(words)
    return f"coverage {checks.coverage}; values {checks.values_text}"


def steps_cell(c: Cell) -> str:
    m = c.result.metrics
    return fmt(m.steps_per_s) + (" ~" if m.unstable else "")


def samples_rate(result: ScenarioResult) -> float | None:
    """The headline samples/s (stats.headline): the lower of steady and whole-epoch."""
    m = result.metrics
    return m.headline_samples_per_s if m.headline_samples_per_s is not None \
        else m.samples_per_s


def samples_cell(c: Cell) -> str:
    marked = c.result.ok and scenario_marks(c.run, c.result)
    return fmt(samples_rate(c.result)) + (" !" if marked else "")


def speedup_cell(c: Cell) -> str:
    rate = samples_rate(c.result)
    return f"{fmt(rate / c.base)}x" if rate and c.base else "-"


def status_checks_cell(c: Cell) -> str:
    status = "" if c.result.ok else f"{c.result.status.upper()}: "
    return status + checks_cell(c.result)


COLUMNS: tuple[Column, ...] = (
    SCENARIO, DEVICE, Column("steps/s", steps_cell), Column("samples/s", samples_cell),
    FIGURES["step_ms_p50"], FIGURES["step_ms_p90"], FIGURES["data_wait_fraction"],
    Column("speedup", speedup_cell), Column("checks", status_checks_cell, "left"),
)


def baselines(run: RunResult, loader: str | None) -> dict[str, float]:
    """Per device, the samples/s that speedups are relative to."""
    out: dict[str, float] = {}
    for s in run.scenarios:
        rate = samples_rate(s) if s.ok else None
        if rate is None or (loader and s.loader != loader):
            continue
        out[s.device] = min(out.get(s.device, rate), rate)
    return out


def row(cell: Cell) -> list[str]:
    """One scenario's cells; one that has no figures shows its status and reason."""
    result = cell.result
    if not result.ok and not result.metrics.samples_per_s:
        return [result.name, result.device, result.status.upper(),
                *["-"] * (len(COLUMNS) - 4), result.reason or "-"]
    return cells(COLUMNS, cell)


def render(run: RunResult, fmt_name: str = "github", baseline: str | None = None) -> str:
    """The run's comparison table, plus footnotes for what the cells cannot say."""
    base = baselines(run, baseline)
    if baseline and not base:
        raise UsageError(f"--baseline {baseline!r} names no loader that ran ok in this run")
    rows = [row(Cell(run, s, base.get(s.device))) for s in run.scenarios]
    return table(fmt_name, headers_of(COLUMNS), rows, aligns(COLUMNS),
                 footnotes(run, baseline) + data_note(run.dataset))


def data_note(dataset: dict) -> list[str]:
    """Which label the run trained on and how (older result files do not say)."""
    if "task" not in dataset:
        return []
    task = dataset["task"]
    what = n_classes(dataset.get("outputs")) if task == "classification" else "MSE head"
    dropped = dataset.get("dropped_null_labels") or 0
    drop = f"; {dropped:,} rows with a null label dropped" if dropped else ""
    return [f"data: {dataset.get('rows', 0):,} rows; label {dataset['label']!r}: {task} "
            f"({what}); rows identified by {dataset.get('row_id')}{drop}"]


def footnotes(run: RunResult, baseline: str | None) -> list[str]:
    scenarios = run.scenarios
    notes = [f"speedup: samples/s relative to the slowest "
             f"{'`' + baseline + '` scenario' if baseline else 'scenario'} on the same device"]
    if any(s.metrics.headline == "whole-epoch" for s in scenarios):
        notes.append("samples/s: the lower of the steady rate (counted steps) and the "
                     "whole-epoch rate (complete epochs, start-up included)")
    notes += [f"! {s.name} [{s.device}]: {reason}" for s in scenarios if s.ok
              for reason in scenario_marks(run, s)]
    notes += [f"~ {s.name} [{s.device}] unstable: {s.metrics.unstable_reason or 'spread'}"
              "; rerun with more steps or repeats" for s in scenarios if s.metrics.unstable]
    notes += [f"{s.name} [{s.device}]: {s.status} - {s.reason}" for s in scenarios
              if not s.ok and s.reason]
    ranks = [note for note in map(rank_note, scenarios) if note]
    notes += ["ranks: job samples/s = all ranks' rows / the slowest rank's time", *ranks] \
        if ranks else []
    setups = setup_note(scenarios)
    return notes + ([setups] if setups else [])


def setup_note(scenarios: Sequence[ScenarioResult]) -> str:
    """Set-up times of at least SETUP_NOTE_S (reading a whole dataset, say): not in the rates."""
    lines = [f"  {s.name} [{s.device}]: {s.metrics.setup_s:.2f} s" for s in scenarios
             if (s.metrics.setup_s or 0.0) >= SETUP_NOTE_S]
    if not lines:
        return ""
    return "\n".join(["set-up, timed apart from the steps (not in the rates):", *lines])
