from __future__ import annotations

import numpy as np
import pytest
import torch

from loaderbench.harness.checks import Checker, contract_error, reference_rows
from loaderbench.harness.host_batches import HostMirror, Pending
from loaderbench.loaders.base import Batch
from loaderbench.results.records import ValueCheck


def batches_of(source, pre, ids: np.ndarray, size: int = 256):
    unique = np.unique(ids)
    x, y = reference_rows(source, pre, unique)
    order = {int(i): k for k, i in enumerate(unique)}
    for start in range(0, len(ids), size):
        part = ids[start : start + size]
        rows = [order[int(i)] for i in part]
        yield Batch(torch.from_numpy(x[rows]), torch.from_numpy(y[rows]), torch.from_numpy(part))


def feed(checker, batches, epoch=0, complete=True):
    for b in batches:
        checker.observe(b)
    checker.end_epoch(epoch, complete)


def test_exact_epoch_passes(tiny_source, tiny_pre):
    checker = Checker(tiny_source, tiny_pre)
    feed(checker, batches_of(tiny_source, tiny_pre, np.arange(tiny_source.rows)))
    checks, failure = checker.verdict()
    assert failure is None
    assert checks.duplicates == 0 and checks.missing == 0
    assert checks.coverage == "exact" and checks.values is ValueCheck.OK


def test_every_row_twice_is_counted_and_fails(tiny_source, tiny_pre):
    checker = Checker(tiny_source, tiny_pre)
    ids = np.concatenate([np.arange(tiny_source.rows)] * 2)
    feed(checker, batches_of(tiny_source, tiny_pre, ids))
    checks, failure = checker.verdict()
    assert checks.duplicates == tiny_source.rows
    assert "duplicate rows" in failure


def test_missing_rows_fail_unless_allowed(tiny_source, tiny_pre):
    ids = np.arange(tiny_source.rows - 5)
    strict = Checker(tiny_source, tiny_pre)
    feed(strict, batches_of(tiny_source, tiny_pre, ids))
    assert "5 rows missing" in strict.verdict()[1]
    lenient = Checker(tiny_source, tiny_pre, allowed_missing=5)
    feed(lenient, batches_of(tiny_source, tiny_pre, ids))
    assert lenient.verdict()[1] is None


def test_partial_epoch_checks_duplicates_only(tiny_source, tiny_pre):
    checker = Checker(tiny_source, tiny_pre)
    feed(checker, batches_of(tiny_source, tiny_pre, np.arange(100)), complete=False)
    checks, failure = checker.verdict()
    assert failure is None and checks.partial and checks.missing is None


def test_wrong_values_fail(tiny_source, tiny_pre):
    checker = Checker(tiny_source, tiny_pre)
    good = list(batches_of(tiny_source, tiny_pre, np.arange(tiny_source.rows)))
    bad = [Batch(b.features + 0.01, b.target, b.row_id) for b in good]
    feed(checker, bad)
    checks, failure = checker.verdict()
    assert checks.values is ValueCheck.MISMATCH and "differ from the reference" in failure


def test_a_value_mismatch_names_the_column_and_a_row(tiny_source, tiny_pre):
    checker = Checker(tiny_source, tiny_pre)
    column = tiny_source.roles.features.index("cat_01")
    bad = []
    for b in batches_of(tiny_source, tiny_pre, np.arange(tiny_source.rows)):
        features = b.features.clone()
        features[:, column] += 1
        bad.append(Batch(features, b.target, b.row_id))
    feed(checker, bad)
    failure = checker.verdict()[1]
    assert "first: column 'cat_01' is" in failure and "at row_id 0" in failure


def test_a_wrong_label_is_named(tiny_source, tiny_pre):
    checker = Checker(tiny_source, tiny_pre)
    good = batches_of(tiny_source, tiny_pre, np.arange(tiny_source.rows))
    feed(checker, [Batch(b.features, b.target + 1, b.row_id) for b in good])
    assert "first: label 'label' is" in checker.verdict()[1]


def test_value_check_can_be_skipped(tiny_source, tiny_pre):
    checker = Checker(tiny_source, tiny_pre, check_values=False)
    feed(checker, batches_of(tiny_source, tiny_pre, np.arange(tiny_source.rows)))
    assert checker.verdict()[0].values is ValueCheck.SKIPPED


def test_contract_errors():
    ok = Batch(torch.zeros(2, 3), torch.zeros(2, dtype=torch.int64), torch.arange(2))
    assert contract_error(ok, 3) is None
    assert "float32" in contract_error(ok._replace(features=torch.zeros(2, 3,
                                                                        dtype=torch.float64)), 3)
    assert "int64" in contract_error(ok._replace(target=torch.zeros(2)), 3)
    assert "disagree" in contract_error(ok._replace(row_id=torch.arange(3)), 3)
    assert "Batch(features" in contract_error([1, 2], 3)


