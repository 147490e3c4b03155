"""mlp — a seed-like MLP trained on the device: forward, loss, backward, Adam step.

The loss is cross-entropy over the classes, or MSE on one output for a regression target.
"""

from __future__ import annotations

import itertools

import torch
from torch import nn

from loaderbench.loaders.base import Batch
from loaderbench.steps.base import StepContext, TrainingStep

HIDDEN = (512, 256)


class MLPStep(TrainingStep):
    """Forward, loss, backward and optimizer step of a small MLP, like the seeds' model."""

    name = "mlp"

    def __init__(self, context: StepContext, argument: None = None) -> None:
        super().__init__(context)
        torch.manual_seed(context.seed)
        sizes = (context.n_features, *HIDDEN)
        layers: list[nn.Module] = []
        for a, b in itertools.pairwise(sizes):
            layers += [nn.Linear(a, b), nn.ReLU()]
        outputs = 1 if context.regression else context.n_classes
        self.model = nn.Sequential(*layers, nn.Linear(sizes[-1], outputs)).to(context.device)
        self.loss = nn.MSELoss() if context.regression else nn.CrossEntropyLoss()
        self.regression = context.regression
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=1e-3)

    def __call__(self, batch: Batch) -> None:
        self.optimizer.zero_grad(set_to_none=True)
        out = self.model(batch.features)
        loss = self.loss(out.squeeze(1) if self.regression else out, batch.target)
        loss.backward()
        self.optimizer.step()
