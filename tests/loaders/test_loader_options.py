"""Each loader option does what it claims, on real Parquet files and real DataLoader workers."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from loaderbench import loaders
from loaderbench.errors import UsageError
from loaderbench.harness.checks import Checker
from loaderbench.loaders._support.dataloader import stratified_order
from loaderbench.loaders.base import LoaderContext, build_options
from loaderbench.loaders.batched_map import FrameBatchDataset
from tests.conftest import epochs_of, make_loader, row_order


def by_row(batches) -> tuple[np.ndarray, np.ndarray]:
    """Features and targets sorted by row_id."""
    ids = row_order(batches)
    sort = np.argsort(ids)
    feats = np.concatenate([b.features.numpy() for b in batches])[sort]
    return feats, np.concatenate([b.target.numpy() for b in batches])[sort]


@pytest.mark.parametrize(("name", "extra", "ctx"), [
    ("rowwise-map", {"batch_size": 64}, "small_context"),
    ("batched-map", {"batch_size": 256}, "tiny_context"),
    ("sharded", {"batch_size": 256, "num_workers": 0}, "tiny_context"),
    ("vectorized", {"batch_size": 256}, "tiny_context"),
])
def test_encode_apply_gives_the_same_values_as_map(name, extra, ctx, request):
    context = request.getfixturevalue(ctx)
    (mapped,) = epochs_of(name, {**extra, "encode": "map"}, context)
    (applied,) = epochs_of(name, {**extra, "encode": "apply"}, context)
    for a, b in zip(by_row(mapped), by_row(applied), strict=True):
        np.testing.assert_array_equal(a, b)


def test_collate_default_and_stack_give_identical_batches(tiny_context):
    (default,) = epochs_of("tensor-dataset", {"batch_size": 200}, tiny_context)
    (stacked,) = epochs_of("tensor-dataset", {"batch_size": 200, "collate_fn": "stack"},
                           tiny_context)
    assert len(default) == len(stacked)
    for a, b in zip(default, stacked, strict=True):
        assert type(a) is type(b)
        for x, y in zip(a, b, strict=True):
            assert torch.equal(x, y)


@pytest.mark.parametrize(("name", "table"), [
    ("tensor-dataset", {"batch_size": 256}),
    ("tensor-dataset", {"batch_size": 256, "sampler": "sequential"}),
    ("batched-map", {"batch_size": 256, "sampler": "sequential", "num_workers": 2}),
    ("manual-slice", {"batch_size": 256}),
    ("sharded", {"batch_size": 256, "num_workers": 0}),
])
def test_unshuffled_loaders_keep_the_file_order(name, table, tiny_context):
    (batches,) = epochs_of(name, table, tiny_context)
    assert np.array_equal(row_order(batches), np.arange(tiny_context.source.rows))


@pytest.mark.parametrize(("name", "table"), [
    ("tensor-dataset", {"batch_size": 256, "shuffle": True}),
    ("tensor-dataset", {"batch_size": 256, "sampler": "random"}),
    ("batched-map", {"batch_size": 256, "shuffle": True}),
    ("manual-slice", {"batch_size": 256, "shuffle": True}),
    ("sharded", {"batch_size": 256, "num_workers": 0, "shuffle": "permutation"}),
    ("sharded", {"batch_size": 256, "num_workers": 0, "shuffle_files": True}),
])
def test_shuffles_change_the_order_every_epoch(name, table, tiny_context):
    first, second = (row_order(b) for b in epochs_of(name, table, tiny_context, epochs=2))
    assert not np.array_equal(first, second)
    assert not np.array_equal(first, np.arange(len(first)))
    assert np.array_equal(np.sort(first), np.sort(second))


def test_random_sampler_depends_on_seed_and_epoch_alone(tiny_context):
    table = {"batch_size": 256, "sampler": "random"}
    loader = make_loader("tensor-dataset", table, tiny_context)
    try:
        once = row_order(loader.epoch(3))
        row_order(loader.epoch(0))
        again = row_order(loader.epoch(3))
    finally:
        loader.close()
    assert np.array_equal(once, again)


def test_stratified_batches_hold_each_class_near_its_share(tiny_context):
    def worst(table) -> float:
        (batches,) = epochs_of("tensor-dataset", table, tiny_context)
        labels = np.concatenate([b.target.numpy() for b in batches])
        classes, counts = np.unique(labels, return_counts=True)
        share = counts / counts.sum()
        bound = 2 + 2 * len(classes) * share  # see stratified_order's docstring
        return max(float(np.max(np.abs((b.target.numpy()[:, None] == classes).sum(0)
                                       - b.rows * share) / bound))
                   for b in batches if b.rows == 100)

    assert worst({"batch_size": 100, "sampler": "stratified"}) <= 1.0
    assert worst({"batch_size": 100, "sampler": "random"}) > 1.0


def test_stratified_order_is_a_permutation_within_its_bound():
    rng = np.random.default_rng(5)
    labels = rng.choice(3, size=2000, p=[0.9, 0.09, 0.01])
    perm = stratified_order(labels, np.random.default_rng(1))
    assert np.array_equal(np.sort(perm), np.arange(2000))
    share = np.bincount(labels) / 2000
    for start in range(0, 2000, 50):
        counts = np.bincount(labels[perm[start : start + 50]], minlength=3)
        assert np.all(np.abs(counts - 50 * share) <= 2 + 2 * 3 * share)


@pytest.mark.parametrize(("name", "table"), [
    ("manual-slice", {"batch_size": 128, "drop_last": True}),
    ("tensor-dataset", {"batch_size": 128, "drop_last": True, "shuffle": True}),
    ("batched-map", {"batch_size": 128, "drop_last": True}),
    ("sharded", {"batch_size": 128, "drop_last": True, "num_workers": 2}),
])
def test_drop_last_yields_only_full_batches(name, table, tiny_context):
    (batches,) = epochs_of(name, table, tiny_context)
    assert {b.rows for b in batches} == {128}
    loader = make_loader(name, table, tiny_context, setup=False)
    assert tiny_context.source.rows - sum(b.rows for b in batches) <= loader.allowed_missing()


def coverage(name, table, context):
    cls = loaders.get(name)
    loader = make_loader(name, table, context)
    checker = Checker(context.source, context.preprocessor,
                      allowed_missing=loader.allowed_missing())
    try:
        for batch in loader.epoch(0):
            checker.observe(batch)
    finally:
        loader.close()
    checker.end_epoch(0, True)
    assert cls.covers_dataset
    return checker.verdict()


def test_sharding_none_with_two_workers_yields_every_row_twice(tiny_context):
    checks, failure = coverage("sharded", {"batch_size": 256, "num_workers": 2,
                                           "sharding": "none"}, tiny_context)
    assert checks.duplicates == tiny_context.source.rows
    assert checks.missing == 0
    assert f"{tiny_context.source.rows:,} duplicate rows" in failure


@pytest.mark.parametrize(("sharding", "workers"), [("none", 0), ("worker-info", 2),
                                                   ("worker-init-fn", 2)])
def test_sharding_covers_each_row_once(sharding, workers, tiny_context):
    checks, failure = coverage("sharded", {"batch_size": 256, "num_workers": workers,
                                           "sharding": sharding}, tiny_context)
    assert failure is None and checks.duplicates == 0 and checks.missing == 0


def test_persistent_workers_see_each_new_epoch(tiny_context):
    table = {"batch_size": 256, "num_workers": 2, "shuffle": "permutation",
             "shuffle_files": True}
    fresh = [row_order(b) for b in epochs_of("sharded", table, tiny_context, epochs=2)]
    loader = make_loader("sharded", {**table, "persistent_workers": True}, tiny_context)
    try:
        kept, pids = [], []
        for epoch in range(2):
            kept.append(row_order(loader.epoch(epoch)))
            pids.append([w.pid for w in loader.loader._iterator._workers])
    finally:
        loader.close()
    assert pids[0] == pids[1]  # the same worker processes served both epochs
    assert not np.array_equal(kept[0], kept[1])
    for a, b in zip(fresh, kept, strict=True):
        assert np.array_equal(a, b)


def test_close_stops_persistent_workers(tiny_context):
    loader = make_loader("tensor-dataset", {"batch_size": 256, "num_workers": 2,
                                     "persistent_workers": True}, tiny_context)
    row_order(loader.epoch(0))
    workers = list(loader.loader._iterator._workers)
    assert all(w.is_alive() for w in workers)
    loader.close()
    for w in workers:
        w.join(timeout=10)
    assert not any(w.is_alive() for w in workers)


def test_worker_options_reach_the_dataloader(tiny_context):
    table = {"batch_size": 256, "num_workers": 2, "prefetch_factor": 4,
             "persistent_workers": True}
    loader = make_loader("batched-map", table, tiny_context)
    try:
        dl = loader.loader
        assert (dl.num_workers, dl.prefetch_factor, dl.persistent_workers) == (2, 4, True)
    finally:
        loader.close()
    # without workers the two worker-only options are ignored, not an error (grid-friendly)
    loader = make_loader("batched-map", {**table, "num_workers": 0}, tiny_context)
    assert (loader.loader.num_workers, loader.loader.prefetch_factor) == (0, None)
    assert loader.loader.persistent_workers is False


@pytest.mark.parametrize("name", ["rowwise-map", "batched-map", "sharded", "manual-slice",
                                  "tensor-dataset"])
def test_pin_memory_is_not_applicable_on_cpu(name, tiny_context, small_context):
    cls = loaders.get(name)
    options = build_options(cls.Options, {"pin_memory": True}, name)
    assert cls(tiny_context, options).pins_memory() is False
    cuda = LoaderContext(tiny_context.source, tiny_context.preprocessor, "cuda")
    assert cls(cuda, options).pins_memory() is True
    context = small_context if name == "rowwise-map" else tiny_context
    loader = make_loader(name, {"pin_memory": True, "batch_size": 64}, context)
    try:
        batch = next(iter(loader.epoch(0)))  # no pin_memory warning (warnings are errors)
    finally:
        loader.close()
    assert not batch.is_pinned()


def test_shuffle_and_sampler_exclude_each_other():
    cls = loaders.get("tensor-dataset")
    with pytest.raises(UsageError, match="exclude each other"):
        build_options(cls.Options, {"shuffle": True, "sampler": "random"}, "tensor-dataset")
    with pytest.raises(UsageError, match="sampler must be one of"):
        build_options(cls.Options, {"sampler": "weighted"}, "tensor-dataset")
    with pytest.raises(UsageError, match="num_workers must be at least 0"):
        build_options(cls.Options, {"num_workers": -1}, "tensor-dataset")


def test_manual_slice_batches_are_views_of_the_loaded_tensors(tiny_context):
    loader = make_loader("manual-slice", {"batch_size": 256}, tiny_context)
    first = next(iter(loader.epoch(0)))
    for part, whole in zip(first, loader.data, strict=True):
        assert part.untyped_storage().data_ptr() == whole.untyped_storage().data_ptr()


def test_batched_map_fetches_a_batch_in_one_call(tiny_context, monkeypatch):
    calls = []
    original = FrameBatchDataset.__getitems__

    def counted(self, indices):
        calls.append(len(indices))
        return original(self, indices)

    def refuse(self, index):
        raise AssertionError("__getitem__ called: the batch was fetched row by row")

    monkeypatch.setattr(FrameBatchDataset, "__getitems__", counted)
    monkeypatch.setattr(FrameBatchDataset, "__getitem__", refuse)
    (batches,) = epochs_of("batched-map", {"batch_size": 256}, tiny_context)
    assert calls == [b.rows for b in batches]
