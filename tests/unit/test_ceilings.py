"""Rates that say what they are: whole-epoch rate, the headline, inferred chunk reads and
the marks on rates above what the machine can do."""

from __future__ import annotations

import pytest

from loaderbench.results import ceilings
from loaderbench.results.metrics import derive
from loaderbench.results.records import Timing
from loaderbench.results.samples import StepSamples
from loaderbench.results.stats import epoch_rate, headline, slow_steps


def scenario_metrics(steps, timing, row_bytes=0):
    return derive(steps, Timing(epoch_s=tuple(timing["epoch_s"])), None, row_bytes, "cpu")


def chunked(epochs: int = 2, per_epoch: int = 10, read_s: float = 0.5, slice_s: float = 0.001,
            first_only: bool = True) -> StepSamples:
    """Each epoch reads its data in its first step (or every 5th step), then slices."""
    waits, epoch, first = [], [], []
    for e in range(epochs):
        for i in range(per_epoch):
            read = i == 0 if first_only else i % 5 == 0
            waits.append(read_s if read else slice_s)
            epoch.append(e)
            first.append(i == 0)
    n = len(waits)
    return StepSamples(tuple(waits), (0.0,) * n, (0.0,) * n, (64,) * n, tuple(epoch), (0,) * n,
                       (False,) * n, tuple(first))


def test_whole_epoch_rate_counts_start_up_and_only_complete_epochs():
    s = chunked(epochs=2)
    per_epoch = 0.5 + 9 * 0.001
    # steps mode: the last epoch was cut short, so only epoch 0 is complete
    assert epoch_rate(s, Timing(epoch_s=(per_epoch,))) == pytest.approx(640 / per_epoch)
    # epochs mode: both complete
    assert epoch_rate(s, Timing(epoch_s=(per_epoch,) * 2)) == pytest.approx(640 / per_epoch)
    assert epoch_rate(s, Timing()) is None


def test_a_front_loading_loader_is_headlined_by_its_epochs():
    m = scenario_metrics(chunked(epochs=2), {"epoch_s": [0.509]}, row_bytes=0)
    assert m.samples_per_s > 1.5 * m.epoch_samples_per_s
    assert m.headline == "whole-epoch"
    assert m.headline_samples_per_s == m.epoch_samples_per_s
    assert headline({"samples_per_s": 10.0, "epoch_samples_per_s": 12.0})["headline"] == "steady"


def test_slow_steps_are_inferred_reads():
    assert slow_steps(chunked(epochs=1)) == {"reads_counted": 0, "reads_seen": 1}
    assert slow_steps(chunked(epochs=1, first_only=False)) == {"reads_counted": 1,
                                                              "reads_seen": 2}


def test_a_rate_over_fewer_than_two_reads_is_marked():
    m = scenario_metrics(chunked(epochs=1), {"epoch_s": []}, row_bytes=0)
    (reason,) = ceilings.rate_marks(m, scan=None, dataset_rows=None)
    assert "0 of its 1 slow (chunk-reading) steps" in reason
    whole = scenario_metrics(chunked(epochs=2), {"epoch_s": [0.509]}, row_bytes=0)
    assert ceilings.rate_marks(whole, scan=None, dataset_rows=None) == []  # epochs hold it


def test_above_the_scan_is_marked_unless_set_up_read_the_data():
    m = {"samples_per_s": 3e6, "setup_s": 0.01}
    (reason,) = ceilings.rate_marks(m, scan=1e6, dataset_rows=200_000)
    assert reason.startswith("300% of the raw Parquet scan")
    assert ceilings.rate_marks({**m, "setup_s": 0.5}, scan=1e6, dataset_rows=200_000) == []
    assert ceilings.rate_marks({**m, "samples_per_s": 0.9e6}, 1e6, 200_000) == []


def test_above_the_pinned_copy_is_marked():
    assert ceilings.above_pinned({"h2d_gbps": 30.0}, 20.0).startswith("30 GB/s")
    assert ceilings.above_pinned({"h2d_gbps": 15.0}, 20.0) is None
