"""The one place where plots, the HTML report, exports and summaries read a result file.

Everything in plots.py, html.py, export.py, summary.py and normalize.py reads a run through
these flat, frozen views, never through the stored record's fields: when the record's shape
changes, this file is the one to adapt.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loaderbench.results.schema import RunResult, ScenarioResult
from loaderbench.results.store import load
from loaderbench.results.tables import checks_cell


@dataclass(frozen=True)
class Entry:
    """One scenario as the reports see it. Rates are None where the scenario has none."""

    name: str
    loader: str
    device: str
    status: str
    reason: str
    options: Mapping[str, Any]
    samples_per_s: float | None
    steps_per_s: float | None
    steps_ci: tuple[float, float] | None
    wait_fraction: float | None
    transfer_fraction: float | None
    step_ms_p50: float | None
    checks: str
    unstable: str | None
    step_times_s: tuple[float, ...] = ()   # counted steps only, in the order run

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def key(self) -> tuple[str, str]:
        return (self.name, self.device)

    @property
    def samples_ci(self) -> tuple[float, float] | None:
        """samples/s interval, scaled from the steps/s interval (rows per step fixed)."""
        if not (self.steps_ci and self.steps_per_s and self.samples_per_s):
            return None
        scale = self.samples_per_s / self.steps_per_s
        return (self.steps_ci[0] * scale, self.steps_ci[1] * scale)

    @property
    def step_ms_mean(self) -> float | None:
        return 1e3 / self.steps_per_s if self.steps_per_s else None

    def split_ms(self) -> tuple[float, float, float] | None:
        """Mean step time split into data wait, transfer and compute (ms)."""
        mean = self.step_ms_mean
        if mean is None or self.wait_fraction is None:
            return None
        wait, transfer = self.wait_fraction, self.transfer_fraction or 0.0
        return (mean * wait, mean * transfer, mean * max(0.0, 1.0 - wait - transfer))


@dataclass(frozen=True)
class RunView:
    """One result file: a label, where it ran, and its scenarios."""

    label: str
    path: str
    suite: str
    created: str
    env: Mapping[str, Any]
    calibration: Mapping[str, Any]
    entries: tuple[Entry, ...]
    record: RunResult = field(repr=False, compare=False)

    def devices(self) -> list[str]:
        return list(dict.fromkeys(e.device for e in self.entries))

    def by_key(self) -> dict[tuple[str, str], Entry]:
        return {e.key: e for e in self.entries}


def _float(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) \
        else None


def _step_times(s: ScenarioResult) -> tuple[float, ...]:
    step = s.steps.step_s()
    return tuple(step[i] for i in s.steps.counted()) if len(s.steps) else ()


def entry(s: ScenarioResult) -> Entry:
    m = s.metrics  # a metrics.Metrics record, derived from the raw steps on first use
    low, high = _float(m.steps_per_s_ci_low), _float(m.steps_per_s_ci_high)
    unstable = (m.unstable_reason or "spread") if m.unstable else None
    return Entry(name=s.name, loader=s.loader, device=s.device, status=str(s.status),
                 reason=s.reason, options=dict(s.options),
                 samples_per_s=_float(m.samples_per_s), steps_per_s=_float(m.steps_per_s),
                 steps_ci=(low, high) if low is not None and high is not None else None,
                 wait_fraction=_float(m.data_wait_fraction),
                 transfer_fraction=_float(m.transfer_fraction),
                 step_ms_p50=_float(m.step_ms_p50), checks=checks_cell(s),
                 unstable=unstable, step_times_s=_step_times(s))


def view(run: RunResult, label: str, path: str = "") -> RunView:
    return RunView(label=label, path=path, suite=run.suite, created=run.created,
                   env=dict(run.env), calibration=dict(run.calibration or {}),
                   entries=tuple(entry(s) for s in run.scenarios), record=run)


def open_runs(paths: Sequence[Path], labels: Sequence[str] | None = None) -> list[RunView]:
    """Load result files (a bad one: UsageError, exit 2) with labels (default: file stems)."""
    names = list(labels) if labels else [Path(p).stem for p in paths]
    return [view(load(p), name, str(p)) for p, name in zip(paths, names, strict=True)]


PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#637939", "#7b4173", "#000000")


# The shipped loaders' own slots, so each keeps its colour in every report; other loaders
# (entry points) get a slot from their name, the next free one on a clash.
SLOTS = {"vectorized": 0, "sharded": 1, "arrow-native": 2, "rowwise": 3, "batched-map": 4,
         "tensor-dataset": 5, "manual-slice": 6, "synthetic": 7, "gpu-preprocess": 8,
         "rowwise-map": 9, "arrow-shm": 10}


def loader_colours(loaders: Iterable[str]) -> dict[str, str]:
    """A colour per loader, the same in every plot of a report and across reports for the
    shipped loaders."""
    names = sorted(set(loaders))
    out = {name: PALETTE[SLOTS[name]] for name in names if name in SLOTS}
    taken = {SLOTS[name] for name in out}
    for name in (n for n in names if n not in SLOTS):
        slot = len(SLOTS) + zlib.crc32(name.encode()) % (len(PALETTE) - len(SLOTS))
        while slot in taken and len(taken) < len(PALETTE):
            slot = (slot + 1) % len(PALETTE)
        taken.add(slot)
        out[name] = PALETTE[slot]
    return out


def tables_html(run: RunView) -> list[tuple[str, list[str]]]:
    """The run's comparison and details tables as HTML, each with its footnote lines."""
    from loaderbench.results.details import render_details
    from loaderbench.results.tables import render

    out = []
    for text in (render(run.record, "html"), render_details(run.record, "html")):
        table, _, notes = text.partition("</table>")
        out.append((table + "</table>", [n for n in notes.splitlines() if n.strip()]))
    return out


def checks_failed(run: RunView) -> list[str]:
    """Scenarios whose checks or run failed, with the reason, for the report's warnings."""
    return [f"{e.name} [{e.device}]: {e.status} - {e.reason or e.checks}" for e in run.entries
            if e.status == "failed"]


def table_text(run: RunView, fmt_name: str = "github") -> str:
    """The run's comparison table and its footnotes, as `report` prints them."""
    from loaderbench.results.tables import render

    return render(run.record, fmt_name)


def gate_outcome(baseline: RunView, current: RunView,
                 threshold: float) -> tuple[str, int, list[tuple[str, str]]]:
    """The gate's table, its exit code, and each scenario's (`name [device]`, verdict)."""
    from loaderbench.results import gate

    verdicts = gate.gate(baseline.record, current.record, threshold)
    rows = [(f"{v.name} [{v.device}]", v.verdict) for v in verdicts]
    paired = gate.paired_files(baseline.record, current.record)
    return gate.render(verdicts, "github", threshold, paired=paired), \
        gate.exit_code(verdicts), rows
