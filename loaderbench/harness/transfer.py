"""Host-to-device transfer, as the training loop would do it.

pageable      batch.to(device): CUDA stages the copy through its own pinned buffer
loader pin    the DataLoader pinned the batch (pin_memory=True); .to(device, non_blocking=True)
trainer pin   batch.pin_memory().to(device, non_blocking=True) in the main thread (seed Day 6,
              for batch_size=None loaders whose DataLoader cannot pin)

Pinning is a CUDA concept: on cpu and mps it is recorded as not applicable, not an error.
The harness synchronises after the copy, so `non_blocking` saves the launch wait but never
overlaps the copy with the training step here: the split into transfer and compute needs the
copy finished before compute starts (a real loop may overlap them; see README "Reading the
numbers"). Whether the batches really arrive pinned is looked at on the first batch and
recorded, not taken on trust.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from loaderbench.loaders.base import Batch
from loaderbench.results.records import Pinning, Transfer


@dataclass(frozen=True)
class TransferPlan:
    device: str
    mode: str  # what the result records, in words
    pin_in_trainer: bool = False
    non_blocking: bool = False
    pinning: Pinning = Pinning.NONE

    def function(self) -> Callable[[Batch], Batch]:
        if self.device == "cpu":
            return _identity
        target, nb = torch.device(self.device), self.non_blocking
        if self.pin_in_trainer:
            return lambda b: b.pin_memory().to(target, non_blocking=nb)
        return lambda b: b.to(target, non_blocking=nb)

    def record(self, pinned_batches: bool | None = None) -> Transfer:
        """What the result keeps: the plan, and whether the batches came pinned."""
        return Transfer(self.pinning, self.mode,
                        self.non_blocking if self.device != "cpu" else None, pinned_batches)


def _identity(batch: Batch) -> Batch:
    return batch


def plan(device: str, requested: str, loader_pins: bool, non_blocking: bool | None,
         pin_option: bool = False, on_device: bool = False) -> TransferPlan:
    """Decide the transfer from the scenario's `transfer` field and what the loader does."""
    if on_device:
        return TransferPlan("cpu", "done by the loader inside next() (counted as data wait)",
                            pinning=Pinning.IN_LOADER)
    if device != "cuda":
        asked = requested == "pin" or loader_pins or pin_option
        note = f"; pinning n/a on {device}" if asked else ""
        mode = "none (already on cpu)" if device == "cpu" else "pageable"
        return TransferPlan(device, mode + note, pinning=Pinning.NOT_APPLICABLE)
    if requested == "pin" and not loader_pins:
        nb = True if non_blocking is None else non_blocking
        return TransferPlan(device, f"trainer pin, non_blocking={nb}", True, nb, Pinning.TRAINER)
    if loader_pins:
        nb = True if non_blocking is None else non_blocking
        return TransferPlan(device, f"loader pin, non_blocking={nb}", False, nb, Pinning.LOADER)
    nb = bool(non_blocking)
    return TransferPlan(device, f"pageable, non_blocking={nb}", False, nb, Pinning.NONE)


class PinProbe:
    """Wraps the transfer to look at the first batch: was it really in pinned memory?
    `pinned` stays None if no batch came, or if the loader yielded it on the device already."""

    def __init__(self, move: Callable[[Batch], Batch]) -> None:
        self.move = move
        self.pinned: bool | None = None
        self._looked = False

    def __call__(self, batch: Batch) -> Batch:
        if not self._looked:
            self._looked = True
            if all(t.device.type == "cpu" for t in batch):
                self.pinned = all(t.is_pinned() for t in batch)
        return self.move(batch)
