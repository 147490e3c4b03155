"""Table columns as specs: a header, an alignment and a getter, shared by every table.

`report` (tables.py), `report --details` (details.py) and `compare` build their rows from
these specs; a column is added in one place. FIGURES are the columns that show one metric
by name: `compare --metric NAME` takes its choices, and its cells' writing, from them.

A getter takes a Cell: the run, the scenario's result and, for the main table, the
samples/s that its speedup is relative to.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from loaderbench.results.schema import RunResult, ScenarioResult


def fmt(value: float | None, digits: int = 3) -> str:
    """A number with about `digits` significant figures and thousands separators."""
    if value is None:
        return "-"
    if abs(value) >= 10 ** (digits - 1):
        return f"{value:,.0f}"
    return f"{value:.{digits}g}"


def n_classes(n: int | None) -> str:
    """`1 class`, `3 classes`."""
    return f"{n} class{'' if n == 1 else 'es'}"


def share(value: float | None) -> str:
    """A fraction as a whole percentage."""
    return "-" if value is None else f"{value:.0%}"


@dataclass(frozen=True)
class Cell:
    """What a column's getter may look at."""

    run: RunResult
    result: ScenarioResult
    base: float | None = None  # samples/s the speedup is relative to (main table)


@dataclass(frozen=True)
class Column:
    header: str
    get: Callable[[Cell], str]
    align: str = "right"
    metric: str = ""                         # the metric it shows, if it shows one
    show: Callable[[Any], str] = fmt         # how that metric is written
    ratio: bool = True                       # compare shows its ratio to the first run


def figure(header: str, metric: str, show: Callable[[Any], str] = fmt,
           ratio: bool = True) -> Column:
    """A column that shows one metric of the scenario."""
    return Column(header, lambda c: show(c.result.metrics.get(metric)), metric=metric,
                  show=show, ratio=ratio)


SCENARIO = Column("scenario", lambda c: c.result.name, "left")
DEVICE = Column("device", lambda c: c.result.device, "left")

FIGURES: dict[str, Column] = {c.metric: c for c in (
    figure("samples/s", "samples_per_s"),
    figure("steps/s", "steps_per_s"),
    figure("ms/step p50", "step_ms_p50"),
    figure("p90", "step_ms_p90"),
    figure("p99 ms", "step_ms_p99"),
    figure("data wait", "data_wait_fraction", share, ratio=False),  # a ratio of shares: no
    figure("MB/s", "mb_per_s"),
    figure("first batch s", "first_batch_s"),
    figure("setup s", "setup_s"),
    figure("epoch s", "epoch_s"),
    figure("H2D GB/s", "h2d_gbps"),
)}


def headers(columns: Sequence[Column]) -> list[str]:
    return [c.header for c in columns]


def aligns(columns: Sequence[Column]) -> list[str]:
    return [c.align for c in columns]


def cells(columns: Sequence[Column], cell: Cell) -> list[str]:
    return [c.get(cell) for c in columns]