def test_values_going_wrong_after_the_first_epoch_are_caught(tiny_source, tiny_pre):
    checker = Checker(tiny_source, tiny_pre)
    good = list(batches_of(tiny_source, tiny_pre, np.arange(tiny_source.rows)))
    feed(checker, good, epoch=0)
    feed(checker, [Batch(b.features, (b.target + 1) % 4, b.row_id) for b in good], epoch=1)
    checks, failure = checker.verdict()
    assert checks.values is ValueCheck.MISMATCH
    assert f"of {2 * len(range(0, tiny_source.rows, checker.stride)):,} sampled" in failure


def test_row_ids_out_of_range_break_the_contract(tiny_source, tiny_pre):
    checker = Checker(tiny_source, tiny_pre)
    bad = Batch(torch.zeros(2, tiny_pre.n_features), torch.zeros(2, dtype=torch.int64),
                torch.tensor([-1, tiny_source.rows]))
    feed(checker, [bad])
    checks, failure = checker.verdict()
    assert "row_id out of range" in failure and checks.contract_error == failure


def test_a_loader_reusing_its_buffer_is_counted_right(tiny_source, tiny_pre):
    """Row ids are copied when observed: a loader that refills one buffer is not miscounted."""
    checker = Checker(tiny_source, tiny_pre, check_values=False)
    buffer = Batch(torch.zeros(100, tiny_pre.n_features), torch.zeros(100, dtype=torch.int64),
                   torch.zeros(100, dtype=torch.int64))
    for start in range(0, tiny_source.rows, 100):
        buffer.row_id.copy_(torch.arange(start, start + 100))
        checker.observe(buffer)
    checker.end_epoch(0, True)
    checks, failure = checker.verdict()
    assert failure is None and checks.duplicates == 0 and checks.missing == 0


def test_duplicates_and_missing_are_counted_per_epoch_with_repeats(tiny_source, tiny_pre):
    checker = Checker(tiny_source, tiny_pre)
    rows = tiny_source.rows
    ids = np.concatenate([np.arange(rows - 10), [0, 0, 1]])  # row 0 three times, 1 twice
    feed(checker, batches_of(tiny_source, tiny_pre, ids))
    feed(checker, batches_of(tiny_source, tiny_pre, np.arange(rows)), epoch=1)
    checks, _ = checker.verdict()
    assert [(e.duplicates, e.missing) for e in checks.epochs] == [(3, 10), (0, 0)]


def corrupt_one_sampled_row(batches: list[Batch], stride: int) -> tuple[list[Batch], int]:
    """The batches with one sampled row's first feature changed (not the batch's first row,
    so a gather that picked the wrong rows would miss it); and that row's id."""
    out, hit = [], None
    for b in batches:
        ids = b.row_id.cpu().numpy()
        at = np.flatnonzero(ids % stride == 0)
        if hit is None and len(at) > 1:
            features = b.features.clone()
            features[int(at[1]), 0] += 1
            hit = int(ids[at[1]])
            b = Batch(features, b.target, b.row_id)
        out.append(b)
    assert hit is not None
    return out, hit


def test_one_wrong_sampled_row_is_found_among_the_rows_brought_back(tiny_source, tiny_pre):
    checker = Checker(tiny_source, tiny_pre)
    good = list(batches_of(tiny_source, tiny_pre, np.arange(tiny_source.rows)))
    bad, row = corrupt_one_sampled_row(good, checker.stride)
    feed(checker, bad)
    checks, failure = checker.verdict()
    assert checks.values is ValueCheck.MISMATCH
    assert f"1 of {checks.value_rows:,} sampled rows differ" in failure
    assert f"at row_id {row}" in failure


class QueuedEvent:
    """Stands in for a CUDA event (this machine has no GPU): counts the waits."""

    waits = 0

    def synchronize(self) -> None:
        QueuedEvent.waits += 1


class QueuedMirror(HostMirror):
    """Hands out every batch as a queued copy, as the CUDA path does."""

    def __call__(self, batch):
        return Pending([t.clone() for t in batch], QueuedEvent())


def test_a_queued_copy_is_read_one_batch_later_and_at_the_epoch_end(tiny_source, tiny_pre):
    checker = Checker(tiny_source, tiny_pre)
    checker._mirror = QueuedMirror()
    good = list(batches_of(tiny_source, tiny_pre, np.arange(tiny_source.rows)))
    QueuedEvent.waits = 0
    checker.observe(good[0])
    assert QueuedEvent.waits == 0  # not read yet: no wait for the GPU between steps
    for b in good[1:]:
        checker.observe(b)
    assert QueuedEvent.waits == len(good) - 1
    checker.end_epoch(0, True)
    assert QueuedEvent.waits == len(good)
    checks, failure = checker.verdict()
    assert failure is None and checks.missing == 0 and checks.values is ValueCheck.OK
    (last,), row = corrupt_one_sampled_row(good[-1:], checker.stride)
    feed(checker, good[:-1], epoch=1, complete=False)
    checker.observe(last)  # still queued when the verdict is asked for: read then
    assert f"at row_id {row}" in checker.verdict()[1]



