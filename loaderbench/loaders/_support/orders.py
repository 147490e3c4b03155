"""Epoch-seeded random orders: what a loader shuffles in an epoch depends on (seed, epoch)
and the purpose alone, so two runs of a scenario see the same orders, every epoch differs,
and two purposes (the files' order, a chunk's rows) never draw the same stream.

Each purpose has its named salt; `epoch_rng(seed, epoch, SALT, *more)` adds e.g. the worker's
index where several copies draw at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum
from typing import TypeVar

import numpy as np

T = TypeVar("T")


class Salt(IntEnum):
    """One per purpose; the values are arbitrary but fixed (they fix the orders drawn)."""

    FILE_ORDER = 7  # files or row groups shuffled across partitions
    SAMPLER = 11  # a DataLoader sampler's indices (random, stratified)
    ROWS = 13  # rows within a chunk (or a whole in-memory dataset) permuted
    DEVICE = 17  # the seed of a torch generator on the device


def epoch_rng(seed: int, epoch: int, salt: Salt, *more: int) -> np.random.Generator:
    """The generator of one purpose in one epoch (`more`: a worker index, say)."""
    return np.random.default_rng([seed, epoch, int(salt), *more])


def epoch_seed(seed: int, epoch: int, salt: Salt) -> int:
    """An integer seed for another generator (torch's, on a device) from the same rule."""
    return int(epoch_rng(seed, epoch, salt).integers(2**62))


def shuffled(items: Sequence[T], shuffle: bool, seed: int, epoch: int) -> list[T]:
    """`items` in their order, or permuted for this epoch (files, row groups)."""
    if not shuffle:
        return list(items)
    order = epoch_rng(seed, epoch, Salt.FILE_ORDER).permutation(len(items))
    return [items[i] for i in order]
