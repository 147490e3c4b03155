"""The regression gate: baseline vs current, per scenario, decided from the raw step times.

For each scenario present in both files, the ratio current/baseline of a step-time statistic
(mean by default: the inverse of throughput; median on request) gets a bootstrap confidence
interval: steps are resampled with replacement within each repeat, and repeats themselves are
resampled when a side has several (fresh processes differ more than steps do). Then, with a
threshold t (default 5%):

    slower   the whole interval lies above 1 + t         -> exit 1
    faster   the whole interval lies below 1 - t
    same     the interval lies inside [1 - t, 1 + t]
    noisy    the interval straddles a bound: too little data to say; rerun with more steps

A scenario that failed in the current run counts as a regression; one missing from either
file, or skipped, cannot be compared (exit 2), unless nothing regressed in which case the
gate still says which ones it could not judge.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from loaderbench.errors import UsageError
from loaderbench.results.columns import fmt as num
from loaderbench.results.formats import table
from loaderbench.results.schema import RunResult, ScenarioResult, StepSamples

RESAMPLES = 2000
EXIT_PASS, EXIT_REGRESSION, EXIT_CANNOT_COMPARE = 0, 1, 2


@dataclass(frozen=True)
class Verdict:
    name: str
    device: str
    verdict: str  # faster | slower | same | noisy | failed | missing | skipped
    baseline_steps_per_s: float | None = None
    current_steps_per_s: float | None = None
    ratio: float | None = None  # current / baseline step time (> 1: slower)
    low: float | None = None
    high: float | None = None
    note: str = ""


def parse_threshold(text: str) -> float:
    """`5%`, `5` or `0.05` -> 0.05."""
    raw = text.strip()
    try:
        value = float(raw.rstrip("%"))
    except ValueError:
        raise UsageError(f"--threshold must be a percentage like 5% or 0.05, got {text!r}") \
            from None
    value = value / 100 if raw.endswith("%") or value >= 1 else value
    if not 0 < value < 1:
        raise UsageError(f"--threshold must be between 0% and 100%, got {text!r}")
    return value


def groups(steps: StepSamples) -> list[np.ndarray]:
    """Counted step times, one array per repeat."""
    times = np.asarray(steps.step_s())
    repeats = np.asarray(steps.repeat)
    idx = np.asarray(steps.counted(), dtype=np.int64)
    return [times[idx][repeats[idx] == r] for r in np.unique(repeats[idx])] if len(idx) else []


def resample(parts: list[np.ndarray], rng: np.random.Generator, stat) -> np.ndarray:
    """RESAMPLES bootstrap values of `stat` over pooled steps (repeats resampled if > 1)."""
    out = np.empty(RESAMPLES)
    for b in range(RESAMPLES):
        chosen = [parts[i] for i in rng.integers(0, len(parts), len(parts))] \
            if len(parts) > 1 else parts
        pooled = np.concatenate([p[rng.integers(0, len(p), len(p))] for p in chosen])
        out[b] = stat(pooled)
    return out


def ratio_interval(base: StepSamples, cur: StepSamples, statistic: str = "mean",
                   level: float = 0.95, seed: int = 0) -> tuple[float, float, float]:
    """Point estimate and bootstrap interval of stat(current) / stat(baseline) step time."""
    stat = np.mean if statistic == "mean" else np.median
    b, c = groups(base), groups(cur)
    if not b or not c:
        raise ValueError("no counted steps")
    rng = np.random.default_rng(seed)
    ratios = resample(c, rng, stat) / resample(b, rng, stat)
    point = stat(np.concatenate(c)) / stat(np.concatenate(b))
    tail = (1 - level) / 2 * 100
    return float(point), float(np.percentile(ratios, tail)), float(np.percentile(ratios,
                                                                                 100 - tail))


def classify(low: float, high: float, threshold: float) -> str:
    if low > 1 + threshold:
        return "slower"
    if high < 1 - threshold:
        return "faster"
    if low >= 1 - threshold and high <= 1 + threshold:
        return "same"
    return "noisy"


def judge(base: ScenarioResult | None, cur: ScenarioResult | None, threshold: float,
          statistic: str) -> Verdict:
    ref = cur or base
    assert ref is not None
    name, device = ref.name, ref.device
    if base is None or cur is None:
        where = "baseline" if base is None else "current run"
        return Verdict(name, device, "missing", note=f"not in the {where}")
    if cur.status == "failed":
        return Verdict(name, device, "failed", note=cur.reason)
    if base.status != "ok":
        return Verdict(name, device, "skipped", note=f"baseline {base.status}: {base.reason}")
    if cur.status == "skipped":
        return Verdict(name, device, "skipped", note=cur.reason)
    try:
        point, low, high = ratio_interval(base.steps, cur.steps, statistic)
    except ValueError as err:
        return Verdict(name, device, "missing", note=str(err))
    return Verdict(name, device, classify(low, high, threshold),
                   base.metrics.steps_per_s, cur.metrics.steps_per_s,
                   point, low, high)


def gate(baseline: RunResult, current: RunResult, threshold: float = 0.05,
         statistic: str = "mean") -> list[Verdict]:
    """One verdict per scenario in either file, in the current run's order."""
    key = lambda s: (s.name, s.device)  # noqa: E731
    base = {key(s): s for s in baseline.scenarios}
    cur = {key(s): s for s in current.scenarios}
    order = [key(s) for s in current.scenarios] + [k for k in base if k not in cur]
    return [judge(base.get(k), cur.get(k), threshold, statistic) for k in order]


def exit_code(verdicts: Sequence[Verdict]) -> int:
    kinds = {v.verdict for v in verdicts}
    if kinds & {"slower", "failed"}:
        return EXIT_REGRESSION
    if kinds & {"missing", "skipped"}:
        return EXIT_CANNOT_COMPARE
    return EXIT_PASS


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{(x - 1) * 100:+.1f}%"


def render(verdicts: Sequence[Verdict], fmt: str = "github", threshold: float = 0.05,
           statistic: str = "mean") -> str:
    """The gate's table: step-time change (positive = slower) with its interval and verdict."""
    rows = [[v.name, v.device, num(v.baseline_steps_per_s), num(v.current_steps_per_s),
             _pct(v.ratio), f"{_pct(v.low)} .. {_pct(v.high)}" if v.low is not None else "-",
             v.verdict.upper() if v.verdict in ("slower", "failed") else v.verdict, v.note]
            for v in verdicts]
    headers = ("scenario", "device", "baseline steps/s", "current steps/s", "step time",
               "95% interval", "verdict", "note")
    return table(fmt, headers, rows, notes=[f"threshold ±{threshold:.0%}; step time = "
                                            f"{statistic} over counted steps; positive = slower"])