@pytest.mark.parametrize("rows", [1, 1999, 2000, 4095, 200_000, 1_600_000])
def test_the_value_sample_stride_is_a_power_of_two_giving_enough_rows(rows):
    from types import SimpleNamespace

    from loaderbench.harness.checks import VALUE_SAMPLE

    stride = Checker.stride.fget(SimpleNamespace(source=SimpleNamespace(rows=rows)))
    assert stride & (stride - 1) == 0
    sample = len(range(0, rows, stride))
    assert sample == rows if rows < 2 * VALUE_SAMPLE else VALUE_SAMPLE <= sample <= 2 * VALUE_SAMPLE


@pytest.mark.parametrize(("rows", "batch", "stride", "factor"), [
    (1_600_000, 4096, 512, 8),   # 390 batches an epoch: 1 in 8 drawn, ~49 of them
    (200_000, 4096, 64, 1),      # 49 batches: too few to draw from, every one sampled
    (200_000, 1024, 64, 4),      # 195 batches: 1 in 4 (48 drawn), not 1 in 8 (24)
    (3000, 8, 1, 1),             # every row is sampled already
])
def test_the_sample_is_drawn_from_1_in_factor_batches_only_where_enough_are_drawn(
        rows, batch, stride, factor):
    from loaderbench.harness.checks import MIN_SAMPLED_BATCHES, sample_factor

    got = sample_factor(rows, batch, stride)
    assert got == factor
    assert got == 1 or rows / batch / got >= MIN_SAMPLED_BATCHES


@pytest.fixture
def drawn(monkeypatch):
    """The tiny data (3,000 rows, batches of 8) sampled as large data is: a stride of 16,
    1 batch in 8 drawn at 8 times the density."""
    from loaderbench.harness import checks

    monkeypatch.setattr(checks, "VALUE_SAMPLE", 150)
    monkeypatch.setattr(checks, "MIN_SAMPLED_BATCHES", 4)


def test_a_drawn_sample_holds_every_batchs_first_row_and_about_the_sample(
        tiny_source, tiny_pre, drawn):
    checker = Checker(tiny_source, tiny_pre)
    good = list(batches_of(tiny_source, tiny_pre, np.random.default_rng(1).permutation(
        tiny_source.rows), size=8))
    feed(checker, good)
    assert (checker.stride, checker._factor) == (16, 8)
    kept = np.unique(np.concatenate([*(c[0] for c in checker._chunks),
                                     checker._first.kept()[0]]))
    firsts = {int(b.row_id[0]) for b in good}
    assert firsts <= set(kept.tolist())
    sampled = len(set(kept.tolist()) - firsts)  # expected 3000 / 16 = 187, drawn at random
    assert 187 / 3 < sampled < 187 * 3
    checks, failure = checker.verdict()
    assert failure is None and checks.values is ValueCheck.OK


def test_a_batch_wrong_as_a_whole_is_found_whether_drawn_or_not(tiny_source, tiny_pre, drawn):
    good = list(batches_of(tiny_source, tiny_pre, np.arange(tiny_source.rows), size=8))
    for k in range(8):  # the batches at 8 positions: drawn or not, each is found
        checker = Checker(tiny_source, tiny_pre)
        bad = list(good)
        b = bad[100 + k]
        bad[100 + k] = Batch(b.features + 1, b.target, b.row_id)
        feed(checker, bad)
        checks, failure = checker.verdict()
        assert checks.values is ValueCheck.MISMATCH, k
        assert f"row_id {int(b.row_id[0])}" in failure


@pytest.mark.parametrize(("at", "run"), [
    ([4, 5, 6, 7], slice(4, 8)),      # consecutive rows in order: one slice
    ([9], slice(9, 10)),
    ([4, 6, 5, 7], None),             # the same rows out of order: marked row by row
    ([4, 5, 5, 7], None),             # spans 4 rows but holds 5 twice and not 6
    ([-1, 0, 1, 2], None),            # an id the data does not have
    ([8, 9, 10, 11], None),           # past the data's 10 rows
])
def test_only_consecutive_rows_in_order_are_marked_as_one_slice(at, run):
    from loaderbench.harness.checks import _run_of

    assert _run_of(np.array(at, dtype=np.int64), 10) == run


def test_a_duplicate_inside_a_batch_that_spans_its_length_is_counted(tiny_source, tiny_pre):
    checker = Checker(tiny_source, tiny_pre)
    good = list(batches_of(tiny_source, tiny_pre, np.arange(tiny_source.rows), size=8))
    b = good[3]
    ids = b.row_id.clone()
    ids[5] = ids[4]  # rows 24..31 with 28 twice and 29 missing: still spans 8 rows
    good[3] = Batch(b.features, b.target, ids)
    feed(checker, good)
    checks, failure = checker.verdict()
    assert checks.duplicates == 1 and checks.epochs[0].missing == 1
    assert failure is not None and "1 duplicate rows" in failure
