"""arrow-native's own edge cases, on small hand-written Parquet files: nulls, NaN stored as a
value, categories the fit never saw, dictionaries that differ between row groups and files,
chunks and files that do not line up with batches, and the batch buffers' lifetime."""

from __future__ import annotations

import dataclasses

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import torch

from loaderbench.errors import UsageError
from loaderbench.loaders._support.arrow_columns import BatchRing, CodeTables, Room, fill_batches
from loaderbench.loaders._support.chunks import Chunk
from loaderbench.loaders.arrow_native import ArrowNativeLoader, ArrowNativeOptions
from loaderbench.loaders.base import LoaderContext
from loaderbench.scenarios.preprocess import Preprocessor, fit_state
from loaderbench.scenarios.source import open_data


def _file(rng: np.random.Generator, start: int, n: int, words: list[str]) -> pa.Table:
    """n rows: NaN stored as a value in num_a, nulls in num_b, nulls and odd words in cat_x."""
    num_a = rng.normal(5.0, 2.0, n)
    num_a[rng.random(n) < 0.1] = np.nan
    num_b = pa.array(rng.normal(-3.0, 0.5, n), mask=rng.random(n) < 0.1)
    cat = pa.array(rng.choice(words, n).tolist(), mask=rng.random(n) < 0.1)
    return pa.table({"row_id": np.arange(start, start + n, dtype=np.int64),
                     "label": rng.integers(0, 3, n), "num_a": pa.array(num_a),
                     "num_b": num_b, "cat_x": cat, "fill_0": rng.normal(size=n)})


# (rows, row group size, words): each file and row group holds a different set of words, so
# their dictionaries differ; "zz*" words are absent from the fit (unseen); the 3-row file is
# smaller than every batch below.
FILES = [(130, 40, ["a", "b", "c"]), (3, 2, ["c", "zz1"]), (77, 77, ["b", "d", "zz2", "a"]),
         (51, 13, ["d", "a"])]


