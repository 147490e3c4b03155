"""One contract test over the whole registry: every loader, with each variant listed here,
yields Batches of the right shapes and dtypes, values equal to the reference for every
row_id, every row exactly once per epoch, and keeps each batch intact for as long as its
`batch_lifetime` promises (the whole epoch when it declares no reuse)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from loaderbench import loaders
from loaderbench.harness.checks import Checker, contract_error
from loaderbench.loaders._support.extras import missing
from loaderbench.loaders.base import Batch, torch_dtype
from tests.conftest import make_loader

# Option tables to test per loader; a loader not listed here is tested with DEFAULT.
DEFAULT = [{"batch_size": 256}]
VARIANTS: dict[str, list[dict]] = {
    "rowwise": [{"batch_size": 64}],
    "vectorized": [
        {"batch_size": 256},
        {"batch_size": 100, "chunk_rows": 333, "columns": "needed"},
        {"batch_size": 256, "shuffle": "permutation", "shuffle_files": True},
        {"batch_size": 256, "shuffle": "df-sample", "encode": "apply"},
    ],
    "synthetic": [{"batch_size": 256, "latency_ms": 0.1, "steps_per_epoch": 5}],
    "gpu-preprocess": [
        {"batch_size": 256},
        {"batch_size": 100, "chunk_rows": 333, "shuffle": "permutation", "shuffle_files": True},
        {"batch_size": 1024, "drop_last": True},
    ],
    "rowwise-map": [
        {"batch_size": 64, "encode": "map", "sampler": "stratified"},
        {"batch_size": 64, "shuffle": True, "num_workers": 2, "collate_fn": "stack"},
    ],
    "batched-map": [
        {"batch_size": 256},
        {"batch_size": 128, "sampler": "random", "drop_last": True, "encode": "apply"},
        {"batch_size": 256, "shuffle": True, "num_workers": 2, "persistent_workers": True,
         "prefetch_factor": 4, "columns": "all"},
    ],
    "sharded": [
        {"batch_size": 256, "num_workers": 0},
        {"batch_size": 256, "num_workers": 2, "shuffle": "permutation", "shuffle_files": True},
        {"batch_size": 128, "num_workers": 2, "sharding": "worker-init-fn", "chunk_rows": 333,
         "persistent_workers": True, "drop_last": True},
        {"batch_size": 256, "num_workers": 2, "shuffle": "df-sample", "columns": "needed"},
    ],
    "manual-slice": [
        {"batch_size": 256},
        {"batch_size": 128, "shuffle": True, "drop_last": True},
        {"batch_size": 256, "shuffle": True, "resident": "device"},
    ],
    "tensor-dataset": [
        {"batch_size": 256},
        {"batch_size": 128, "sampler": "stratified", "collate_fn": "stack", "drop_last": True},
        {"batch_size": 256, "shuffle": True, "num_workers": 2, "persistent_workers": True},
    ],
    "arrow-native": [
        {"batch_size": 256},
        {"batch_size": 100, "chunk_rows": 333, "threads": 0, "use_threads": False, "buffers": 1},
        {"batch_size": 256, "shuffle": "permutation", "shuffle_files": True},
        {"batch_size": 300, "chunk_rows": 128, "threads": 0},
        {"batch_size": 256, "num_workers": 2, "shuffle": "permutation", "shuffle_files": True},
        {"batch_size": 256, "num_workers": 2, "threads": 0},
        {"batch_size": 1024, "pin_memory": True, "buffers": 1},
    ],
    "hf-datasets": [
        {"batch_size": 256},
        {"batch_size": 100, "format": "torch", "shuffle": True, "drop_last": True},
        {"batch_size": 256, "format": "pandas", "num_workers": 2, "persistent_workers": True},
        {"batch_size": 256, "mode": "iterable", "num_workers": 2, "shards": 4},
        {"batch_size": 128, "mode": "iterable", "shuffle": True, "shuffle_buffer": 500,
         "drop_last": True},
    ],
    "polars": [
        {"batch_size": 256},
        {"batch_size": 100, "shuffle": "permutation", "shuffle_files": True, "drop_last": True},
    ],
    "torchdata-nodes": [
        {"batch_size": 256},
        {"batch_size": 100, "num_workers": 0, "shuffle_files": True, "columns": "all"},
        {"batch_size": 256, "method": "process", "drop_last": True},
    ],
    "arrow-shm": [
        {"batch_size": 256, "workers": 2},
        {"batch_size": 100, "workers": 3, "slots": 2, "chunk_rows": 333, "use_threads": False},
        {"batch_size": 256, "workers": 2, "shuffle": "permutation", "shuffle_files": True},
        {"batch_size": 300, "workers": 1, "chunk_rows": 128, "threads": 2, "drop_last": True},
    ],
}


# Epochs per case: two show that a second epoch covers the data again; one where slow.
EPOCHS = {"rowwise": 1, "rowwise-map": 1}
# The per-row loaders (~2 ms a row) run on the small dataset, the others on the tiny one.
CONTEXT = {"rowwise": "small_context", "rowwise-map": "small_context"}


def cases():
    for name in loaders.names():
        absent = missing(loaders.get(name))
        marks = [pytest.mark.skip(reason=absent)] if absent else []
        for table in VARIANTS.get(name, DEFAULT):
            label = "-".join(f"{k}={v}" for k, v in table.items())
            yield pytest.param(name, table, id=f"{name}-{label}", marks=marks)


def run_epochs(name, table, context, epochs=2):
    loader = make_loader(name, table, context, setup=False)
    checker = Checker(context.source, context.preprocessor, loader.covers_dataset,
                      loader.allowed_missing())
    loader.setup()
    orders = []
    try:
        for epoch in range(epochs):
            seen = []
            held = Lifetime(loader.batch_lifetime)
            for batch in loader.epoch(epoch):
                assert contract_error(batch, context.preprocessor.n_features,
                                      torch_dtype(context.source.target.dtype)) is None
                assert batch.rows <= table.get("batch_size", 4096)
                held.add(batch)
                checker.observe(batch)
                seen.append(batch.row_id.numpy().copy())
            checker.end_epoch(epoch, True)
            orders.append(np.concatenate(seen))
    finally:
        loader.close()
    return checker, orders


class Lifetime:
    """The batch-lifetime rule of the Loader contract: with `batch_lifetime` N, a batch must
    stay unchanged while N more batches are yielded; with None, for the whole epoch."""

    def __init__(self, lifetime: int | None) -> None:
        self.lifetime = lifetime
        self.held: list[tuple[Batch, Batch]] = []

    def add(self, batch: Batch) -> None:
        """Batch j has arrived: batches j - N .. j - 1 must be as they were yielded."""
        if self.lifetime is not None:
            del self.held[: max(0, len(self.held) - self.lifetime)]
        for kept, copy in self.held:
            assert all(torch.equal(a, b) for a, b in zip(kept, copy, strict=True)), \
                f"a batch changed within its lifetime ({self.lifetime} more batches)"
        self.held.append((batch, Batch(*(t.clone() for t in batch))))


@pytest.mark.parametrize(("name", "table"), list(cases()))
def test_loader_contract(name, table, request):
    context = request.getfixturevalue(CONTEXT.get(name, "tiny_context"))
    checker, _orders = run_epochs(name, table, context, EPOCHS.get(name, 2))
    checks, failure = checker.verdict()
    assert failure is None, failure
    assert checks.values == "ok"
    if loaders.get(name).covers_dataset:
        assert checks.coverage == "exact"
        assert checks.duplicates == 0
        assert all(e.missing <= checks.allowed_missing for e in checks.epochs)
        if not table.get("drop_last"):
            assert checks.missing == 0


def test_shuffle_changes_the_order_between_epochs(tiny_context):
    _, orders = run_epochs("vectorized", {"batch_size": 256, "shuffle": "permutation",
                                          "shuffle_files": True}, tiny_context)
    assert not np.array_equal(orders[0], orders[1])
    assert np.array_equal(np.sort(orders[0]), np.sort(orders[1]))


def test_unshuffled_order_is_the_file_order(tiny_context):
    _, orders = run_epochs("vectorized", {"batch_size": 256}, tiny_context, epochs=1)
    assert np.array_equal(orders[0], np.arange(tiny_context.source.rows))
