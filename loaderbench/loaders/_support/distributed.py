"""Rank sharding for multi-rank runs (torchrun): what each rank reads, and what it costs.

Map-style loaders draw their indices through `torch.utils.data.DistributedSampler`: each rank
takes every `world_size`-th index of one permutation shared by all ranks (seeded from the
scenario's seed and the epoch given to `set_epoch`). When N is not a multiple of the world
size the sampler pads the epoch by repeating its first indices (`drop_last = false`) or cuts
its tail (`drop_last = true`); `padding` and `dropped` say how many rows that is, so the
global coverage check can allow exactly those.

Iterable loaders split the files by rank x worker: copy `rank * workers + worker` of
`world_size * workers` keeps every that-many-th file.

The two classic silent bugs are options, so a suite can show them being caught:
`set_epoch = false` (map-style: the same order every epoch) and `rank_sharding = "none"`
(`sharded`: every rank reads every file, so each row arrives `world_size` times).
"""

from __future__ import annotations

from typing import Any

from loaderbench.errors import UsageError


def rank_sampler(dataset: Any, shuffle: bool, sampler: str, drop_last: bool, context: Any):
    """The DistributedSampler that replaces a map-style loader's sampler across ranks."""
    from torch.utils.data import DistributedSampler

    if sampler == "stratified":
        raise UsageError("sampler = \"stratified\" has no multi-rank form here; use "
                         "shuffle = true or sampler = \"random\" with --nproc-per-node")
    return DistributedSampler(dataset, num_replicas=context.world_size, rank=context.rank,
                              shuffle=shuffle or sampler == "random", seed=context.seed,
                              drop_last=drop_last)


def padding(rows: int, world_size: int, drop_last: bool) -> tuple[int, int]:
    """(rows repeated, rows dropped) per epoch by DistributedSampler over `rows` indices."""
    if world_size <= 1:
        return 0, 0
    if drop_last:
        return 0, rows % world_size
    return (-rows) % world_size, 0


def file_share(index: int, count: int, rank: int, world_size: int, shard: bool) -> tuple[int, int]:
    """(copy index, copies) of a worker's file share once ranks are taken into account."""
    if not shard or world_size <= 1:
        return index, count
    return rank * count + index, world_size * count