@pytest.fixture(scope="module")
def edge_source(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("edge")
    rng, start = np.random.default_rng(3), 0
    for i, (n, group, words) in enumerate(FILES):
        path = root / f"date=2024-01-0{i + 1}" / "part-0.parquet"
        path.parent.mkdir(parents=True)
        pq.write_table(_file(rng, start, n, words), path, row_group_size=group,
                       use_dictionary=i != 2)  # file 2 stores plain strings
        start += n
    return open_data(root, validate_ids=True)


@pytest.fixture(scope="module")
def edge_context(edge_source) -> LoaderContext:
    frame = _frame(edge_source)
    fitted = frame[~frame["cat_x"].str.startswith("zz", na=False)]
    state = fit_state(fitted, edge_source.roles.numeric, edge_source.roles.categorical)
    return LoaderContext(edge_source, Preprocessor(state), "cpu", seed=5)


def _frame(source):
    tables = [pq.read_table(f, columns=list(source.roles.needed)) for f in source.files]
    return pa.concat_tables(tables).to_pandas().sort_values("row_id").reset_index(drop=True)


def collect(context: LoaderContext, epochs: int = 1, **options) -> list[dict]:
    """Every epoch's rows as {row_id: (features, target)}, copied out as they come."""
    loader = ArrowNativeLoader(context, ArrowNativeOptions(**options))
    loader.setup()
    out = []
    try:
        for epoch in range(epochs):
            rows: dict = {}
            for batch in loader.epoch(epoch):
                assert batch.rows <= loader.options.batch_size
                for i, rid in enumerate(batch.row_id.tolist()):
                    assert rid not in rows, f"row {rid} twice in epoch {epoch}"
                    rows[rid] = (batch.features[i].clone(), int(batch.target[i]))
            out.append(rows)
    finally:
        loader.close()
    return out


def assert_matches_reference(rows: dict, context: LoaderContext) -> None:
    frame = _frame(context.source)
    assert sorted(rows) == frame["row_id"].tolist()
    ref = context.preprocessor.features(frame, "map")
    got = torch.stack([rows[i][0] for i in frame["row_id"]]).numpy()
    n_num = len(context.preprocessor.state.numeric)
    np.testing.assert_allclose(got[:, :n_num], ref[:, :n_num], rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(got[:, n_num:], ref[:, n_num:])
    assert [rows[i][1] for i in frame["row_id"]] == frame["label"].tolist()


def test_the_edge_data_holds_every_edge(edge_context):
    frame = _frame(edge_context.source)
    assert frame["num_a"].isna().any() and frame["num_b"].isna().any()
    assert frame["cat_x"].isna().any()
    unknown = edge_context.preprocessor.unknown_code("cat_x")
    codes = edge_context.preprocessor.encode(frame, "map")[:, 0]
    assert (codes[frame["cat_x"].isna().to_numpy()] == unknown).all()
    assert (codes[frame["cat_x"].str.startswith("zz", na=False).to_numpy()] == unknown).all()


@pytest.mark.parametrize("options", [
    {"batch_size": 10, "chunk_rows": 7},
    {"batch_size": 10, "chunk_rows": 7, "threads": 0},
    {"batch_size": 64, "threads": 0, "use_threads": False, "buffers": 1},
    {"batch_size": 9, "threads": 3, "chunk_rows": 5},
    {"batch_size": 16, "shuffle": "permutation", "shuffle_files": True},
    {"batch_size": 32, "num_workers": 2},
    {"batch_size": 32, "num_workers": 2, "threads": 0},
], ids=lambda o: "-".join(f"{k}={v}" for k, v in o.items()))
def test_values_and_codes_equal_the_reference(options, edge_context):
    for rows in collect(edge_context, epochs=2, **options):
        assert_matches_reference(rows, edge_context)


def test_memo_off_gives_the_same_values(edge_context):
    (rows,) = collect(edge_context, batch_size=20, memo_entries=0)
    assert_matches_reference(rows, edge_context)


def test_drop_last_yields_only_full_batches(edge_context):
    loader = ArrowNativeLoader(edge_context, ArrowNativeOptions(batch_size=50, drop_last=True))
    loader.setup()
    sizes = [batch.rows for batch in loader.epoch(0)]
    loader.close()
    total = edge_context.source.rows
    assert sizes == [50] * (total // 50)
    assert total - sum(sizes) <= loader.allowed_missing()


def test_shuffle_changes_the_order_per_epoch_in_persistent_workers(edge_context):
    epochs = collect(edge_context, epochs=2, batch_size=16, num_workers=2, shuffle_files=True,
                     shuffle="permutation")
    assert list(epochs[0]) != list(epochs[1])
    assert sorted(epochs[0]) == sorted(epochs[1])


@pytest.mark.parametrize("threads", [0, 2])
def test_unshuffled_order_is_the_file_order(threads, edge_context):
    (rows,) = collect(edge_context, batch_size=16, threads=threads, chunk_rows=6)
    assert list(rows) == list(range(edge_context.source.rows))


def test_a_batch_is_intact_until_the_ring_comes_round(edge_context):
    """Hold each batch for `buffers - 1` more batches: it must not change; the one after
    reuses its memory (so this test would catch a buffer refilled too early)."""
    buffers = 3
    loader = ArrowNativeLoader(edge_context, ArrowNativeOptions(batch_size=8, buffers=buffers))
    loader.setup()
    held: list = []
    pointers = []
    for batch in loader.epoch(0):
        for view, copy in held[-(buffers - 1):]:
            assert all(torch.equal(v, c) for v, c in zip(view, copy, strict=True))
        held.append((batch, tuple(t.clone() for t in batch)))
        pointers.append(batch.features.data_ptr())
    loader.close()
    assert pointers[0] == pointers[buffers] and len(set(pointers[:buffers])) == buffers


def test_fill_batches_cuts_exact_batches_across_chunks():
    chunks = [Chunk(np.full((n, 2), k, dtype=np.float32), np.full(n, k), np.arange(n) + 10 * k)
              for k, n in enumerate([3, 1, 7, 2])]
    ring = BatchRing(batch_size=4, n_features=2, count=0)
    batches = [tuple(t.clone() for t in b) for b in fill_batches(chunks, ring)]
    assert [len(b[2]) for b in batches] == [4, 4, 4, 1]
    assert torch.cat([b[2] for b in batches]).tolist() == [0, 1, 2, 10, 20, 21, 22, 23, 24, 25,
                                                          26, 30, 31]
    assert torch.cat([b[0][:, 0] for b in batches]).tolist() == [0, 0, 0, 1] + [2] * 7 + [3] * 2


def test_code_tables_tell_equal_sized_dictionaries_apart():
    vocab = pa.array(["ab", "cd"])
    tables = CodeTables(vocab, unknown=2, null=2, room=Room(100))
    first = tables(pa.array(["cd", "ab", "xy"]))
    other = tables(pa.array(["ab", "cd", "xy"]))  # same length and bytes, other content
    again = tables(pa.array(["cd", "ab", "xy"]))  # equal content, a new object: memo hit
    assert first.tolist() == [1, 0, 2, 2] and other.tolist() == [0, 1, 2, 2]
    assert again is first


def test_memo_keys_file_orders_of_the_same_values_apart_and_equal_ones_together():
    from loaderbench.loaders._support.arrow_columns import memo_key

    a, b = pa.array(["cd", "ab", "xy"]), pa.array(["ab", "cd", "xy"])
    assert memo_key(a) != memo_key(b)  # one length and size: before, one list to compare
    assert memo_key(a) == memo_key(pa.array(["cd", "ab", "xy"]))
    assert memo_key(pa.array([3, 1, 2]))[:2] == (3, pa.array([3, 1, 2]).nbytes)
    sliced = pa.array(["zz", "cd", "ab", "xy"])[1:]  # shares a buffer holding more
    tables = CodeTables(pa.array(["ab", "cd"]), unknown=2, null=2, room=Room(100))
    assert tables(sliced).tolist() == tables(a).tolist() == [1, 0, 2, 2]


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_pinned_buffers_wait_for_copies_still_queued_on_the_gpu(edge_context):
    """The GPU is kept busy so each non_blocking copy lags behind the loop; without the
    ring's events a buffer would be refilled before its copy ran."""
    context = dataclasses.replace(edge_context, device="cuda")
    loader = ArrowNativeLoader(context, ArrowNativeOptions(batch_size=8, pin_memory=True))
    loader.setup()
    assert loader.pins_memory()
    on_gpu = []
    for batch in loader.epoch(0):
        assert batch.is_pinned()
        torch.cuda._sleep(2_000_000)
        on_gpu.append(batch.to("cuda", non_blocking=True))
    torch.cuda.synchronize()
    loader.close()
    rows = {rid: (f.cpu(), int(t)) for b in on_gpu
            for f, t, rid in zip(b.features, b.target, b.row_id.tolist(), strict=True)}
    assert_matches_reference(rows, context)


def test_pin_memory_is_not_applicable_on_cpu(tiny_context):
    loader = ArrowNativeLoader(tiny_context, ArrowNativeOptions(batch_size=64, pin_memory=True))
    loader.setup()
    batch = next(iter(loader.epoch(0)))
    loader.close()
    assert not loader.pins_memory() and not batch.is_pinned()


@pytest.mark.parametrize(("table", "words"), [
    ({"threads": -1}, "threads must be at least 0"),
    ({"buffers": 0}, "buffers must be at least 1"),
    ({"chunk_rows": 0}, "chunk_rows must be at least 1"),
    ({"memo_entries": -1}, "memo_entries must be at least 0"),
])
def test_bad_options_are_usage_errors(table, words):
    with pytest.raises(UsageError, match=words):
        ArrowNativeOptions(**table)



def test_the_memos_room_is_shared_by_every_column():
    room = Room(5)
    first = CodeTables(pa.array(["ab", "cd"]), unknown=2, null=2, room=room)
    second = CodeTables(pa.array(["ab", "cd"]), unknown=2, null=2, room=room)
    first(pa.array(["ab", "cd", "xy"]))       # 3 entries kept: 2 left
    second(pa.array(["cd", "ab", "xy"]))      # 3 more do not fit: looked up, not kept
    assert room.left == 2 and len(first.memo) == 1 and not second.memo
