"""Training steps the harness times as "compute".

mlp       a seed-like MLP: forward, cross-entropy loss (MSE with one output for a regression
          target), backward, Adam step, on the device
none      nothing: the loader alone sets the pace
sleep:MS  emulated compute that releases the GIL (time.sleep, as DLIO emulates it)
spin:MS   emulated compute that holds the GIL (a busy loop): shows what a pin-memory
          thread or worker hand-off loses when the main thread never lets go (pytorch#77139)
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable

import torch
from torch import nn

from loaderbench.loaders.base import Batch
from loaderbench.scenarios.scenario import check_step

TrainStep = Callable[[Batch], None]
HIDDEN = (512, 256)


class MLPStep:
    """Forward, loss, backward and optimizer step of a small MLP, like the seeds' model."""

    def __init__(self, n_features: int, n_classes: int, device: torch.device, seed: int = 0,
                 regression: bool = False):
        torch.manual_seed(seed)
        sizes = (n_features, *HIDDEN)
        layers: list[nn.Module] = []
        for a, b in itertools.pairwise(sizes):
            layers += [nn.Linear(a, b), nn.ReLU()]
        outputs = 1 if regression else n_classes
        self.model = nn.Sequential(*layers, nn.Linear(sizes[-1], outputs)).to(device)
        self.loss = nn.MSELoss() if regression else nn.CrossEntropyLoss()
        self.regression = regression
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=1e-3)

    def __call__(self, batch: Batch) -> None:
        self.optimizer.zero_grad(set_to_none=True)
        out = self.model(batch.features)
        loss = self.loss(out.squeeze(1) if self.regression else out, batch.target)
        loss.backward()
        self.optimizer.step()


def _none(batch: Batch) -> None:
    return None


def sleeper(ms: float) -> TrainStep:
    seconds = ms / 1e3

    def step(batch: Batch) -> None:
        time.sleep(seconds)

    return step


def spinner(ms: float, clock: Callable[[], float] = time.perf_counter) -> TrainStep:
    seconds = ms / 1e3

    def step(batch: Batch) -> None:
        end = clock() + seconds
        while clock() < end:
            pass

    return step


def make_step(spec: str, n_features: int, n_classes: int, device: torch.device,
              seed: int = 0, regression: bool = False) -> TrainStep:
    check_step(spec)
    if spec == "mlp":
        return MLPStep(n_features, n_classes, device, seed, regression)
    if spec == "none":
        return _none
    kind, ms = spec.split(":")
    return sleeper(float(ms)) if kind == "sleep" else spinner(float(ms))
