"""batched-map — a map-style Dataset whose `__getitems__` fetches a whole batch at once.

Trade-off: the same in-memory raw frame and DataLoader as `rowwise-map` (so the same true
global shuffle, samplers and index-splitting workers), but DataLoader hands the dataset the
batch's list of indices in one `__getitems__` call (torch >= 2.2), which takes those rows with
one `frame.take` and preprocesses them with the vectorized path (sklearn on the whole batch,
`map` encoding); no per-sample collate runs. Per row it costs about what `vectorized` does
(a random gather from the frame instead of a sequential read), so it is the map-style loader
to use when the raw data fits in memory. The gather over random rows is what a shuffle costs
here; with `sampler = "sequential"` the takes are contiguous.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from torch.utils.data import Dataset

from loaderbench.loaders._support.chunks import to_batch
from loaderbench.loaders._support.dataloader import MapOptions, collate_none
from loaderbench.loaders._support.memory import Columns, FrameLoader, frame_chunk
from loaderbench.loaders.base import Batch, LoaderContext


@dataclass(frozen=True)
class BatchedMapOptions(MapOptions):
    batch_size: int = 4096
    encode: Literal["map", "apply"] = "map"
    columns: Columns = "needed"


class FrameBatchDataset(Dataset):
    """`__getitems__(indices)` -> one Batch; `__getitem__(i)` -> one sample, for completeness."""

    def __init__(self, frame, context: LoaderContext, encode: Literal["map", "apply"]) -> None:
        self.frame, self.context, self.encode = frame, context, encode

    def __len__(self) -> int:
        return len(self.frame)

    def __getitems__(self, indices: Sequence[int]) -> Batch:
        return to_batch(frame_chunk(self.context, self.frame.take(indices), self.encode))

    def __getitem__(self, index: int) -> Batch:
        return Batch(*(t[0] for t in self.__getitems__([index])))


class BatchedMapLoader(FrameLoader):
    name = "batched-map"
    Options = BatchedMapOptions
    options: BatchedMapOptions

    def make_dataset(self, frame) -> Dataset:
        return FrameBatchDataset(frame, self.context, self.options.encode)

    def collate(self) -> Callable[[Any], Batch]:
        return collate_none
