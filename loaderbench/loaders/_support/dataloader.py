"""The DataLoader parameters the seeds discuss (000 Days 5-6, 001, 002), as loader options.

WorkerOptions   num_workers, prefetch_factor, persistent_workers, pin_memory, drop_last
MapOptions      + shuffle and sampler, for map-style datasets (indices drawn in the main process)
SampleOptions   + collate_fn, for datasets that return one sample per index

Options are plain JSON/TOML values, so the callables and Sampler objects DataLoader takes are
named choices here:

sampler     default      DataLoader's own pick: SequentialSampler, or RandomSampler when
                         shuffle = true (its generator seeded from the scenario's seed)
            sequential   0..N-1, the dataset's file order
            random       a permutation drawn from (seed, epoch) alone
            stratified   a permutation in which every batch holds each class in about its
                         share of the dataset (a few rows off at most), from (seed, epoch). The
                         seeds' custom-sampler use case is an imbalanced dataset; the usual tool,
                         WeightedRandomSampler, draws with replacement, so an epoch would repeat
                         some rows and skip others, and every loader here must cover each row
                         once per epoch. Stratifying the order balances batches without that.
collate_fn  default      torch's default_collate (in a worker it stacks straight into shared
                         memory, so the batch is not copied again on its way to the main process)
            stack        one torch.stack per field: fewer checks, but a worker's batch is
                         copied into shared memory when it is sent

Samplers run in the main process and learn the epoch from `set_epoch` (DistributedSampler's
pattern), so persistent workers, whose dataset copies outlive an epoch, change nothing.
`prefetch_factor` and `persistent_workers` only mean something with workers: with
num_workers = 0 they are ignored (not an error), so a grid `num_workers = [0, 2]` stays valid.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import torch
from torch.utils.data import (
    DataLoader,
    Dataset,
    DistributedSampler,
    IterableDataset,
    Sampler,
    default_collate,
)

from loaderbench.errors import UsageError
from loaderbench.loaders._support.distributed import rank_sampler
from loaderbench.loaders._support.orders import Salt, epoch_rng
from loaderbench.loaders._support.workers import shutdown
from loaderbench.loaders.base import Batch, Loader, LoaderContext, LoaderOptions
from loaderbench.loaders.options import option

SamplerName = Literal["default", "sequential", "random", "stratified"]
CollateName = Literal["default", "stack"]


@dataclass(frozen=True)
class WorkerOptions(LoaderOptions):
    num_workers: int = option(0, minimum=0, help="DataLoader worker processes; 0: none")
    prefetch_factor: int | None = option(
        None, minimum=1, help="batches loaded ahead per worker; None: torch's 2")
    persistent_workers: bool = option(False, help="keep the workers between epochs")
    pin_memory: bool = option(False, help="pinned batches (CUDA only; n/a elsewhere)")
    drop_last: bool = option(False, help="drop each epoch's final partial batch")


@dataclass(frozen=True)
class MapOptions(WorkerOptions):
    shuffle: bool = False
    sampler: SamplerName = "default"
    # Multi-rank runs only: false leaves out DistributedSampler.set_epoch (the classic bug:
    # the same order every epoch), which the cross-rank order check flags.
    set_epoch: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.shuffle and self.sampler != "default":
            raise UsageError(f"shuffle = true and sampler = {self.sampler!r} exclude each other "
                             "(as in DataLoader); use shuffle = true or sampler = \"random\"")


@dataclass(frozen=True)
class SampleOptions(MapOptions):
    collate_fn: CollateName = "default"


def stratified_order(labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A permutation where each class is spread evenly: the k-th of a class's n rows (in a
    random order) sits at about k/n of the way through, jittered within its slot.

    Any B consecutive rows then hold class c within 2 + 2·K·p_c rows of B·p_c (K classes,
    p_c its share): each class has exactly one row per slot, so a stretch of keys of width w
    holds w·n_c ± 2 of its rows, and summing over the classes pins w to within 2K/N.
    """
    key = np.empty(len(labels), dtype=np.float64)
    for cls in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == cls))
        key[members] = (np.arange(len(members)) + rng.random(len(members))) / len(members)
    return np.argsort(key, kind="stable")


class EpochSampler(Sampler[int]):
    """Indices of one epoch drawn from (seed, epoch) alone; `set_epoch` before each epoch."""

    def __init__(self, kind: SamplerName, labels: np.ndarray, seed: int) -> None:
        self.kind, self.labels, self.seed, self.epoch = kind, labels, seed, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.labels)

    def __iter__(self) -> Iterator[int]:
        rng = epoch_rng(self.seed, self.epoch, Salt.SAMPLER)
        if self.kind == "random":
            order = rng.permutation(len(self.labels))
        elif self.kind == "stratified":
            order = stratified_order(self.labels, rng)
        else:
            order = np.arange(len(self.labels))
        return iter(order.tolist())


def make_sampler(options: MapOptions, labels: np.ndarray, seed: int) -> EpochSampler | None:
    return None if options.sampler == "default" else EpochSampler(options.sampler, labels, seed)


def collate_default(samples: Sequence[Any]) -> Batch:
    return Batch(*default_collate(samples))


def collate_stack(samples: Sequence[Any]) -> Batch:
    return Batch(*(torch.stack(part) for part in zip(*samples, strict=True)))


def collate_none(batch: Batch) -> Batch:
    """For datasets whose `__getitems__` already returns a whole Batch."""
    return batch


COLLATE: dict[str, Callable[[Any], Batch]] = {"default": collate_default, "stack": collate_stack}


def make_dataloader(dataset: Dataset, options: WorkerOptions, context: LoaderContext, pin: bool,
                    **extra: Any) -> DataLoader:
    """A DataLoader with the worker options; `extra` holds batch_size, sampler, collate_fn…

    With workers, the preprocessing's sklearn objects are built first, in the main process,
    so forked workers inherit them rather than each importing sklearn in its first batch.
    """
    if context.world_size > 1 and not isinstance(dataset, IterableDataset):
        extra["sampler"] = rank_sampler(dataset, bool(extra.pop("shuffle", False)),
                                        getattr(options, "sampler", "default"),
                                        options.drop_last, context)
    workers = {}
    if options.num_workers:
        context.preprocessor.warm()
        workers = {"prefetch_factor": options.prefetch_factor,
                   "persistent_workers": options.persistent_workers}
    return DataLoader(dataset, num_workers=options.num_workers, pin_memory=pin,
                      generator=torch.Generator().manual_seed(context.seed), **workers, **extra)


class DataLoaderLoader(Loader):
    """Base of the loaders built on one DataLoader: the sampler's epoch and clean shutdown."""

    options: WorkerOptions
    loader: DataLoader | None = None
    sampler: EpochSampler | None = None

    def epoch(self, index: int) -> Iterator[Batch]:
        if self.sampler is not None:
            self.sampler.set_epoch(index)
        assert self.loader is not None, "setup() must run before epoch()"
        ranked = self.loader.sampler
        if isinstance(ranked, DistributedSampler) and getattr(self.options, "set_epoch", True):
            ranked.set_epoch(index)
        return iter(self.loader)

    def shuffles(self) -> bool:
        return bool(getattr(self.options, "shuffle", False)) or \
            getattr(self.options, "sampler", "default") in ("random", "stratified")

    def close(self) -> None:
        shutdown(self.loader)
