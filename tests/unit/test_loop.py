from __future__ import annotations

import pytest

from loaderbench.harness.loop import LoopPlan, run_loop
from tests.fakes import FakeClock, FakeLoader


def run(plan, clock, loader, transfer_s=0.002, compute_s=0.005):
    seen, ends, syncs = [], [], []

    def transfer(batch):
        clock.advance(transfer_s)
        return batch

    def train(batch):
        clock.advance(compute_s)

    outcome = run_loop(loader, plan, transfer, train, lambda: syncs.append(clock()),
                       seen.append, lambda e, complete: ends.append((e, complete)), clock)
    return outcome, seen, ends, syncs


def test_each_step_is_split_into_wait_transfer_compute():
    clock = FakeClock()
    outcome, seen, ends, _ = run(LoopPlan(warmup=0, epochs=1), clock, FakeLoader(clock))
    s = outcome.steps
    assert len(s) == 4 and len(seen) == 4
    assert s.wait_s[0] == pytest.approx(0.51)  # the epoch's start-up lands in the first wait
    assert s.wait_s[1:] == pytest.approx((0.01, 0.01, 0.01))
    assert s.transfer_s == pytest.approx((0.002,) * 4)
    assert s.compute_s == pytest.approx((0.005,) * 4)
    assert s.first == (True, False, False, False)
    assert ends == [(0, True)]
    assert outcome.epoch_s == pytest.approx([0.51 + 3 * 0.01 + 4 * 0.007])


def test_device_is_synchronised_before_every_clock_read_after_work():
    clock = FakeClock()
    _, _, _, syncs = run(LoopPlan(epochs=1), clock, FakeLoader(clock, per_epoch=2))
    assert len(syncs) == 3 * 2


def test_warmup_is_recorded_but_flagged():
    clock = FakeClock()
    outcome, *_ = run(LoopPlan(warmup=2, steps=3), clock, FakeLoader(clock))
    assert outcome.steps.warmup == (True, True, False, False, False)
    assert outcome.steps.counted() == [2, 3, 4]  # step 4 restarts the epoch: it counts
    assert outcome.steps.epoch == (0, 0, 0, 0, 1)


def test_steps_mode_crosses_epochs_and_ends_partial():
    clock = FakeClock()
    outcome, _, ends, _ = run(LoopPlan(warmup=0, steps=6), clock, FakeLoader(clock))
    assert ends == [(0, True), (1, False)]
    assert outcome.epochs_complete == 1
    assert outcome.steps.first == (True, False, False, False, True, False)


def test_whole_epochs():
    clock = FakeClock()
    outcome, _, ends, _ = run(LoopPlan(epochs=3), clock, FakeLoader(clock))
    assert len(outcome.steps) == 12 and outcome.epochs_complete == 3
    assert [e for e, _ in ends] == [0, 1, 2]


def test_an_empty_epoch_is_an_error():
    clock = FakeClock()
    with pytest.raises(RuntimeError, match="yielded no batch"):
        run(LoopPlan(epochs=1), clock, FakeLoader(clock, per_epoch=0))


def test_bookkeeping_between_steps_is_measured_apart():
    clock = FakeClock()
    loader = FakeLoader(clock, per_epoch=4, startup=0.0)

    def observe(batch):
        clock.advance(0.003)  # checks cost 3 ms of wall time, outside the timed step

    outcome = run_loop(loader, LoopPlan(epochs=2), lambda b: b, lambda b: None, lambda: None,
                       observe, lambda e, c: None, clock)
    assert outcome.steps.wait_s == pytest.approx((0.01,) * 8)  # not charged to the loader
    assert outcome.bookkeeping_s == pytest.approx(8 * 0.003)
    assert outcome.epoch_s == pytest.approx([0.04, 0.04])
    assert outcome.epoch_wall_s == pytest.approx([0.04 + 4 * 0.003] * 2)
    assert outcome.loop_s == pytest.approx(2 * (0.04 + 4 * 0.003))


def test_each_clock_read_after_work_follows_a_sync():
    """The order of events in one step: sync strictly before each of t1, t2, t3."""
    events = []

    class Clock(FakeClock):
        def __call__(self):
            events.append("clock")
            return super().__call__()

    clock = Clock()
    loader = FakeLoader(clock, per_epoch=1)
    run_loop(loader, LoopPlan(epochs=1), lambda b: events.append("transfer") or b,
             lambda b: events.append("train"), lambda: events.append("sync"),
             lambda b: events.append("observe"), lambda e, c: None, clock)
    step = events[events.index("sync"):]
    assert step[:8] == ["sync", "clock", "transfer", "sync", "clock", "train", "sync", "clock"]


class NoisyLoader(FakeLoader):
    """Each next() costs wait * (1 + spread) on odd steps and wait * (1 - spread) on even ones,
    and `spread` shrinks by half every `halve_every` batches: a noisy start that settles."""

    def __init__(self, clock, spread=0.9, halve_every=None, **kw):
        super().__init__(clock, per_epoch=10_000, startup=0.0, **kw)
        self.spread, self.halve_every, self.count = spread, halve_every, 0

    def epoch(self, index):
        for batch in super().epoch(index):
            self.count += 1
            if self.halve_every and self.count % self.halve_every == 0:
                self.spread /= 2
            sign = 1 if (self.count // 7) % 2 else -1  # runs of 7: windows differ
            self.clock.advance(self.wait * self.spread * sign)
            yield batch


def test_adaptive_run_stops_once_the_interval_is_narrow():
    clock = FakeClock()
    loader = NoisyLoader(clock, spread=0.9, halve_every=40)
    plan = LoopPlan(warmup=0, steps=20, epochs=None, max_time_s=100.0, target_half_width=0.05)
    outcome, *_ = run(plan, clock, loader)
    n = len(outcome.steps)
    assert 20 < n < 10_000 and (n - 20) % 10 == 0


def test_adaptive_run_stops_at_its_maximum_time():
    clock = FakeClock()
    loader = NoisyLoader(clock, spread=0.9)  # never settles
    plan = LoopPlan(warmup=0, steps=20, epochs=None, max_time_s=2.0, target_half_width=0.001)
    outcome, *_ = run(plan, clock, loader, transfer_s=0.0, compute_s=0.0)
    counted = sum(outcome.steps.step_s()[1:])
    assert 2.0 <= counted < 2.0 + 10 * 0.02


def test_a_fixed_plan_ignores_the_interval():
    clock = FakeClock()
    outcome, *_ = run(LoopPlan(warmup=0, steps=25, epochs=None), clock, NoisyLoader(clock))
    assert len(outcome.steps) == 25
