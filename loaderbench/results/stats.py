"""Statistics computed from raw samples, never from other statistics.

Rates exclude warmup steps and the first step of epoch 0 (the one-time start-up: worker
processes, file opening), which is reported apart as time to first batch; later epochs'
first steps count, since a loader's per-epoch restart recurs in every epoch of training
(see StepSamples.counted). Epoch time is reported too.

steps/s is throughput (counted steps over their summed time), as a training loop sees it;
step-time percentiles and the IQR describe the spread. Its confidence interval is a
percentile bootstrap over windows of consecutive steps (units.py: chunked loaders' step times
are bimodal, and a window holds its chunk reads in their real proportion); with several
repeats (fresh processes) it resamples repeats first, so the difference between processes
widens the interval as it should. Stability is judged on that throughput: a scenario is
unstable (`~`) when the interval is wider than UNSTABLE_RATE_HALF_WIDTH of the rate or its
repeats disagree, never because its step times are bimodal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from loaderbench.results import units
from loaderbench.results.records import Timing
from loaderbench.results.samples import StepSamples

UNSTABLE_RATE_HALF_WIDTH = 0.10
UNSTABLE_REPEAT_SPREAD = 0.10
BOOTSTRAP_RESAMPLES = 1000
_BOOTSTRAP_CELLS = 2_000_000  # resampled values held at once: bounds the memory


def percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=np.float64), q))


def iqr(values: Sequence[float]) -> float:
    return percentile(values, 75) - percentile(values, 25)


def throughput(times: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Steps (or weighted rows) per second over the summed time."""
    total = float(times.sum())
    count = float(len(times) if weights is None else weights.sum())
    return count / total if total > 0 else float("inf")


