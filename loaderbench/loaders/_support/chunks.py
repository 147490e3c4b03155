"""Pieces shared by the chunked loaders: reading record batches, numpy chunks as batches.

A chunk is three aligned numpy arrays (features float32 [n, F], target [n] (int64 classes
or float32 values), row_id int64 [n]). `rebatch` turns a stream of chunks of any size into
batches of exactly `batch_size` rows by the rule in `batching` (the last one of an epoch may
be shorter), and hands out zero-copy `torch.from_numpy` views where it can.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import NamedTuple

import numpy as np
import torch

from loaderbench.loaders._support.batching import exact_batches
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


def chunk_batch(parts: Sequence[tuple[Chunk, int, int]]) -> Batch:
    """One batch from its pieces: a view of one chunk, or the pieces concatenated."""
    return to_batch(concat([chunk.slice(start, stop) for chunk, start, stop in parts]))


def rebatch(chunks: Iterable[Chunk], batch_size: int, drop_last: bool = False) -> Iterator[Batch]:
    """Exact-size batches from chunks of any size."""
    return exact_batches(chunks, batch_size, drop_last, chunk_batch)


