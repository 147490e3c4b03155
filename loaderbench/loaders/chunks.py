"""Pieces shared by the chunked loaders: reading record batches and cutting exact batches.

A chunk is three aligned numpy arrays (features float32 [n, F], target [n] (int64 classes
or float32 values), row_id int64 [n]). `rebatch` turns a stream of chunks of any size into
batches of exactly `batch_size` rows (the last one of an epoch may be shorter), carrying the
remainder of one chunk into the next, and hands out zero-copy `torch.from_numpy` views
where it can.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch

from loaderbench.loaders.base import Batch, LoaderContext
from loaderbench.scenarios.preprocess import Encode


class Chunk(NamedTuple):
    features: np.ndarray
    target: np.ndarray
    row_id: np.ndarray

    def __len__(self) -> int:
        return len(self.row_id)

    def take(self, index: np.ndarray) -> Chunk:
        return Chunk(self.features[index], self.target[index], self.row_id[index])

    def slice(self, start: int, stop: int) -> Chunk:
        return Chunk(self.features[start:stop], self.target[start:stop], self.row_id[start:stop])


def frame_chunk(context: LoaderContext, frame, encode: Encode = "map") -> Chunk:
    """A pandas frame of raw rows through the vectorized preprocessing."""
    roles = context.source.roles
    return Chunk(context.preprocessor.features(frame, encode),
                 frame[roles.label].to_numpy(dtype=context.source.target.dtype),
                 frame[roles.row_id].to_numpy(dtype=np.int64))


def concat(chunks: Sequence[Chunk]) -> Chunk:
    if len(chunks) == 1:
        return chunks[0]
    return Chunk(*(np.concatenate(parts) for parts in zip(*chunks, strict=True)))


def _tensor(array: np.ndarray) -> torch.Tensor:
    """Zero-copy where numpy allows it; read-only arrays (pandas copy-on-write) are copied."""
    return torch.from_numpy(array if array.flags.writeable else array.copy())


def to_batch(chunk: Chunk) -> Batch:
    return Batch(_tensor(chunk.features), _tensor(chunk.target), _tensor(chunk.row_id))


def rebatch(chunks: Iterable[Chunk], batch_size: int, drop_last: bool = False) -> Iterator[Batch]:
    """Exact-size batches from chunks of any size."""
    pending: list[Chunk] = []
    held = 0
    for chunk in chunks:
        pending.append(chunk)
        held += len(chunk)
        if held < batch_size:
            continue
        merged = concat(pending)
        stop = (held // batch_size) * batch_size
        for start in range(0, stop, batch_size):
            yield to_batch(merged.slice(start, start + batch_size))
        pending = [merged.slice(stop, held)] if stop < held else []
        held -= stop
    if held and not drop_last:
        yield to_batch(concat(pending))


def file_order(files: Sequence[Path], shuffle: bool, seed: int, epoch: int) -> list[Path]:
    """Files in their fixed order, or shuffled across partitions with a per-epoch seed."""
    if not shuffle:
        return list(files)
    order = np.random.default_rng([seed, epoch, 7]).permutation(len(files))
    return [files[i] for i in order]


