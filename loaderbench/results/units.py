"""Gate units: windows of consecutive steps, resampled as blocks, repeats resampled as units.

Chunked loaders have bimodal step times (microsecond slices, millisecond chunk reads), so a
bootstrap that resamples single steps treats the rare slow steps as independent draws and
its interval swings with how many reads a resample happens to pick. A window of consecutive
steps holds reads in their real proportion: its mean step time is the loader's throughput
over that stretch. The interval of the mean step time (total seconds over total steps, the
inverse of throughput) comes from a block bootstrap over windows within each repeat and,
with two or more repeats, over repeats first (fresh processes differ more than windows).

Everything here is a pure function of arrays and a seed: the same samples give the same
interval, so the gate's verdicts are exact in tests.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

MAX_WINDOWS_PER_REPEAT = 8
MIN_STEPS_PER_WINDOW = 5
MIN_STEPS = 15  # counted steps per side below which no verdict is given
MIN_UNITS = 3   # windows per side below which no verdict is given
RESAMPLES = 2000


def windows(times: np.ndarray, most: int = MAX_WINDOWS_PER_REPEAT,
            min_steps: int = MIN_STEPS_PER_WINDOW) -> np.ndarray:
    """Contiguous windows of one repeat's step times: rows of (seconds, steps); at most
    `most` windows of at least `min_steps` steps (one window per step with min_steps=1 and
    a large `most`; one per repeat with most=1)."""
    n = len(times)
    k = max(1, min(most, n // min_steps))
    parts = np.array_split(np.asarray(times, dtype=np.float64), k)
    return np.array([[p.sum(), len(p)] for p in parts if len(p)], dtype=np.float64)


def units(by_repeat: Sequence[np.ndarray], most: int = MAX_WINDOWS_PER_REPEAT,
          min_steps: int = MIN_STEPS_PER_WINDOW) -> list[np.ndarray]:
    """Each repeat's windows (a repeat with no step is left out)."""
    return [windows(t, most, min_steps) for t in by_repeat if len(t)]


def mean_step(parts: Sequence[np.ndarray]) -> float:
    """Mean step time over every window of every repeat: total seconds / total steps."""
    total = np.sum([p.sum(axis=0) for p in parts], axis=0)
    return float(total[0] / total[1])


def boot_mean_step(parts: Sequence[np.ndarray], rng: np.random.Generator,
                   resamples: int = RESAMPLES) -> np.ndarray:
    """`resamples` bootstrap values of the mean step time: windows resampled within each
    repeat; with several repeats, the repeats resampled too."""
    sums = []
    for p in parts:
        pick = rng.integers(0, len(p), size=(resamples, len(p)))
        sums.append(p[pick].sum(axis=1))                 # [B, 2]: seconds, steps
    stacked = np.stack(sums)                             # [R, B, 2]
    if len(parts) > 1:
        chosen = rng.integers(0, len(parts), size=(resamples, len(parts)))  # [B, R]
        totals = stacked[chosen, np.arange(resamples)[:, None]].sum(axis=1)  # [B, 2]
    else:
        totals = stacked[0]
    return totals[:, 0] / totals[:, 1]


# Student's t, 97.5% quantile, for 1..10 degrees of freedom; 2.2 up to 20, then 2.09.
T975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228)


def t975(df: float) -> float:
    k = max(1, int(df))  # rounded down: the wider interval
    return T975[k - 1] if k <= len(T975) else 2.2 if k <= 20 else 2.09


# Student's t, 95% quantile, for 1..10 degrees of freedom; 1.8 up to 20, then 1.73.
T95 = (6.314, 2.920, 2.353, 2.132, 2.015, 1.943, 1.895, 1.860, 1.833, 1.812)


def t_quantile(df: float, level: float) -> float:
    """The t quantile of a two-sided `level` interval (0.95 or 0.90)."""
    if level == 0.95:
        return t975(df)
    if level != 0.90:
        raise ValueError(f"t intervals here are 90% or 95%, not {level}")
    k = max(1, int(df))
    return T95[k - 1] if k <= len(T95) else 1.8 if k <= 20 else 1.73


def repeat_interval(base: Sequence[np.ndarray], cur: Sequence[np.ndarray]
                    ) -> tuple[float, float] | None:
    """95% Welch t interval of the ratio, from each repeat's mean step time (in logs); None
    unless both sides have two repeats or more. A bootstrap over 2 to 5 repeats is too
    narrow (it cannot see the spread it did not draw); this is the floor under it."""
    if len(base) < 2 or len(cur) < 2:
        return None
    lb, lc = (np.log([p[:, 0].sum() / p[:, 1].sum() for p in side]) for side in (base, cur))
    vb, vc = lb.var(ddof=1) / len(lb), lc.var(ddof=1) / len(lc)
    if vb + vc <= 0:
        return None
    df = (vb + vc) ** 2 / (vb ** 2 / (len(lb) - 1) + vc ** 2 / (len(lc) - 1))
    centre, half = np.log(mean_step(cur) / mean_step(base)), t975(df) * np.sqrt(vb + vc)
    return float(np.exp(centre - half)), float(np.exp(centre + half))


