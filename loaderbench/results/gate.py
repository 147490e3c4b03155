"""The regression gate: baseline vs current, per scenario, decided from the raw step times.

Each side's counted steps are cut into windows of consecutive steps (units.py says why:
chunked loaders' step times are bimodal), and the ratio current/baseline of the mean step
time (the inverse of throughput) gets a block-bootstrap interval: windows resampled within
each repeat, repeats resampled as units when a side has several. With a threshold t:

    slower        the change is above t and the interval lies above 1     -> exit 1
    faster        the change is below -t and the interval lies below 1
    same          the interval lies inside [1 - t, 1 + t]
    noisy         none of these: the note says how much more data would decide it;
                  `--noisy fail` counts it as a regression, `--noisy pass` (default) not
    insufficient  fewer than MIN_STEPS counted steps or MIN_UNITS windows on a side: never
                  `slower`; it cannot be compared (exit 2)

The two files of one paired job (`run --baseline-out`, harness/paired.py) are judged
instead from each round's ratio of mean step times, the two sides' repeats having run back
to back: a t interval over rounds (units.paired_interval), 90% two-sided so that `slower` is
a one-sided test at 5% and `same` an equivalence test at 5%; `insufficient` under
MIN_ROUNDS.

A scenario that failed in the current run is a regression; one missing from either file,
skipped, or whose resolved options differ (`different`, naming the option) cannot be
compared (exit 2), and neither can two files with no scenario in common.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from loaderbench.errors import UsageError
from loaderbench.results import units
from loaderbench.results.columns import fmt as num
from loaderbench.results.formats import table
from loaderbench.results.options import option_differences
from loaderbench.results.schema import RunResult, ScenarioResult, StepSamples

EXIT_PASS, EXIT_REGRESSION, EXIT_CANNOT_COMPARE = 0, 1, 2
NOISY_POLICIES = ("pass", "fail")


@dataclass(frozen=True)
class Verdict:
    name: str
    device: str
    verdict: str  # faster | slower | same | noisy | insufficient | failed | missing | skipped
    #               | different
    baseline_steps_per_s: float | None = None
    current_steps_per_s: float | None = None
    ratio: float | None = None  # current / baseline mean step time (> 1: slower)
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


def by_repeat(steps: StepSamples) -> dict[int, np.ndarray]:
    """Counted step times per repeat index."""
    times = np.asarray(steps.step_s())
    repeats = np.asarray(steps.repeat)
    idx = np.asarray(steps.counted(), dtype=np.int64)
    if not len(idx):
        return {}
    return {int(r): times[idx][repeats[idx] == r] for r in np.unique(repeats[idx])}


def groups(steps: StepSamples) -> list[np.ndarray]:
    """Counted step times, one array per repeat."""
    return list(by_repeat(steps).values())


def pairing(run: RunResult) -> str | None:
    """The id of the paired job (`run --baseline-out`) that wrote `run`, or None."""
    record = run.tool.get("paired") if isinstance(run.tool, dict) else None
    return record.get("id") if isinstance(record, dict) else None


def paired_files(baseline: RunResult, current: RunResult) -> bool:
    """Whether the two files are the two sides of one paired job."""
    return pairing(baseline) is not None and pairing(baseline) == pairing(current)


def advice(point: float, low: float, high: float, threshold: float, what: str) -> str:
    """What would decide a noisy verdict: how many times more of `what`."""
    factor = units.more_data_factor(point, low, high, threshold)
    if factor is None:
        return "the change sits on the threshold: no amount of data decides it"
    return f"about {factor:.1f}x as many {what} would decide it"


def compared_paired(base: ScenarioResult, cur: ScenarioResult, threshold: float,
                    level: float = units.PAIRED_LEVEL) -> Verdict:
    """The verdict of one scenario of a paired job, from its rounds' ratios."""
    rates = base.metrics.get("steps_per_s"), cur.metrics.get("steps_per_s")
    point, low, high, n = units.paired_interval(units.repeat_means(by_repeat(base.steps)),
                                                units.repeat_means(by_repeat(cur.steps)), level)
    if n < units.MIN_ROUNDS:
        return Verdict(base.name, base.device, "insufficient", *rates,
                       note=f"{n} paired round(s) (at least {units.MIN_ROUNDS} needed)")
    verdict = units.classify(point, low, high, threshold)
    note = f"paired, {n} rounds"
    if verdict == "noisy":
        note += "; " + advice(point, low, high, threshold, "rounds (--repeats)")
    return Verdict(base.name, base.device, verdict, *rates, point, low, high, note)


