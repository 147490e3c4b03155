"""The injected slowdown: each batch costs a known fraction more of its own time."""

from __future__ import annotations

import pytest

from loaderbench.errors import UsageError
from loaderbench.harness.inject import Slowed, slowed
from loaderbench.scenarios.scenario import Scenario
from tests.fakes import FakeClock, FakeLoader

TICK = 1e-6


class TickingClock(FakeClock):
    """Moves a microsecond each time it is read, so a busy-wait on it ends."""

    def __call__(self) -> float:
        self.now += TICK
        return self.now


@pytest.mark.parametrize("fraction", [0.1, 0.5, 1.0])
def test_each_batch_waits_its_fraction_more(fraction):
    clock = TickingClock()
    loader = Slowed(FakeLoader(clock, per_epoch=3, wait=0.01, startup=0.0), fraction, clock)
    batches = loader.epoch(0)
    for _ in range(3):
        t = clock()
        next(batches)
        assert clock() - t == pytest.approx(0.01 * (1 + fraction), abs=20 * TICK)
    with pytest.raises(StopIteration):
        next(batches)


def test_no_slowdown_is_the_loader_itself():
    loader = FakeLoader(FakeClock())
    assert slowed(loader, 0.0) is loader


def test_the_slowed_loader_keeps_the_loaders_contract():
    inner = FakeLoader(FakeClock())
    loader = Slowed(inner, 0.2)
    assert (loader.name, loader.options, loader.allowed_missing()) == ("fake", inner.options, 0)


def test_a_negative_slowdown_is_refused():
    with pytest.raises(UsageError, match="slowdown"):
        Scenario(name="s", loader="synthetic", slowdown=-0.1)
