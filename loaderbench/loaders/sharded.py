"""sharded — `vectorized` in DataLoader worker processes, each reading its share of the files.

Seed 000, Day 5: "The sharding problem with IterableDataset & num_workers > 0".

Trade-off: each worker reads and preprocesses whole record batches of its own files, so the
Python-heavy preprocessing (pandas conversion, category hashing) runs on `num_workers` cores
at once while the main process trains; batches come back through shared memory. It pays off
when preprocessing, not the training step, is the bottleneck and spare cores exist; it costs
worker start-up (each epoch unless `persistent_workers`), one copy of each batch between
processes, and RAM per worker. Files are the unit of work, so a worker count above the file
count leaves workers idle, and with `drop_last` each worker drops its own remainder.

`sharding` says how a worker finds its share, the seeds' two options and the bug:
  worker-info     `__iter__` asks `get_worker_info()` and keeps files id, id+n, ... (Option 1)
  worker-init-fn  DataLoader's `worker_init_fn` gives each worker's dataset copy its share
                  (Option 2)
  none            no sharding: every worker reads every file, so each row arrives
                  `num_workers` times per epoch, with no error or warning from PyTorch.
                  The harness's coverage check counts the duplicates and fails the scenario.

Epochs and persistent workers: the epoch number reaches every worker's copy through
`_support.workers.SharedEpoch`, so the file order (`shuffle_files`) and the row permutation
(`shuffle`) change every epoch, identically with or without persistence.
Every worker derives the same file order from (seed, epoch) before taking its share, so the
shares are disjoint and complete.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from torch.utils.data import IterableDataset, get_worker_info

from loaderbench.loaders._support.chunks import rebatch
from loaderbench.loaders._support.dataloader import DataLoaderLoader, WorkerOptions, make_dataloader
from loaderbench.loaders._support.distributed import file_share
from loaderbench.loaders._support.orders import Salt, epoch_rng, shuffled
from loaderbench.loaders._support.workers import SharedEpoch
from loaderbench.loaders.base import Batch, LoaderContext
from loaderbench.loaders.vectorized import VectorizedOptions, file_chunks

Sharding = Literal["worker-info", "worker-init-fn", "none"]


@dataclass(frozen=True)
class ShardedOptions(VectorizedOptions, WorkerOptions):
    num_workers: int = 2
    sharding: Sharding = "worker-info"
    # Multi-rank runs: files split by rank x worker, or "none" (every rank reads every file,
    # the bug of an IterableDataset sharded by worker alone).
    rank_sharding: Literal["rank-x-worker", "none"] = "rank-x-worker"


class ShardedDataset(IterableDataset):
    """Yields whole batches of its share of the files (the DataLoader uses batch_size=None)."""

    def __init__(self, context: LoaderContext, options: ShardedOptions) -> None:
        self.context, self.options = context, options
        self.epoch = SharedEpoch()
        self.shard: tuple[int, int] | None = None  # set by shard_in_worker_init

    def share(self) -> tuple[int, int]:
        """(this copy's index, number of copies) under the chosen sharding."""
        if self.options.sharding == "worker-info":
            info = get_worker_info()
            return (info.id, info.num_workers) if info is not None else (0, 1)
        if self.options.sharding == "worker-init-fn":
            return self.shard or (0, 1)
        return (0, 1)

    def __iter__(self) -> Iterator[Batch]:
        ctx, opt = self.context, self.options
        epoch = self.epoch.get()
        index, count = file_share(*self.share(), ctx.rank, ctx.world_size,
                                  opt.rank_sharding != "none")
        files = shuffled(ctx.source.files, opt.shuffle_files, ctx.seed, epoch)[index::count]
        rng = epoch_rng(ctx.seed, epoch, Salt.ROWS, index)
        return rebatch(file_chunks(ctx, opt, files, rng), opt.batch_size, opt.drop_last)


def shard_in_worker_init(worker_id: int) -> None:
    """The seeds' Option 2: configure this worker's copy of the dataset."""
    info = get_worker_info()
    info.dataset.shard = (worker_id, info.num_workers)


class ShardedLoader(DataLoaderLoader):
    name = "sharded"
    batches_per_worker = True
    Options = ShardedOptions
    options: ShardedOptions
    shards_by_rank = True

    def setup(self) -> None:
        opt = self.options
        init = shard_in_worker_init if opt.sharding == "worker-init-fn" else None
        self.dataset = ShardedDataset(self.context, opt)
        self.loader = make_dataloader(self.dataset, opt, self.context, self.pins_memory(),
                                      batch_size=None, worker_init_fn=init)

    def epoch(self, index: int) -> Iterator[Batch]:
        self.dataset.epoch.set(index)
        return super().epoch(index)

    def shuffles(self) -> bool:
        return self.options.shuffle_files or self.options.shuffle != "none"
