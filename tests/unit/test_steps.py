from __future__ import annotations

import torch

from loaderbench.harness.steps import make_step
from loaderbench.loaders.base import Batch


def batch(target: torch.Tensor) -> Batch:
    return Batch(torch.randn(len(target), 5), target, torch.arange(len(target)))


def test_mlp_regression_head_learns_a_float_target():
    step = make_step("mlp", 5, 1, torch.device("cpu"), regression=True)
    assert step.model[-1].out_features == 1
    b = batch(torch.full((32,), 3.0))
    before = step.loss(step.model(b.features).squeeze(1), b.target).item()
    for _ in range(20):
        step(b)
    assert step.loss(step.model(b.features).squeeze(1), b.target).item() < before


def test_mlp_classification_head_has_one_output_per_class():
    step = make_step("mlp", 5, 7, torch.device("cpu"))
    assert step.model[-1].out_features == 7
    step(batch(torch.randint(0, 7, (16,))))