def ratio_interval(base: Sequence[np.ndarray], cur: Sequence[np.ndarray], level: float = 0.95,
                   seed: int = 0) -> tuple[float, float, float]:
    """Point estimate and interval of mean step time current / baseline: the percentile
    bootstrap's, widened to the repeats' t interval (at 95%) where that is wider."""
    rng = np.random.default_rng(seed)
    ratios = boot_mean_step(cur, rng) / boot_mean_step(base, rng)
    tail = (1 - level) / 2 * 100
    low, high = (float(x) for x in np.percentile(ratios, [tail, 100 - tail]))
    floor = repeat_interval(base, cur) if level == 0.95 else None
    if floor is not None:
        low, high = min(low, floor[0]), max(high, floor[1])
    return mean_step(cur) / mean_step(base), low, high


MIN_ROUNDS = 3  # paired rounds below which no verdict is given
# A paired verdict's interval: 90% two-sided, so each bound is a one-sided 95% test: `slower`
# is a one-sided test at 5% (the false-alarm budget a regression gate is held to) and
# `same` is an equivalence test (TOST) at 5%. The unpaired gate keeps its 95% interval.
PAIRED_LEVEL = 0.90


def repeat_means(steps_by_repeat: Mapping[int, np.ndarray]) -> dict[int, float]:
    """Each repeat's mean step time (a repeat with no counted step is left out)."""
    return {r: float(np.mean(t)) for r, t in steps_by_repeat.items() if len(t)}


def paired_interval(base: Mapping[int, float], cur: Mapping[int, float],
                    level: float = PAIRED_LEVEL) -> tuple[float, float, float, int]:
    """A paired job's ratio current / baseline of mean step time: from each round's ratio (the
    two sides' repeats run back to back, so drift between rounds cancels), in logs, the mean
    and its t interval at `level`; (point, low, high, rounds). Rounds missing on a side are
    left out; under two rounds the interval is unbounded."""
    rounds = sorted(set(base) & set(cur))
    d = np.log([cur[r] / base[r] for r in rounds]) if rounds else np.zeros(0)
    if len(d) < 2:
        centre = float(np.exp(d.mean())) if len(d) else 1.0
        return centre, 0.0, float("inf"), len(d)
    half = t_quantile(len(d) - 1, level) * d.std(ddof=1) / np.sqrt(len(d))
    centre = d.mean()
    return float(np.exp(centre)), float(np.exp(centre - half)), float(np.exp(centre + half)), \
        len(d)


def shortfall(parts: Sequence[np.ndarray]) -> str | None:
    """Why a side is too small to judge, or None."""
    steps = int(sum(p[:, 1].sum() for p in parts))
    windows_ = sum(len(p) for p in parts)
    if steps < MIN_STEPS:
        return f"{steps} counted steps (at least {MIN_STEPS} needed)"
    if windows_ < MIN_UNITS:
        return f"{windows_} windows (at least {MIN_UNITS} needed)"
    return None


def classify(point: float, low: float, high: float, threshold: float) -> str:
    """slower / faster: the change exceeds the threshold and the interval excludes no change;
    same: the interval rules out any change beyond the threshold; else noisy."""
    if point > 1 + threshold and low > 1:
        return "slower"
    if point < 1 - threshold and high < 1:
        return "faster"
    if low >= 1 - threshold and high <= 1 + threshold:
        return "same"
    return "noisy"


def more_data_factor(point: float, low: float, high: float, threshold: float) -> float | None:
    """How many times more data (steps, or repeats when the interval is theirs) a noisy
    verdict needs to be decided, assuming the interval narrows as 1/sqrt(n); None when the
    point sits on a bound, where no amount decides it."""
    half = (high - low) / 2
    change = abs(point - 1)
    needed = threshold - change if change <= threshold else change
    if needed <= 1e-9 or half <= 0:
        return None
    return max(1.1, (half / needed) ** 2)


def rate_half_width(times: np.ndarray) -> float | None:
    """A cheap relative half-width (95%) of the throughput over windows of `times`, for
    deciding when a run has measured enough: the spread of the windows' mean step times over
    sqrt(windows). None under MIN_UNITS windows."""
    w = windows(times)
    if len(w) < MIN_UNITS:
        return None
    means = w[:, 0] / w[:, 1]
    return float(1.96 * means.std(ddof=1) / means.mean() / np.sqrt(len(w)))
