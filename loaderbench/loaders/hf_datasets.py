"""hf-datasets — the Parquet files through HuggingFace `datasets`, as its users feed PyTorch.

Trade-off: `datasets` turns the files into one memory-mapped Arrow table in set-up
(`Dataset.from_parquet` writes an Arrow cache, timed apart) and gives random access, sharding,
and formats for free; the price is its formatting layer, which builds each batch's columns
through Python lists, one element per row, and a gather (`take`) for every index list. The
fitted preprocessing (pandas + sklearn + `map`, as in `vectorized`) runs on each fetched batch
in the DataLoader's collate_fn, so in the workers when there are some.

  mode = map        the map-style batched fetch: a BatchSampler hands the whole batch's
                    indices to `dataset[indices]` (one gather, one formatting) and the
                    DataLoader passes the result through (batch_size=None); shuffle draws a
                    RandomSampler; workers split the batches.
  mode = iterable   `to_iterable_dataset(num_shards=shards).batch(batch_size)`: a stream that
                    DataLoader workers shard among themselves (shard i to worker i mod n);
                    shuffle is `IterableDataset.shuffle` (shard order and a row buffer of
                    `shuffle_buffer`), re-seeded each epoch by `set_epoch`.

format: what `with_format` hands the collate_fn. numpy gives every column as an ndarray
(strings as objects), torch numeric columns as tensors and strings as lists, pandas a frame
(map mode only: the iterable `.batch` gives list cells). numpy and torch build each column
through a Python list, one element per row; pandas converts the Arrow table whole. Through
the harness (peers suite, 2 workers, batch 4096, step none, 2 cores busy with other jobs):
map mode pandas 4.8 k rows/s, numpy 2.4 k, torch 2.0 k (numpy beats torch: the torch
formatter tensorizes row by row and its string lists still have to become a frame);
iterable numpy 3.2 k. `vectorized` on the same files: 12 k. The default format is the
fastest for the mode: pandas for map, numpy for iterable. Outside the harness, the gather
dominates: `dataset[list]` formats 2-4 k rows/s, a contiguous `dataset[start:stop]` ~10x
that, so the per-index fetch, not the preprocessing, is what makes this peer slow.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import torch
from torch.utils.data import BatchSampler, RandomSampler, SequentialSampler

from loaderbench.errors import UsageError
from loaderbench.loaders._support.chunks import frame_chunk, to_batch
from loaderbench.loaders._support.dataloader import (
    DataLoaderLoader,
    WorkerOptions,
    make_dataloader,
)
from loaderbench.loaders.base import Batch, LoaderContext
from loaderbench.loaders.options import option
from loaderbench.scenarios.rows import plain_strings, read_all

Format = Literal["numpy", "torch", "pandas"]


@dataclass(frozen=True)
class HfDatasetsOptions(WorkerOptions):
    mode: Literal["map", "iterable"] = "map"
    format: Format | None = None  # None: the fastest for the mode (pandas for map, else numpy)
    shuffle: bool = False
    shards: int = option(8, minimum=1, help="shards of the iterable dataset")
    shuffle_buffer: int = option(10_000, minimum=1, help="rows in the iterable's shuffle buffer")

    @property
    def resolved_format(self) -> Format:
        if self.format is not None:
            return self.format
        return "pandas" if self.mode == "map" else "numpy"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.mode == "iterable" and self.format == "pandas":
            raise UsageError("hf-datasets format = \"pandas\" needs mode = \"map\" (the "
                             "iterable's batches hold list cells); use numpy or torch")


class ToBatch:
    """collate_fn: one formatted batch of raw columns -> the preprocessed Batch."""

    def __init__(self, context: LoaderContext) -> None:
        self.context = context

    def __call__(self, fetched: Any) -> Batch:
        import pandas as pd

        if not isinstance(fetched, pd.DataFrame):
            fetched = pd.DataFrame({k: v.numpy() if isinstance(v, torch.Tensor) else v
                                    for k, v in fetched.items()})
        return to_batch(frame_chunk(self.context, fetched))


def quiet_datasets() -> Any:
    """Import `datasets` with its progress bars and info logging off."""
    import datasets

    datasets.disable_progress_bars()
    datasets.logging.set_verbosity_error()
    return datasets


class HfDatasetsLoader(DataLoaderLoader):
    name = "hf-datasets"
    Options = HfDatasetsOptions
    options: HfDatasetsOptions
    requires = ("datasets",)
    extra = "peers"

    def setup(self) -> None:
        datasets = quiet_datasets()
        source = self.context.source
        self.cache = tempfile.TemporaryDirectory(prefix="loaderbench-hf-")
        if source.plain:
            self.table = datasets.Dataset.from_parquet([str(f) for f in source.files],
                                                       columns=list(source.roles.needed),
                                                       cache_dir=self.cache.name)
        else:  # ids, targets and categoricals as every loader sees them (rows.py)
            self.table = datasets.Dataset(plain_strings(read_all(source)))
        self.iterable: Any = None
        build = self._iterable_loader if self.options.mode == "iterable" else self._map_loader
        self.loader = build()

    def _map_loader(self) -> Any:
        opt = self.options
        order = range(len(self.table))
        picker = (RandomSampler(order, generator=torch.Generator().manual_seed(self.context.seed))
                  if opt.shuffle else SequentialSampler(order))
        return make_dataloader(self.table.with_format(opt.resolved_format), opt, self.context,
                               self.pins_memory(), batch_size=None,
                               sampler=BatchSampler(picker, opt.batch_size, opt.drop_last),
                               collate_fn=ToBatch(self.context))

    def _iterable_loader(self) -> Any:
        opt = self.options
        stream = self.table.to_iterable_dataset(num_shards=opt.shards)
        if opt.shuffle:
            stream = stream.shuffle(seed=self.context.seed, buffer_size=opt.shuffle_buffer)
        self.iterable = stream.batch(opt.batch_size, drop_last_batch=opt.drop_last)
        return make_dataloader(self.iterable.with_format(opt.resolved_format), opt, self.context,
                               self.pins_memory(), batch_size=None,
                               collate_fn=ToBatch(self.context))

    def epoch(self, index: int) -> Iterator[Batch]:
        if self.iterable is not None:
            self.loader.dataset.set_epoch(index)
        return super().epoch(index)

    @property
    def batches_per_worker(self) -> bool:
        """Iterable mode batches each worker's stream apart: a partial batch per worker."""
        return self.options.mode == "iterable"

    def close(self) -> None:
        super().close()
        cache = getattr(self, "cache", None)
        if cache is not None:
            self.table = None
            cache.cleanup()
