"""Gate units on constructed samples: windows, the block bootstrap, the decision rule."""

from __future__ import annotations

import numpy as np
import pytest

from loaderbench.results import units


def test_windows_are_contiguous_and_keep_every_step():
    times = np.arange(1, 43, dtype=float)
    w = units.windows(times)
    assert len(w) == units.MAX_WINDOWS_PER_REPEAT
    assert w[:, 0].sum() == times.sum() and w[:, 1].sum() == 42
    assert w[0, 0] == sum(range(1, 7))  # the first six steps, in order


def test_a_short_repeat_is_one_window():
    assert units.windows(np.ones(4)).tolist() == [[4.0, 4.0]]


def test_mean_step_is_total_time_over_total_steps():
    parts = units.units([np.array([1.0, 3.0]), np.array([2.0])])
    assert units.mean_step(parts) == 2.0


def test_interval_of_a_known_ratio_holds_it():
    rng = np.random.default_rng(0)
    base = units.units([1e-3 * (1 + 0.05 * rng.standard_normal(200)) for _ in range(3)])
    cur = units.units([1.3e-3 * (1 + 0.05 * rng.standard_normal(200)) for _ in range(3)])
    point, low, high = units.ratio_interval(base, cur)
    assert low < 1.3 < high and low <= point <= high


def test_bimodal_steps_get_a_wider_interval_than_steady_ones():
    steady = units.units([np.full(60, 1e-3) + 1e-6 * np.arange(60)])
    bimodal = np.full(60, 1e-5)
    bimodal[::15] = 15e-3  # a chunk read every 15 steps
    chunked = units.units([bimodal])
    _, low_s, high_s = units.ratio_interval(steady, steady)
    _, low_c, high_c = units.ratio_interval(chunked, chunked)
    assert high_c - low_c > high_s - low_s


@pytest.mark.parametrize(("point", "low", "high", "verdict"), [
    (1.20, 1.05, 1.35, "slower"),
    (1.20, 0.95, 1.45, "noisy"),   # a large change, but no change is not ruled out
    (1.08, 1.03, 1.13, "noisy"),   # a real change, maybe beyond the threshold
    (1.03, 1.01, 1.06, "same"),
    (0.80, 0.70, 0.90, "faster"),
])
def test_classify(point, low, high, verdict):
    assert units.classify(point, low, high, 0.10) == verdict


def test_more_data_factor():
    assert units.more_data_factor(1.0, 0.8, 1.2, 0.10) == pytest.approx(4.0)
    assert units.more_data_factor(1.2, 0.95, 1.45, 0.10) == pytest.approx((0.25 / 0.2) ** 2)
    assert units.more_data_factor(1.25, 1.0, 1.5, 0.25) is None  # on the bound


def test_shortfall():
    assert "counted steps" in units.shortfall(units.units([np.ones(5)]))
    assert units.shortfall(units.units([np.ones(40)])) is None


def test_few_repeats_that_disagree_widen_the_interval_to_their_t_interval():
    def side(*means):
        return units.units([np.full(40, m) + 1e-7 * np.arange(40) for m in means])

    base, cur = side(1.0e-3, 1.3e-3, 0.8e-3), side(1.2e-3, 1.5e-3, 1.0e-3)
    low_t, high_t = units.repeat_interval(base, cur)
    _, low, high = units.ratio_interval(base, cur)
    assert (low, high) == (pytest.approx(min(low_t, low)), pytest.approx(max(high_t, high)))
    assert low < 1 < high  # three disagreeing repeats a side cannot show a 20% change
    assert units.repeat_interval(side(1e-3), cur) is None  # one repeat: no t interval
    assert units.t975(2.7) == 4.303 and units.t975(40) == 2.09
