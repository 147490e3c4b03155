"""Statistics computed from raw samples, never from other statistics.

Steady state excludes warmup steps and the first step of each epoch (which holds the
iterator's start-up: worker processes, file opening); those are reported apart as time to
first batch and epoch time.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from loaderbench.results.schema import StepSamples

UNSTABLE_IQR_OVER_MEDIAN = 0.10
BOOTSTRAP_RESAMPLES = 1000


def percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=np.float64), q))


def iqr(values: Sequence[float]) -> float:
    return percentile(values, 75) - percentile(values, 25)


def throughput(times: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Steps (or weighted rows) per second over the summed time."""
    total = float(times.sum())
    count = float(len(times) if weights is None else weights.sum())
    return count / total if total > 0 else float("inf")


def bootstrap_ci(times: Sequence[float], level: float = 0.95, seed: int = 0,
                 resamples: int = BOOTSTRAP_RESAMPLES) -> tuple[float, float]:
    """Percentile-bootstrap interval for steps/s (steps resampled with replacement)."""
    data = np.asarray(times, dtype=np.float64)
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(data), size=(resamples, len(data)))
    rates = len(data) / data[picks].sum(axis=1)
    tail = (1.0 - level) / 2.0 * 100.0
    return float(np.percentile(rates, tail)), float(np.percentile(rates, 100.0 - tail))


def _ms(values: np.ndarray, q: float) -> float:
    return float(np.percentile(values, q)) * 1e3


def step_metrics(steps: StepSamples, row_bytes: int = 0) -> dict[str, float | int | None]:
    """Every per-scenario metric, from the raw steps."""
    idx = steps.counted()
    out: dict[str, float | int | None] = {"counted_steps": len(idx)}
    if not idx:
        return out
    wait = np.asarray(steps.wait_s)[idx]
    transfer = np.asarray(steps.transfer_s)[idx]
    compute = np.asarray(steps.compute_s)[idx]
    rows = np.asarray(steps.rows, dtype=np.float64)[idx]
    step = wait + transfer + compute
    low, high = bootstrap_ci(step) if len(step) > 1 else (None, None)
    samples_per_s = throughput(step, rows)
    out.update({
        "steps_per_s": throughput(step),
        "steps_per_s_ci_low": low,
        "steps_per_s_ci_high": high,
        "samples_per_s": samples_per_s,
        "mb_per_s": samples_per_s * row_bytes / 1e6,
        "step_ms_p50": _ms(step, 50), "step_ms_p90": _ms(step, 90), "step_ms_p99": _ms(step, 99),
        "step_ms_iqr": (percentile(step, 75) - percentile(step, 25)) * 1e3,
        "wait_ms_p50": _ms(wait, 50), "transfer_ms_p50": _ms(transfer, 50),
        "compute_ms_p50": _ms(compute, 50),
        "data_wait_fraction": float(wait.sum() / step.sum()) if step.sum() > 0 else 0.0,
        "transfer_fraction": float(transfer.sum() / step.sum()) if step.sum() > 0 else 0.0,
    })
    out["unstable"] = bool(out["step_ms_iqr"] > UNSTABLE_IQR_OVER_MEDIAN * out["step_ms_p50"])
    out.update(startup_metrics(steps))
    return out


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


def repeat_rates(steps: StepSamples) -> dict[int, float]:
    """Steady-state steps/s of each repeat."""
    by_repeat: dict[int, list[float]] = {}
    step = steps.step_s()
    for i in steps.counted():
        by_repeat.setdefault(steps.repeat[i], []).append(step[i])
    return {r: len(v) / sum(v) for r, v in sorted(by_repeat.items()) if sum(v) > 0}
