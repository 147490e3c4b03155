"""The loaders' support package: one batch-cutting rule, epoch-seeded orders."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from loaderbench.loaders._support.batching import exact_batches, pieces, tensor_batches
from loaderbench.loaders._support.chunks import Chunk, rebatch
from loaderbench.loaders._support.orders import Salt, epoch_rng, shuffled
from loaderbench.loaders.base import Batch


@pytest.mark.parametrize("sizes", [[10], [3, 3, 3, 1], [1] * 10, [7, 0, 3], [25]])
@pytest.mark.parametrize("size", [1, 4, 10, 30])
def test_pieces_fill_exact_batches_in_order(sizes, size):
    chunks = [list(range(sum(sizes[:i]), sum(sizes[: i + 1]))) for i in range(len(sizes))]
    batches = list(exact_batches(chunks, size, False,
                                 lambda parts: [x for c, a, b in parts for x in c[a:b]]))
    assert [x for b in batches for x in b] == list(range(sum(sizes)))
    assert all(len(b) == size for b in batches[:-1]) and 0 < len(batches[-1]) <= size
    kept = list(exact_batches(chunks, size, True, lambda parts: sum(b - a for _, a, b in parts)))
    assert kept == [size] * (sum(sizes) // size)


def test_a_batch_within_one_chunk_is_a_view():
    data = Batch(torch.arange(12.0).reshape(6, 2), torch.arange(6), torch.arange(6))
    first, second = tensor_batches([data], 4)
    assert first.features.data_ptr() == data.features.data_ptr()
    assert second.rows == 2
    arrays = Chunk(np.zeros((6, 2), np.float32), np.arange(6), np.arange(6))
    assert [b.rows for b in rebatch([arrays, arrays], 4)] == [4, 4, 4]


def test_a_completed_batch_is_marked():
    marks = [full for *_, full in pieces([[0] * 3, [0] * 3], 2)]
    assert marks == [True, False, True, True]


def test_each_purpose_and_epoch_draws_its_own_order():
    draws = {(salt, epoch): tuple(epoch_rng(0, epoch, salt).permutation(20))
             for salt in Salt for epoch in (0, 1)}
    assert len(set(draws.values())) == len(draws)
    assert shuffled("abc", False, 0, 1) == list("abc")
    assert sorted(shuffled(list("abcdefgh"), True, 0, 1)) == list("abcdefgh")
