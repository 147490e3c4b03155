from __future__ import annotations

from dataclasses import replace

import pytest

from loaderbench.results.records import Timing
from loaderbench.results.schema import StepSamples
from loaderbench.results.stats import bootstrap_ci, repeat_rates, step_metrics, timing_metrics


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


def test_warmup_and_the_first_start_up_are_not_counted_later_epoch_starts_are():
    s = samples([5.0, 0.01, 0.01, 0.08], [0] * 4, [0] * 4, warmup=[False, False, False, False],
                first=[True, False, False, True], epoch=[0, 0, 0, 1])
    m = step_metrics(s)
    assert m["counted_steps"] == 3 and m["steps_per_s"] == pytest.approx(30.0)
    assert m["first_batch_s"] == pytest.approx(5.0)
    warm = samples([0.02, 0.01, 0.01], [0] * 3, [0] * 3, warmup=[True, True, False])
    assert step_metrics(warm)["counted_steps"] == 1


def test_bimodal_but_steady_throughput_is_stable():
    chunked = ([0.05] + [0.0001] * 9) * 8  # a chunk read every 10 steps: IQR far over 10%
    s = samples(chunked, [0] * 80, [0] * 80)
    assert step_metrics(s)["unstable"] is False


def test_unstable_when_the_rate_itself_drifts():
    drifting = [0.01 * (1 + i / 10) for i in range(40)]  # each step slower than the last
    m = step_metrics(samples(drifting, [0] * 40, [0] * 40))
    assert m["unstable"] is True and "steps/s 95% interval" in m["unstable_reason"]


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


def test_bootstrap_over_repeats_widens_when_processes_disagree():
    fast = [0.010 + 0.0001 * (i % 5) for i in range(100)]
    slow = [0.012 + 0.0001 * (i % 5) for i in range(100)]
    times, groups = fast + slow, [0] * 100 + [1] * 100
    flat = bootstrap_ci(times)
    nested = bootstrap_ci(times, groups=groups)
    assert nested[1] - nested[0] > 5 * (flat[1] - flat[0])
    assert nested[0] <= len(times) / sum(times) <= nested[1]


def test_bootstrap_memory_is_bounded_by_blocks():
    times = [0.001 * (1 + i % 3) for i in range(50_000)]  # 1000 x 50k would be 400 MB at once
    low, high = bootstrap_ci(times)
    assert low < len(times) / sum(times) < high


def test_instability_from_repeats_that_disagree():
    s = samples([0.01] * 4 + [0.02] * 4, [0] * 8, [0] * 8, repeat=[0] * 4 + [1] * 4)
    m = step_metrics(s)
    assert m["unstable"] is True and "repeats differ by 67%" in m["unstable_reason"]


def test_transfer_rate_and_device_times():
    s = samples([0.0] * 3, [0.001] * 3, [0.002] * 3, rows=[1000] * 3)
    s = replace(s, transfer_dev_s=(0.0008,) * 3, compute_dev_s=(0.0015,) * 3)
    m = step_metrics(s, row_bytes=100, device="cuda")
    assert m["h2d_gbps"] == pytest.approx(1000 * 100 / 0.001 / 1e9)
    assert m["batch_bytes"] == 100_000
    assert m["transfer_dev_ms_p50"] == pytest.approx(0.8)
    assert m["compute_dev_ms_p50"] == pytest.approx(1.5)
    assert "h2d_gbps" not in step_metrics(s, row_bytes=100, device="cpu")


def test_timing_metrics_take_medians_of_raw_values():
    m = timing_metrics(Timing(setup_s=(0.2, 0.4, 0.3), epoch_s=(1.0, 3.0, 2.0, 2.5),
                              loop_s=(10.0, 10.0), bookkeeping_s=(1.0, 0.5),
                              checks_s=(0.4, 0.2)))
    assert m == {"setup_s": 0.3, "epoch_s": 2.25, "epochs_complete": 4,
                 "bookkeeping_fraction": pytest.approx(0.075),
                 "checks_fraction": pytest.approx(0.03)}
    assert timing_metrics(Timing(setup_s=(0.1,)))["setup_s"] == 0.1
    assert timing_metrics(Timing())["bookkeeping_fraction"] is None


def test_repeat_rates_by_throughput_and_by_median():
    s = samples([0.01, 0.01, 0.04, 0.02, 0.02, 0.02], [0] * 6, [0] * 6, repeat=[0] * 3 + [1] * 3)
    assert repeat_rates(s) == pytest.approx({0: 50.0, 1: 50.0})
    assert repeat_rates(s, median=True) == pytest.approx({0: 100.0, 1: 50.0})
