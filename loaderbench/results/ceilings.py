"""Rates that cannot be what they seem get a mark and the reason, never silence.

A rate is marked (`!` in the tables) when
- it was measured over fewer than two of the loader's slow, chunk-reading steps while it
  has such steps (stats.slow_steps) and no complete epoch: the counted steps are mostly
  slices of data read before the count began, so the rate leaves most of the reading out
  (with a complete epoch, the headline is at most the whole-epoch rate, which holds it);
- its rows/s is above the run's raw Parquet scan although the loader's set-up was too short
  to have read the data (set-up under the time a scan of every row takes): data read from
  Parquet during the steps cannot arrive faster than a bare scan of it;
- its host-to-device GB/s is above the calibration's pinned copy of the same batch shape.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from loaderbench.results.schema import RunResult, ScenarioResult

MIN_READS = 2
TOLERANCE = 1.05  # a ceiling measured once on a busy machine is itself uncertain


def few_reads(m: Mapping[str, Any]) -> str | None:
    seen, counted = m.get("reads_seen"), m.get("reads_counted")
    if not seen or counted is None or counted >= MIN_READS \
            or m.get("epoch_samples_per_s") is not None:
        return None
    return (f"{counted} of its {seen} slow (chunk-reading) steps fell in the counted span: "
            "most of the reading is left out; run more steps or whole epochs")


def above_scan(m: Mapping[str, Any], scan: float | None, dataset_rows: int | None) -> str | None:
    rate, setup = m.get("headline_samples_per_s") or m.get("samples_per_s"), m.get("setup_s")
    if not rate or not scan or rate <= TOLERANCE * scan:
        return None
    if setup is not None and dataset_rows and setup >= dataset_rows / scan:
        return None  # set-up had time to read everything: rows may come from memory
    return (f"{rate / scan:.0%} of the raw Parquet scan ({scan:,.0f} rows/s) with no set-up "
            "that read the data: too few reads counted")


def above_pinned(m: Mapping[str, Any], pinned_gbps: float | None) -> str | None:
    gbps = m.get("h2d_gbps")
    if not gbps or not pinned_gbps or gbps <= TOLERANCE * pinned_gbps:
        return None
    return f"{gbps:.3g} GB/s host-to-device, above the pinned copy's {pinned_gbps:.3g} GB/s"


def rate_marks(m: Mapping[str, Any], scan: float | None, dataset_rows: int | None,
               pinned_gbps: float | None = None) -> list[str]:
    """Every reason this scenario's rate cannot be taken at face value."""
    found = (few_reads(m), above_scan(m, scan, dataset_rows), above_pinned(m, pinned_gbps))
    return [r for r in found if r]


def reads_dataset(result: ScenarioResult) -> bool:
    return result.checks is None or result.checks.covers_dataset


def scenario_marks(run: RunResult, result: ScenarioResult,
                   pinned_gbps: float | None = None) -> list[str]:
    """rate_marks with the run's calibration and dataset size."""
    scan = run.calibration.get("scan_rows_per_s") if reads_dataset(result) else None
    return rate_marks(result.metrics, scan, (run.dataset or {}).get("rows"), pinned_gbps)
