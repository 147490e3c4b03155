"""Exact-size batches from a stream of chunks of any size, by one rule.

`pieces` cuts the stream: consecutive pieces fill batches of exactly `size` rows, a chunk's
remainder carries into the next batch, and the piece that completes a batch says so. The
last batch of an epoch may be shorter, or dropped with `drop_last`. `exact_batches` gathers
the pieces of each batch and hands them to an `assemble` function: numpy chunks are
concatenated (`numpy_batch`), tensors too (`tensor_batch`), and arrow-native copies them
into a reused buffer instead. A batch made of one piece is a view, never a copy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TypeVar

import torch

from loaderbench.loaders.base import Batch

C = TypeVar("C")
B = TypeVar("B")
Piece = tuple[C, int, int]  # (chunk, start, stop): rows start..stop of the chunk


def pieces(chunks: Iterable[C], size: int, length: Callable[[C], int] = len
           ) -> Iterator[tuple[C, int, int, bool]]:
    """(chunk, start, stop, completes_batch) for each run of rows that goes into one batch."""
    room = size
    for chunk in chunks:
        n, start = length(chunk), 0
        while start < n:
            take = min(n - start, room)
            room -= take
            yield chunk, start, start + take, room == 0
            start += take
            if room == 0:
                room = size


def exact_batches(chunks: Iterable[C], size: int, drop_last: bool,
                  assemble: Callable[[Sequence[Piece]], B],
                  length: Callable[[C], int] = len) -> Iterator[B]:
    """Batches of exactly `size` rows (the last may be shorter unless `drop_last`)."""
    held: list[Piece] = []
    for chunk, start, stop, full in pieces(chunks, size, length):
        held.append((chunk, start, stop))
        if full:
            yield assemble(held)
            held = []
    if held and not drop_last:
        yield assemble(held)


def tensor_batch(parts: Sequence[Piece]) -> Batch:
    """Batches (on any device) sliced, and concatenated where a batch spans chunks."""
    slices = [Batch(*(t[start:stop] for t in chunk)) for chunk, start, stop in parts]
    if len(slices) == 1:
        return slices[0]
    return Batch(*(torch.cat(columns) for columns in zip(*slices, strict=True)))


def tensor_batches(chunks: Iterable[Batch], size: int, drop_last: bool = False
                   ) -> Iterator[Batch]:
    """Exact-size batches from Batches of any size (device chunks, in-memory tensors)."""
    return exact_batches(chunks, size, drop_last, tensor_batch, lambda b: b.rows)
