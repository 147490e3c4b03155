"""A scenario's metrics: functions of its raw steps and timing, derived when a file is read.

`derive` is the one place that turns raw facts into figures (the arithmetic is in stats.py);
`ScenarioResult.metrics` calls it once per result and keeps the answer, as torch's
`Measurement` keeps its statistics as properties of the raw times. A result file also
stores the figures, for readers outside loaderbench, tagged with COUNTING_RULE: loaderbench
reads that copy only when the tag equals its own rule, and derives them again otherwise.
Bump COUNTING_RULE whenever a change here or in stats.py changes a figure: old files then
show the new rule's figures without being rewritten.

Rule history:
  1  (never tagged) schema-1 files: their stored metrics are ignored and derived again
  2  steps/s and friends exclude warmup and epoch 0's first step; later epochs' first steps
     count; no h2d_gbps when the loader copies inside next()
  3  steps/s interval over windows of consecutive steps (units.py); `unstable` judged on
     that interval, not on step-time IQR; counted_s, inferred chunk reads, whole-epoch
     samples/s and the headline rate added
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from loaderbench.results import stats
from loaderbench.results.records import Timing, Transfer
from loaderbench.results.samples import StepSamples

COUNTING_RULE = 3


@dataclass(frozen=True)
class Metrics:
    """Every figure of one scenario; None where it cannot be computed (no counted steps, no
    copy on cpu, one repeat only...). Names are the JSON keys and `compare --metric`'s."""

    counted_steps: int = 0
    steps_per_s: float | None = None          # throughput: counted steps / their summed time
    steps_per_s_ci_low: float | None = None   # 95% bootstrap interval of steps/s
    steps_per_s_ci_high: float | None = None
    samples_per_s: float | None = None        # rows/s
    mb_per_s: float | None = None
    step_ms_p50: float | None = None
    step_ms_p90: float | None = None
    step_ms_p99: float | None = None
    step_ms_iqr: float | None = None
    wait_ms_p50: float | None = None
    transfer_ms_p50: float | None = None
    compute_ms_p50: float | None = None
    data_wait_fraction: float | None = None   # share of step time blocked in next()
    transfer_fraction: float | None = None
    row_bytes: int | None = None
    batch_bytes: int | None = None            # the median batch, in bytes
    h2d_gbps: float | None = None             # host-to-device copies the harness timed
    transfer_dev_ms_p50: float | None = None  # CUDA event times, where measured
    compute_dev_ms_p50: float | None = None
    first_batch_s: float | None = None        # epoch 0's first wait, median over repeats
    repeats: int = 0
    repeat_steps_per_s_min: float | None = None
    repeat_steps_per_s_max: float | None = None
    repeat_spread: float | None = None        # (max - min) / median of the repeats' steps/s
    unstable: bool = False
    unstable_reason: str | None = None
    setup_s: float | None = None              # medians over repeats / epochs
    epoch_s: float | None = None
    epochs_complete: int = 0
    bookkeeping_fraction: float | None = None  # all work between steps: share of the loop
    checks_fraction: float | None = None  # the checks' own share of the loop's wall time
    counted_s: float | None = None            # the counted steps' summed time
    reads_counted: int | None = None          # slow (chunk-reading) steps among the counted
    reads_seen: int | None = None             # ... and among all steps
    epoch_samples_per_s: float | None = None  # complete epochs' rows / their time
    headline_samples_per_s: float | None = None  # the lower of steady and whole-epoch
    headline: str | None = None               # which: "steady" or "whole-epoch"

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    def get(self, name: str) -> Any:
        """A figure by name (as `compare --metric` gives it); None for an unknown name."""
        return getattr(self, name) if name in self.names() else None


def derive(steps: StepSamples, timing: Timing, transfer: Transfer | None, row_bytes: int,
           device: str) -> Metrics:
    """All of a scenario's metrics from its raw steps and timing record."""
    values: dict[str, Any] = stats.step_metrics(steps, row_bytes, device)
    values.update(stats.timing_metrics(timing))
    values.update(stats.slow_steps(steps))
    if values.get("counted_steps"):
        values["epoch_samples_per_s"] = stats.epoch_rate(steps, timing)
        values.update(stats.headline(values))
    if transfer is not None and not transfer.by_harness:
        values.pop("h2d_gbps", None)  # the harness moved nothing: the copy is in the data wait
    return Metrics(**values)
