from __future__ import annotations

import pytest

from loaderbench.results.schema import StepSamples
from loaderbench.results.stats import bootstrap_ci, step_metrics


def samples(waits, transfers, computes, rows=None, first=None, warmup=None, repeat=None,
            epoch=None):
    n = len(waits)
    return StepSamples(tuple(waits), tuple(transfers), tuple(computes),
                       tuple(rows or [10] * n), tuple(epoch or [0] * n), tuple(repeat or [0] * n),
                       tuple(warmup or [False] * n), tuple(first or [False] * n))


def test_metrics_come_from_the_raw_steps():
    s = samples([0.01] * 4, [0.0] * 4, [0.03] * 4)
    m = step_metrics(s, row_bytes=100)
    assert m["steps_per_s"] == pytest.approx(25.0)
    assert m["samples_per_s"] == pytest.approx(250.0)
    assert m["mb_per_s"] == pytest.approx(250 * 100 / 1e6)
    assert m["data_wait_fraction"] == pytest.approx(0.25)
    assert m["step_ms_p50"] == pytest.approx(40.0)
    assert m["unstable"] is False


def test_warmup_and_epoch_starts_are_not_counted():
    s = samples([5.0, 0.01, 0.01, 9.0], [0] * 4, [0] * 4, warmup=[True, False, False, False],
                first=[True, False, False, True], epoch=[0, 0, 0, 1])
    m = step_metrics(s)
    assert m["counted_steps"] == 2 and m["steps_per_s"] == pytest.approx(100.0)
    assert m["first_batch_s"] == pytest.approx(5.0)


def test_unstable_when_iqr_is_wide():
    s = samples([0.01, 0.02, 0.03, 0.04] * 5, [0] * 20, [0] * 20)
    assert step_metrics(s)["unstable"] is True


def test_bootstrap_interval_holds_the_estimate():
    times = [0.01 + 0.001 * (i % 7) for i in range(200)]
    low, high = bootstrap_ci(times)
    rate = len(times) / sum(times)
    assert low < rate < high
    assert bootstrap_ci(times) == (low, high)  # seeded: same input, same interval


def test_repeat_spread():
    s = samples([0.01] * 4 + [0.02] * 4, [0] * 8, [0] * 8, repeat=[0] * 4 + [1] * 4)
    m = step_metrics(s)
    assert m["repeats"] == 2
    assert m["repeat_steps_per_s_max"] == pytest.approx(100.0)
    assert m["repeat_spread"] == pytest.approx((100 - 50) / 75)


def test_no_counted_steps_gives_no_rates():
    m = step_metrics(samples([1.0], [0], [0], first=[True]))
    assert m == {"counted_steps": 0}
