"""The training-step registry: every step builds and runs, bad steps exit 2 at planning."""

from __future__ import annotations

import pytest
import torch

from loaderbench import steps
from loaderbench.cli import main
from loaderbench.errors import UsageError
from loaderbench.loaders.base import Batch
from loaderbench.steps.base import StepContext
from loaderbench.steps.spin import SpinStep
from tests.fakes import FakeClock

CONTEXT = StepContext(n_features=5, n_classes=3, device=torch.device("cpu"))
BATCH = Batch(torch.randn(8, 5), torch.randint(0, 3, (8,)), torch.arange(8))


@pytest.mark.parametrize("spec", ["mlp", "none", "sleep:0", "spin:0"])
def test_every_builtin_step_builds_and_runs(spec):
    assert steps.check(spec) == spec
    steps.build(spec, CONTEXT)(BATCH)


def test_mlp_step_trains_the_model():
    step = steps.build("mlp", CONTEXT)
    before = [p.detach().clone() for p in step.model.parameters()]
    step(BATCH)
    assert any(not torch.equal(a, b) for a, b in zip(before, step.model.parameters(),
                                                      strict=True))


def test_spin_holds_for_its_time_on_the_clock_it_is_given():
    clock = FakeClock()
    start = clock()

    def ticking() -> float:
        clock.advance(0.001)
        return clock()

    SpinStep(CONTEXT, 5.0, clock=ticking)(BATCH)
    assert clock() - start == pytest.approx(0.006)


@pytest.mark.parametrize(("spec", "message"), [
    ("gpu", "unknown training step 'gpu'; known steps: mlp, none, sleep:MS, spin:MS"),
    ("sleep", "write sleep:MS"), ("spin:fast", "write spin:MS"), ("mlp:3", "takes no argument"),
])
def test_bad_steps_are_usage_errors(spec, message):
    with pytest.raises(UsageError, match=message):
        steps.check(spec)


def test_one_line_registers_a_step(monkeypatch):
    monkeypatch.setitem(steps.BUILTIN, "idle", "loaderbench.steps.none:NoStep")
    assert "idle" in steps.usage()
    steps.build("idle", CONTEXT)(BATCH)


def test_an_unknown_step_exits_2_before_anything_runs(tmp_path, capsys):
    suite = tmp_path / "s.toml"
    suite.write_text('[[scenario]]\nloader = "vectorized"\nstep = "gpu"\n')
    out = tmp_path / "out.json"
    assert main(["run", "--quiet", "--suite", str(suite), "--out", str(out)]) == 2
    assert "unknown training step 'gpu'" in capsys.readouterr().err
    assert not out.exists()


def batch(target: torch.Tensor) -> Batch:
    return Batch(torch.randn(len(target), 5), target, torch.arange(len(target)))


def test_mlp_regression_head_learns_a_float_target():
    step = steps.build("mlp", StepContext(5, 1, torch.device("cpu"), regression=True))
    assert step.model[-1].out_features == 1
    b = batch(torch.full((32,), 3.0))
    before = step.loss(step.model(b.features).squeeze(1), b.target).item()
    for _ in range(20):
        step(b)
    assert step.loss(step.model(b.features).squeeze(1), b.target).item() < before


def test_mlp_classification_head_has_one_output_per_class():
    step = steps.build("mlp", StepContext(5, 7, torch.device("cpu")))
    assert step.model[-1].out_features == 7
    step(batch(torch.randint(0, 7, (16,))))