def resampled_sums(data: np.ndarray, resamples: int, rng: np.random.Generator) -> np.ndarray:
    """Sum of `data` resampled with replacement, `resamples` times (in memory-bounded blocks)."""
    n = len(data)
    block = max(1, _BOOTSTRAP_CELLS // max(n, 1))
    sums = [data[rng.integers(0, n, size=(min(block, resamples - done), n))].sum(axis=1)
            for done in range(0, resamples, block)]
    return np.concatenate(sums)


def bootstrap_ci(times: Sequence[float], level: float = 0.95, seed: int = 0,
                 resamples: int = BOOTSTRAP_RESAMPLES,
                 groups: Sequence[int] | None = None) -> tuple[float, float]:
    """Percentile-bootstrap interval for steps/s. With `groups` (each step's repeat) of two or
    more values, repeats are resampled first, then steps within each repeat."""
    data = np.asarray(times, dtype=np.float64)
    rng = np.random.default_rng(seed)
    labels = np.unique(groups) if groups is not None else np.zeros(1)
    if len(labels) < 2:
        rates = len(data) / resampled_sums(data, resamples, rng)
    else:
        keys = np.asarray(groups)
        parts = [data[keys == g] for g in labels]
        sums = np.stack([resampled_sums(p, resamples, rng) for p in parts])  # [R, B]
        counts = np.array([len(p) for p in parts], dtype=np.float64)
        pick = rng.integers(0, len(parts), size=(resamples, len(parts)))     # [B, R]
        rows = np.arange(resamples)[:, None]
        rates = counts[pick].sum(axis=1) / sums[pick, rows].sum(axis=1)
    tail = (1.0 - level) / 2.0 * 100.0
    return float(np.percentile(rates, tail)), float(np.percentile(rates, 100.0 - tail))


def rate_interval(step: np.ndarray, groups: np.ndarray, level: float = 0.95,
                  seed: int = 0) -> tuple[float, float] | tuple[None, None]:
    """Bootstrap interval of steps/s over windows of consecutive steps (and repeats)."""
    parts = units.units([step[groups == g] for g in np.unique(groups)])
    if sum(len(p) for p in parts) < 2:
        return None, None
    means = units.boot_mean_step(parts, np.random.default_rng(seed))
    tail = (1.0 - level) / 2.0 * 100.0
    return (float(np.percentile(1 / means, tail)), float(np.percentile(1 / means, 100 - tail)))


def _ms(values: np.ndarray, q: float) -> float:
    return float(np.percentile(values, q)) * 1e3


def step_metrics(steps: StepSamples, row_bytes: int = 0,
                 device: str | None = None) -> dict[str, Any]:
    """Every per-scenario metric that comes from the raw steps."""
    idx = steps.counted()
    out: dict[str, Any] = {"counted_steps": len(idx)}
    if not idx:
        return out
    col = {k: np.asarray(getattr(steps, k), dtype=np.float64)[idx]
           for k in ("wait_s", "transfer_s", "compute_s", "rows")}
    step = col["wait_s"] + col["transfer_s"] + col["compute_s"]
    groups = np.asarray(steps.repeat)[idx]
    low, high = rate_interval(step, groups)
    total = float(step.sum())
    samples_per_s = throughput(step, col["rows"])
    out.update({
        "counted_s": total, "steps_per_s": throughput(step),
        "steps_per_s_ci_low": low, "steps_per_s_ci_high": high,
        "samples_per_s": samples_per_s, "mb_per_s": samples_per_s * row_bytes / 1e6,
        "step_ms_p50": _ms(step, 50), "step_ms_p90": _ms(step, 90), "step_ms_p99": _ms(step, 99),
        "step_ms_iqr": (percentile(step, 75) - percentile(step, 25)) * 1e3,
        "wait_ms_p50": _ms(col["wait_s"], 50), "transfer_ms_p50": _ms(col["transfer_s"], 50),
        "compute_ms_p50": _ms(col["compute_s"], 50),
        "data_wait_fraction": float(col["wait_s"].sum() / total) if total > 0 else 0.0,
        "transfer_fraction": float(col["transfer_s"].sum() / total) if total > 0 else 0.0,
    })
    out["row_bytes"] = row_bytes
    out["batch_bytes"] = int(np.median(col["rows"])) * row_bytes
    out.update(_transfer_rate(col["transfer_s"], col["rows"], row_bytes, device))
    out.update(_device_times(steps, idx))
    out.update(startup_metrics(steps))
    out.update(_instability(out))
    return out


def _transfer_rate(transfer: np.ndarray, rows: np.ndarray, row_bytes: int,
                   device: str | None) -> dict[str, float]:
    """Host-to-device GB/s over the counted steps; nothing on cpu, where no copy happens."""
    if device in (None, "cpu") or not row_bytes or transfer.sum() <= 0:
        return {}
    return {"h2d_gbps": float(rows.sum() * row_bytes / transfer.sum() / 1e9)}


def _device_times(steps: StepSamples, idx: list[int]) -> dict[str, float]:
    """Medians of the device-side (CUDA event) times, where they were measured."""
    if len(steps.transfer_dev_s) != len(steps) or not len(steps):
        return {}
    transfer = np.asarray(steps.transfer_dev_s)[idx]
    compute = np.asarray(steps.compute_dev_s)[idx]
    return {"transfer_dev_ms_p50": _ms(transfer, 50), "compute_dev_ms_p50": _ms(compute, 50)}


def _instability(m: Mapping[str, Any]) -> dict[str, Any]:
    reasons = []
    low, high, rate = m.get("steps_per_s_ci_low"), m.get("steps_per_s_ci_high"), m["steps_per_s"]
    if low is not None and (high - low) / 2 > UNSTABLE_RATE_HALF_WIDTH * rate:
        reasons.append(f"steps/s 95% interval ±{(high - low) / 2 / rate:.0%} "
                       "(over windows of steps)")
    if m.get("repeat_spread", 0.0) > UNSTABLE_REPEAT_SPREAD:
        reasons.append(f"repeats differ by {m['repeat_spread']:.0%}")
    return {"unstable": bool(reasons), "unstable_reason": "; ".join(reasons) or None}


def startup_metrics(steps: StepSamples) -> dict[str, float | None]:
    """Time to first batch (epoch 0's first wait, median over repeats) and repeat spread."""
    first = [steps.wait_s[i] for i in range(len(steps)) if steps.first[i] and steps.epoch[i] == 0]
    per_repeat = repeat_rates(steps)
    out: dict[str, float | None] = {
        "first_batch_s": float(np.median(first)) if first else None,
        "repeats": len(per_repeat),
    }
    if len(per_repeat) > 1:
        rates = np.asarray(list(per_repeat.values()))
        out["repeat_steps_per_s_min"] = float(rates.min())
        out["repeat_steps_per_s_max"] = float(rates.max())
        out["repeat_spread"] = float((rates.max() - rates.min()) / np.median(rates))
    return out


def repeat_rates(steps: StepSamples, median: bool = False) -> dict[int, float]:
    """Steady-state steps/s of each repeat: throughput, or 1 / median step time."""
    by_repeat: dict[int, list[float]] = {}
    step = steps.step_s()
    for i in steps.counted():
        by_repeat.setdefault(steps.repeat[i], []).append(step[i])
    if median:
        return {r: 1.0 / float(np.median(v)) for r, v in sorted(by_repeat.items())
                if np.median(v) > 0}
    return {r: len(v) / sum(v) for r, v in sorted(by_repeat.items()) if sum(v) > 0}


SLOW_STEP_OVER_MEDIAN = 10.0


def slow_steps(steps: StepSamples) -> dict[str, int]:
    """Steps over SLOW_STEP_OVER_MEDIAN x the median counted step: a chunked loader's reads,
    inferred from the step times. `reads_counted` among the counted steps, `reads_seen`
    among all (warmup and epoch 0's first step included)."""
    idx = steps.counted()
    if not idx:
        return {}
    step = np.asarray(steps.step_s(), dtype=np.float64)
    slow = step > SLOW_STEP_OVER_MEDIAN * float(np.median(step[idx]))
    return {"reads_counted": int(slow[idx].sum()), "reads_seen": int(slow.sum())}


def epoch_rate(steps: StepSamples, timing: Timing) -> float | None:
    """Whole-epoch samples/s: the rows of complete epochs over their wall time, start-up
    (epoch 0's first step) included. Complete: every epoch but each repeat's last, or all of
    them when the run asked for whole epochs (timing's epoch_s has one time per complete one)."""
    epochs = list(timing.epoch_s)
    keys = sorted(set(zip(steps.repeat, steps.epoch, strict=True)))
    last = {r: e for r, e in keys}
    complete = keys if len(epochs) == len(keys) else [k for k in keys if k[1] != last[k[0]]]
    if not epochs or len(complete) != len(epochs) or sum(epochs) <= 0:
        return None
    chosen = set(complete)
    rows = sum(n for n, r, e in zip(steps.rows, steps.repeat, steps.epoch, strict=True)
               if (r, e) in chosen)
    return rows / sum(epochs)


def headline(m: Mapping[str, Any]) -> dict[str, Any]:
    """The samples/s a table leads with: the steady rate, or the whole-epoch rate when one
    was measured and is lower (a loader that does its epoch's reading in the uncounted first
    step cannot look faster than its epochs are)."""
    steady, epoch = m.get("samples_per_s"), m.get("epoch_samples_per_s")
    if epoch is not None and steady is not None and epoch < steady:
        return {"headline_samples_per_s": epoch, "headline": "whole-epoch"}
    return {"headline_samples_per_s": steady, "headline": "steady"}


def timing_metrics(timing: Timing) -> dict[str, float | int | None]:
    """Setup and epoch times (medians over repeats and epochs) and the harness's own share."""
    loop = float(np.sum(timing.loop_s))
    return {
        "setup_s": float(np.median(timing.setup_s)) if timing.setup_s else None,
        "epoch_s": float(np.median(timing.epoch_s)) if timing.epoch_s else None,
        "epochs_complete": len(timing.epoch_s),
        "bookkeeping_fraction": float(np.sum(timing.bookkeeping_s)) / loop
        if timing.bookkeeping_s and loop > 0 else None,
        "checks_fraction": float(np.sum(timing.checks_s)) / loop
        if timing.checks_s and loop > 0 else None,
    }
