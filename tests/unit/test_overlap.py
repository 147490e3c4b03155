"""The overlapped loop on the fake clock: the next batch is read while the step's compute is
queued, parts add up to the step's wall time, and the plan's limits hold."""

from __future__ import annotations

import pytest

from loaderbench.harness.loop import LoopPlan, run_loop
from loaderbench.harness.overlap import Streams, overlapped
from tests.fakes import FakeClock, FakeLoader


def run(plan, clock, loader, transfer_s=0.002, compute_s=0.005):
    seen, ends, order = [], [], []

    def transfer(batch):
        order.append(("copy", int(batch.row_id[0])))
        clock.advance(transfer_s)
        return batch

    def train(batch):
        order.append(("train", int(batch.row_id[0])))
        clock.advance(compute_s)

    outcome = run_loop(loader, plan, transfer, train, lambda: None, seen.append,
                       lambda e, complete: ends.append((e, complete)), clock,
                       one_epoch=overlapped(Streams.for_device("cpu")))
    return outcome, seen, ends, order


def test_next_batch_is_read_and_copied_before_the_step_waits_for_its_compute():
    clock = FakeClock()
    _, seen, _, order = run(LoopPlan(epochs=1), clock, FakeLoader(clock, per_epoch=3))
    assert order == [("copy", 0), ("train", 0), ("copy", 2), ("train", 2), ("copy", 4),
                     ("train", 4)]
    assert [int(b.row_id[0]) for b in seen] == [0, 2, 4]


def test_parts_add_up_to_the_wall_time_of_each_step():
    clock = FakeClock()
    outcome, *_ = run(LoopPlan(warmup=0, epochs=1), clock, FakeLoader(clock))
    s = outcome.steps
    assert len(s) == 4 and s.first == (True, False, False, False)
    # step 0 waits for its own batch (start-up 0.5 + 0.01) and the next one (0.01)
    assert s.wait_s == pytest.approx((0.52, 0.01, 0.01, 0.0))
    assert s.transfer_s == pytest.approx((0.004, 0.002, 0.002, 0.0))
    assert s.compute_s == pytest.approx((0.005,) * 4)
    assert sum(s.step_s()) == pytest.approx(outcome.epoch_s[0])
    assert outcome.epoch_s == pytest.approx([0.5 + 4 * 0.01 + 4 * 0.002 + 4 * 0.005])


def test_steps_mode_stops_at_the_limit_and_marks_the_epoch_partial():
    clock = FakeClock()
    outcome, seen, ends, _ = run(LoopPlan(warmup=1, steps=5), clock, FakeLoader(clock))
    assert len(outcome.steps) == 6 and len(seen) == 6
    assert ends == [(0, True), (1, False)]
    assert outcome.steps.warmup == (True,) + (False,) * 5


def test_an_empty_epoch_is_an_error():
    clock = FakeClock()
    with pytest.raises(RuntimeError, match="yielded no batch"):
        run(LoopPlan(epochs=1), clock, FakeLoader(clock, per_epoch=0))


class ReusingLoader(FakeLoader):
    """Refills one buffer for every batch, as ring-buffer loaders do."""

    def epoch(self, index):
        buffer = None
        for batch in super().epoch(index):
            if buffer is None:
                buffer = batch
            for mine, new in zip(buffer, batch, strict=True):
                mine.copy_(new)
            yield buffer


def test_without_a_device_copy_each_batch_is_observed_before_the_next_is_read():
    clock = FakeClock()
    seen_ids = []
    run_loop(ReusingLoader(clock), LoopPlan(epochs=1), lambda b: b, lambda b: None,
             lambda: None, lambda b: seen_ids.append(int(b.row_id[0])), lambda e, c: None,
             clock, one_epoch=overlapped(Streams.for_device("cpu")))
    assert seen_ids == [0, 2, 4, 6]
