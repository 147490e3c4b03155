"""The gate on a paired job's two files: judged round by round, so drift between rounds that
both sides share cancels, where the unpaired gate cannot see past it."""

from __future__ import annotations

import numpy as np
import pytest

from loaderbench.results import gate, units
from loaderbench.results.schema import RunResult, ScenarioResult, StepSamples


def rounds(means_ms: list[float], n: int = 60, jitter: float = 0.02, seed: int = 0
           ) -> StepSamples:
    """`n` steps per round around each round's mean."""
    rng = np.random.default_rng(seed)
    times = [m / 1e3 * (1 + jitter * rng.standard_normal()) for m in means_ms for _ in range(n)]
    k = len(times)
    return StepSamples(tuple(times), (0.0,) * k, (0.0,) * k, (1,) * k, (0,) * k,
                       tuple(r for r in range(len(means_ms)) for _ in range(n)), (False,) * k,
                       (False,) * k)


def side(s: StepSamples, pair: str | None, which: str) -> RunResult:
    tool = {"paired": {"id": pair, "side": which, "python": "python3"}} if pair else {}
    scenario = ScenarioResult(name="s", loader="vectorized", device="cpu", status="ok", steps=s)
    return RunResult(created="2026-12-02", env={}, tool=tool, scenarios=(scenario,))


# The machine slows down from round to round; each round's current is 10 % slower than its
# baseline, give or take 1 %.
DRIFT = [2.0, 2.6, 1.6, 3.0, 2.2, 1.8]
SLOWER = [m * f for m, f in zip(DRIFT, [1.09, 1.11, 1.10, 1.10, 1.09, 1.11], strict=True)]


def test_paired_files_see_through_drift_that_the_unpaired_gate_cannot():
    base, cur = rounds(DRIFT, seed=1), rounds(SLOWER, seed=2)
    (paired,) = gate.gate(side(base, "x", "baseline"), side(cur, "x", "current"), 0.05)
    (unpaired,) = gate.gate(side(base, None, ""), side(cur, None, ""), 0.05)
    assert paired.verdict == "slower" and "paired, 6 rounds" in paired.note
    assert paired.low > 1.05 and paired.high < 1.15
    assert unpaired.verdict == "noisy"


def test_a_paired_a_a_job_under_drift_is_same():
    base, cur = rounds(DRIFT, seed=3), rounds(DRIFT, seed=4)
    (v,) = gate.gate(side(base, "x", "baseline"), side(cur, "x", "current"), 0.05)
    assert v.verdict == "same"
    assert gate.exit_code([v]) == gate.EXIT_PASS


def test_files_of_different_paired_jobs_are_judged_unpaired():
    a, b = side(rounds(DRIFT), "x", "baseline"), side(rounds(SLOWER), "y", "current")
    assert not gate.paired_files(a, b)
    (v,) = gate.gate(a, b, 0.05)
    assert "paired" not in v.note


def test_under_three_rounds_is_insufficient_never_slower():
    base, cur = rounds([2.0, 2.0]), rounds([4.0, 4.0])
    (v,) = gate.gate(side(base, "x", "baseline"), side(cur, "x", "current"), 0.05)
    assert v.verdict == "insufficient" and "2 paired round(s)" in v.note
    assert gate.exit_code([v]) == gate.EXIT_CANNOT_COMPARE


def test_a_noisy_paired_verdict_asks_for_rounds():
    base = rounds([2.0, 2.0, 2.0, 2.0])
    cur = rounds([2.0, 2.4, 1.8, 2.3])
    (v,) = gate.gate(side(base, "x", "baseline"), side(cur, "x", "current"), 0.05)
    assert v.verdict == "noisy" and "as many rounds (--repeats)" in v.note


def test_paired_interval_pairs_rounds_by_index_and_skips_missing_ones():
    point, low, high, n = units.paired_interval({0: 1.0, 1: 2.0, 2: 4.0, 5: 9.0},
                                                {0: 1.1, 1: 2.2, 2: 4.4, 3: 7.0})
    assert n == 3
    assert point == pytest.approx(1.1) and low == pytest.approx(1.1)
    assert high == pytest.approx(1.1)


@pytest.mark.parametrize(("level", "t"), [(0.90, 2.353), (0.95, 3.182)])
def test_paired_interval_is_the_t_interval_of_the_log_ratios(level, t):
    d = np.log([1.1, 1.2, 1.0, 1.15])
    point, low, high, n = units.paired_interval(dict(enumerate([1.0] * 4)),
                                                dict(enumerate(np.exp(d))), level)
    half = t * d.std(ddof=1) / 2
    assert n == 4 and point == pytest.approx(np.exp(d.mean()))
    assert (low, high) == pytest.approx((np.exp(d.mean() - half), np.exp(d.mean() + half)))


def test_the_paired_verdict_is_a_one_sided_test_at_5_percent():
    """Default 90% two-sided: the bound `slower` needs is a one-sided 95% bound."""
    assert units.PAIRED_LEVEL == 0.90
    assert units.t_quantile(9, 0.90) == pytest.approx(1.833)
    with pytest.raises(ValueError, match="90% or 95%"):
        units.t_quantile(9, 0.80)
