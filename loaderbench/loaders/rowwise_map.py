"""rowwise-map — the seeds' per-sample path as a map-style Dataset (seeds 000 Day 7, 001, 002).

Trade-off: the raw rows sit in memory as one pandas frame (read in set-up, timed apart), and
`__getitem__(i)` does the seeds' per-row work: a 1-row `iloc` slice, sklearn's imputer and
scaler on that row, the categorical cells encoded one by one (`apply`, or a dict lookup with
`map`), tensors for one sample; DataLoader's automatic batching then fetches `batch_size`
indices one at a time and collates them. Reading Parquet leaves the step, but the Python
work per row stays, so it is about as slow as `rowwise`. What the map-style form buys is
what the seeds wanted from it: a true global shuffle (`shuffle`, `sampler`) and workers that
split the indices among themselves with no sharding code (`num_workers`), which is the one
thing that helps per-row code on a machine with spare cores.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from torch.utils.data import Dataset

from loaderbench.loaders._support.dataloader import COLLATE, SampleOptions
from loaderbench.loaders._support.memory import Columns, FrameLoader
from loaderbench.loaders.base import Batch
from loaderbench.loaders.rowwise import row_sample
from loaderbench.scenarios.preprocess import Preprocessor
from loaderbench.scenarios.roles import ColumnRoles


@dataclass(frozen=True)
class RowwiseMapOptions(SampleOptions):
    batch_size: int = 32
    encode: Literal["map", "apply"] = "apply"
    columns: Columns = "needed"


class RowDataset(Dataset):
    """One sample per index, preprocessed on its own."""

    def __init__(self, frame, pre: Preprocessor, roles: ColumnRoles, encode: str,
                 target: np.dtype) -> None:
        self.frame, self.pre, self.roles, self.encode = frame, pre, roles, encode
        self.target = target

    def __len__(self) -> int:
        return len(self.frame)

    def __getitem__(self, index: int) -> Batch:
        return row_sample(self.pre, self.roles, self.frame.iloc[index : index + 1], self.encode,
                          self.target)


class RowwiseMapLoader(FrameLoader):
    name = "rowwise-map"
    Options = RowwiseMapOptions
    options: RowwiseMapOptions

    def make_dataset(self, frame) -> Dataset:
        ctx = self.context
        return RowDataset(frame, ctx.preprocessor, ctx.source.roles, self.options.encode,
                          ctx.source.target.dtype)

    def collate(self) -> Callable[[Any], Batch]:
        return COLLATE[self.options.collate_fn]
