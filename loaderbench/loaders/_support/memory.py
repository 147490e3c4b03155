"""The whole dataset in memory, read once in a loader's set-up (timed apart from the steps).

`read_frame` gives the raw rows as one pandas frame in file order (the map-style loaders
preprocess from it per index or per batch); `read_tensors` preprocesses every row once with
the vectorized path and gives one Batch holding all N rows (the in-memory tensor loaders
slice or index it). `FrameLoader` is the base of the map-style loaders over that frame.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from typing import Any, Literal

from torch.utils.data import Dataset

from loaderbench.loaders._support.chunks import frame_chunk, to_batch
from loaderbench.loaders._support.dataloader import (
    DataLoaderLoader,
    MapOptions,
    make_dataloader,
    make_sampler,
)
from loaderbench.loaders.base import Batch, LoaderContext
from loaderbench.scenarios.rows import read_all
from loaderbench.scenarios.source import DataSource

Columns = Literal["all", "needed"]


def read_frame(source: DataSource, columns: Columns = "needed"):
    """Every row of every file, in file order; `needed` reads only the id, label and features."""
    return read_all(source, columns == "all").to_pandas()


def read_tensors(context: LoaderContext) -> Batch:
    """All N rows preprocessed once: features [N, F], target [N], row_id [N]."""
    return to_batch(frame_chunk(context, read_frame(context.source)))


class FrameLoader(DataLoaderLoader):
    """Base of the map-style loaders over the raw frame: a Dataset of N rows, indices drawn in
    the main process by DataLoader's sampler (shuffle) or a named one (sampler)."""

    options: MapOptions
    shards_by_rank = True

    @abc.abstractmethod
    def make_dataset(self, frame) -> Dataset:
        """The map-style Dataset over the frame."""

    @abc.abstractmethod
    def collate(self) -> Callable[[Any], Batch]:
        """What turns the fetched samples into a Batch."""

    def setup(self) -> None:
        opt, ctx = self.options, self.context
        frame = read_frame(ctx.source, getattr(opt, "columns", "needed"))
        labels = frame[ctx.source.roles.label].to_numpy(dtype=ctx.source.target.dtype)
        self.sampler = make_sampler(opt, labels, ctx.seed)
        self.loader = make_dataloader(self.make_dataset(frame), opt, ctx, self.pins_memory(),
                                      batch_size=opt.batch_size, shuffle=opt.shuffle,
                                      sampler=self.sampler, drop_last=opt.drop_last,
                                      collate_fn=self.collate())