def compared(base: ScenarioResult, cur: ScenarioResult, threshold: float,
             paired: float | None = None) -> Verdict:
    """The verdict of two ok scenarios from their raw steps (a paired job's, `paired` its
    interval's level: from its rounds)."""
    if paired:
        return compared_paired(base, cur, threshold, paired)
    b, c = units.units(groups(base.steps)), units.units(groups(cur.steps))
    rates = base.metrics.get("steps_per_s"), cur.metrics.get("steps_per_s")
    for side, parts in (("baseline", b), ("current", c)):
        why = units.shortfall(parts)
        if why:
            return Verdict(base.name, base.device, "insufficient", *rates,
                           note=f"{side}: {why}")
    point, low, high = units.ratio_interval(b, c)
    verdict = units.classify(point, low, high, threshold)
    what = "repeats (fresh processes)" if min(len(b), len(c)) > 1 else "counted steps"
    note = advice(point, low, high, threshold, what) if verdict == "noisy" else ""
    return Verdict(base.name, base.device, verdict, *rates, point, low, high, note)


def judge(base: ScenarioResult | None, cur: ScenarioResult | None,
          threshold: float, paired: float | None = None) -> Verdict:
    ref = cur or base
    assert ref is not None
    name, device = ref.name, ref.device
    if base is None or cur is None:
        where = "baseline" if base is None else "current run"
        return Verdict(name, device, "missing", note=f"not in the {where}")
    if cur.status == "failed":
        return Verdict(name, device, "failed", note=cur.reason)
    differ = option_differences(base.options, cur.options)
    if differ:
        return Verdict(name, device, "different", note=f"options differ: {'; '.join(differ)}")
    if base.status != "ok":
        return Verdict(name, device, "skipped", note=f"baseline {base.status}: {base.reason}")
    if cur.status == "skipped":
        return Verdict(name, device, "skipped", note=cur.reason)
    return compared(base, cur, threshold, paired)


def gate(baseline: RunResult, current: RunResult, threshold: float = 0.05,
         paired_level: float = units.PAIRED_LEVEL) -> list[Verdict]:
    """One verdict per scenario in either file, in the current run's order; the two sides
    of a paired job are judged round by round, with an interval at `paired_level`."""
    key = lambda s: (s.name, s.device)  # noqa: E731
    base = {key(s): s for s in baseline.scenarios}
    cur = {key(s): s for s in current.scenarios}
    order = [key(s) for s in current.scenarios] + [k for k in base if k not in cur]
    paired = paired_level if paired_files(baseline, current) else None
    return [judge(base.get(k), cur.get(k), threshold, paired) for k in order]


def exit_code(verdicts: Sequence[Verdict], noisy: str = "pass") -> int:
    kinds = {v.verdict for v in verdicts}
    if kinds & {"slower", "failed"} or (noisy == "fail" and "noisy" in kinds):
        return EXIT_REGRESSION
    if not verdicts or kinds & {"missing", "skipped", "insufficient", "different"}:
        return EXIT_CANNOT_COMPARE
    return EXIT_PASS


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{(x - 1) * 100:+.1f}%"


def render(verdicts: Sequence[Verdict], fmt: str = "github", threshold: float = 0.05,
           mark: str = "", paired: bool = False) -> str:
    """The gate's table: step-time change (positive = slower) with its interval and verdict.
    `mark` is appended to every verdict (runs from different machines)."""
    how = ("each round's ratio of the two sides' mean step times, run back to back (t "
           "interval over rounds; each bound a one-sided 95% test)" if paired else
           "mean over counted steps (windows of consecutive steps resampled)")
    rows = [[v.name, v.device, num(v.baseline_steps_per_s), num(v.current_steps_per_s),
             _pct(v.ratio), f"{_pct(v.low)} .. {_pct(v.high)}" if v.low is not None else "-",
             (v.verdict.upper() if v.verdict in ("slower", "failed") else v.verdict) + mark,
             v.note] for v in verdicts]
    headers = ("scenario", "device", "baseline steps/s", "current steps/s", "step time",
               f"{units.PAIRED_LEVEL:.0%} interval" if paired else "95% interval", "verdict",
               "note")
    return table(fmt, headers, rows, notes=[
        f"threshold ±{threshold:.0%}; step time = {how}; positive = slower"])
