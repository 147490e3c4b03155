"""Host-to-device transfer, as the training loop would do it.

pageable      batch.to(device): CUDA stages the copy through its own pinned buffer
loader pin    the DataLoader pinned the batch (pin_memory=True); .to(device, non_blocking=True)
trainer pin   batch.pin_memory().to(device, non_blocking=True) in the main thread (seed Day 6,
              for batch_size=None loaders whose DataLoader cannot pin)

Pinning is a CUDA concept: on cpu and mps it is recorded as not applicable, not an error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from loaderbench.loaders.base import Batch


@dataclass(frozen=True)
class TransferPlan:
    device: str
    mode: str  # what the result records
    pin_in_trainer: bool = False
    non_blocking: bool = False

    def function(self) -> Callable[[Batch], Batch]:
        if self.device == "cpu":
            return _identity
        target = torch.device(self.device)
        if self.pin_in_trainer:
            return lambda b: b.pin_memory().to(target, non_blocking=self.non_blocking)
        return lambda b: b.to(target, non_blocking=self.non_blocking)


def _identity(batch: Batch) -> Batch:
    return batch


def plan(device: str, requested: str, loader_pins: bool, non_blocking: bool | None,
         pin_option: bool = False, on_device: bool = False) -> TransferPlan:
    """Decide the transfer from the scenario's `transfer` field and what the loader does."""
    if on_device:
        return TransferPlan("cpu", "done by the loader inside next() (counted as data wait)")
    if device != "cuda":
        asked = requested == "pin" or loader_pins or pin_option
        note = f"; pinning n/a on {device}" if asked else ""
        mode = "none (already on cpu)" if device == "cpu" else "pageable"
        return TransferPlan(device, mode + note)
    if requested == "pin" and not loader_pins:
        nb = True if non_blocking is None else non_blocking
        return TransferPlan(device, f"trainer pin, non_blocking={nb}", True, nb)
    if loader_pins:
        nb = True if non_blocking is None else non_blocking
        return TransferPlan(device, f"loader pin, non_blocking={nb}", False, nb)
    nb = bool(non_blocking)
    return TransferPlan(device, f"pageable, non_blocking={nb}", False, nb)
