"""rowwise — the seeds' original slow path (seed 000, Day 7): one sample at a time.

Trade-off: simple and obviously correct, and about 1000x slower than `vectorized` on this
workload. For every row it takes a 1-row `df.iloc[i:i+1]` slice, runs sklearn's imputer and
scaler on that one row, encodes each categorical cell with `.apply(lambda)` calling the
LabelEncoder (a linear `in classes_` scan plus an sklearn call per cell), and builds tensors
for one sample; DataLoader's automatic batching (`batch_size=B`) then collates B samples back
into a batch. Every one of those is a Python-level call per row, so the interpreter, not the
data, sets the pace. Kept as the baseline the seeds started from.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.data import DataLoader, IterableDataset

from loaderbench.loaders.base import Batch, Loader, LoaderContext, LoaderOptions
from loaderbench.loaders.options import option
from loaderbench.scenarios.preprocess import Encode, Preprocessor
from loaderbench.scenarios.roles import ColumnRoles
from loaderbench.scenarios.rows import file_batches

CLASS_CODES = np.dtype(np.int64)


@dataclass(frozen=True)
class RowwiseOptions(LoaderOptions):
    batch_size: int = 32
    chunk_rows: int = option(4096, minimum=1, help="rows per record batch")
    drop_last: bool = False


class RowwiseDataset(IterableDataset):
    """Yields one sample per row, exactly as the seeds' IntentIterableDataset did."""

    def __init__(self, context: LoaderContext, options: RowwiseOptions) -> None:
        self.context = context
        self.options = options

    def __iter__(self) -> Iterator[Batch]:
        pre = self.context.preprocessor
        roles = self.context.source.roles
        source = self.context.source
        for record_batch in file_batches(source, source.files, self.options.chunk_rows, True):
            frame = record_batch.to_pandas()
            for idx in range(len(frame)):
                yield row_sample(pre, roles, frame.iloc[idx : idx + 1], "apply",
                                 source.target.dtype)


def row_sample(pre: Preprocessor, roles: ColumnRoles, row, encode: Encode = "apply",
               target: np.dtype = CLASS_CODES) -> Batch:
    """One sample from a 1-row frame, the seeds' way: sklearn on one row, one encoder call
    per categorical cell (`apply`), tensors for one sample."""
    num = pre.numeric(row)
    cat = pre.encode(row, encode).astype(np.float32)
    return Batch(torch.tensor(np.concatenate([num, cat], axis=1)[0]),
                 torch.from_numpy(row[roles.label].to_numpy(dtype=target)[0:1].copy())[0],
                 torch.tensor(int(row[roles.row_id].iloc[0]), dtype=torch.int64))


class RowwiseLoader(Loader):
    name = "rowwise"
    Options = RowwiseOptions
    reads_every_column = True

    def setup(self) -> None:
        self.loader = DataLoader(RowwiseDataset(self.context, self.options),
                                 batch_size=self.options.batch_size,
                                 drop_last=self.options.drop_last)

    def epoch(self, index: int) -> Iterator[Batch]:
        return iter(self.loader)
