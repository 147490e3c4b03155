"""Checks run on every scenario, outside the timed parts of each step.

contract  every batch: features float32 [B, F], target [B] (int64 classes, float32 for a
          regression), row_id int64 [B]
coverage  each complete epoch holds every row exactly once (rows with a null label left out
          when those are dropped); duplicates and missing rows are counted per epoch. An epoch
          cut short by a step limit is checked for duplicates only and marked partial. Rows
          are counted by their position in the sorted ids (the ids themselves when they are
          0..N-1, as positions in the files are), marked batch by batch in a byte per row
          (a batch of consecutive rows in order, as loaders that read the files in order
          yield, as one slice, after one comparison pass proves it is one).
values    in every epoch, the first row of every batch and a sample of 2,000-4,000 rows,
          compared with the reference preprocessing (pandas + sklearn + map encoding) within
          float32 rounding; a mismatch names the first column that differs and the row. The
          sample's rows are those whose position is a multiple of a power of two, found with
          a bitwise and (not a lookup per row in a table the size of the data). On large data
          they are taken from a random 1 in `factor` (up to 8) of the batches, drawn batch
          by batch, at `factor` times the density (sample_factor): a batch wrong as a whole is
          still found by its first row, and a fault in a worker's, a file's or every batch by
          the sample (tens of batches are drawn an epoch), at an eighth of the sample's cost
          a batch.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

from loaderbench.harness.host_batches import FirstRows, HostBatch, HostMirror, Pending
from loaderbench.loaders.base import Batch, torch_dtype
from loaderbench.results.records import Checks, EpochCheck, ValueCheck
from loaderbench.scenarios.preprocess import Preprocessor
from loaderbench.scenarios.rows import read_file
from loaderbench.scenarios.source import DataSource, read_column, read_ids

VALUE_SAMPLE = 2000
MAX_FACTOR = 8  # at most 1 batch in 8 holds the value sample's rows...
MIN_SAMPLED_BATCHES = 32  # ...and at least this many batches an epoch are expected to
RTOL = 1e-5
ATOL = 1e-5


def contract_error(batch: Batch, n_features: int,
                   target: torch.dtype = torch.int64) -> str | None:
    """What is wrong with this batch's shapes and dtypes, or None."""
    if not isinstance(batch, tuple) or len(batch) != 3:
        return f"a loader must yield Batch(features, target, row_id), got {type(batch).__name__}"
    f, t, r = batch
    if not all(isinstance(x, torch.Tensor) for x in batch):
        return "Batch fields must be torch tensors"
    if f.dtype != torch.float32 or f.dim() != 2 or f.shape[1] != n_features:
        return f"features must be float32 [B, {n_features}], got {f.dtype} {list(f.shape)}"
    if t.dtype != target or t.dim() != 1 or r.dtype != torch.int64 or r.dim() != 1:
        return f"target must be {target} [B] and row_id int64 [B], got {t.dtype} " \
               f"{list(t.shape)}, {r.dtype} {list(r.shape)}"
    if not f.shape[0] == t.shape[0] == r.shape[0] or f.shape[0] == 0:
        return f"batch parts disagree on B or are empty: {f.shape[0]}, {t.shape[0]}, {r.shape[0]}"
    return None


@dataclass
class Checker:
    """Collects what each batch shows and judges it at the end of each epoch and run.

    Per batch it checks the ids' range, marks the batch's rows in a byte per row of the data
    and, for rows of the value sample not yet seen this epoch, keeps their features: a few
    microseconds a batch (outside the timed step, but wall time the loader's workers get for
    free). The value sample is taken again in every epoch, so a loader that goes wrong after
    its first epoch is caught too.
    """

    source: DataSource
    preprocessor: Preprocessor
    covers_dataset: bool = True
    allowed_missing: int = 0
    check_values: bool = True
    contract: str | None = None
    epochs: list[EpochCheck] = field(default_factory=list)
    _chunks: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list)
    _wanted: np.ndarray | None = None
    _mirror: HostMirror = field(default_factory=lambda: HostMirror())
    _pending: Pending | None = None
    _factor: int | None = None  # 1 batch in `factor` holds the sample (_choose_factor)
    _chance: float = 1.0
    _draw: Callable[[], float] = field(default_factory=lambda: random.Random(0x5A3E).random)

    def __post_init__(self) -> None:
        self._n_features = self.preprocessor.n_features
        self._target = torch_dtype(self.source.target.dtype)
        self._rows = 0  # rows seen this epoch
        self._seen = np.zeros(self._map_rows(), dtype=bool)
        self._index = RowIndex(self.source)
        self._mask = self.stride - 1
        self._expected = self._index.kept() if self.covers_dataset else None
        self._first = FirstRows(self._n_features, self.source.target.dtype)

    def _map_rows(self) -> int:
        """Rows of the byte map that marks this epoch's rows (none where not counted here)."""
        return self.source.rows if self.covers_dataset else 0

    @property
    def stride(self) -> int:
        """A power of two: the sample holds VALUE_SAMPLE to 2 x VALUE_SAMPLE rows."""
        return 1 << max(0, (self.source.rows // VALUE_SAMPLE).bit_length() - 1)

    def _reset_sample(self) -> None:
        """Every row of the value sample wanted again (only those positions are ever read);
        nothing before the first batch has set the sample's density (_choose_factor)."""
        if not self.check_values or self._factor is None:
            return
        if self._wanted is None:
            self._wanted = np.zeros(self.source.rows, dtype=bool)
        self._wanted[::self._mask + 1] = True

    def observe(self, batch: Batch) -> None:
        """Record one batch (on any device); called outside the timed step. A CUDA batch's
        copy to the host is queued now and read at the next call (or the epoch's end)."""
        if self.contract is not None:
            return
        self.contract = contract_error(batch, self._n_features, self._target)
        if self.contract is not None:
            return
        got = self._mirror(batch)
        if isinstance(got, Pending) and got.event is not None:
            self.flush()
            self._pending = got
            return
        self._read(got.wait() if isinstance(got, Pending) else got)

    def flush(self) -> None:
        """Read the batch whose copy is still queued, if any."""
        pending, self._pending = self._pending, None
        if pending is not None:
            self._read(pending.wait())

    def _read(self, host: HostBatch) -> None:
        ids = host.ids
        at = self._index(ids)
        run = _run_of(at, self.source.rows)
        if run is None and at.view(np.uint64).max() >= self.source.rows:  # < 0 too
            self.contract = _range_error(ids, self._index)
            return
        if self.covers_dataset:
            self._record(at, run)
        if self.check_values:
            if self._factor is None:
                self._choose_factor(len(ids))
            self._first.add(host)
            if self._factor == 1 or self._draw() < self._chance:
                self._sample_values(host, at)

    def _choose_factor(self, batch_rows: int) -> None:
        """At the first batch: 1 batch in `factor` holds the sample, `factor` times denser."""
        factor = sample_factor(self.source.rows, batch_rows, self.stride)
        self._factor, self._chance = factor, 1.0 / factor
        self._mask = self.stride // factor - 1
        self._reset_sample()

    def _record(self, at: np.ndarray, run: slice | None) -> None:
        """Mark the batch's rows seen this epoch, while its ids are still in the cache: a
        byte per row of the data, so duplicates and missing rows are counted at the epoch's
        end without keeping (and reading twice more) an epoch of ids. A batch of consecutive
        rows in order (`_run_of`) is marked as one slice."""
        self._rows += len(at)
        self._seen[at if run is None else run] = True

    def _sample_values(self, host: HostBatch, at: np.ndarray) -> None:
        """Keep the batch's rows of the value sample not yet kept this epoch (its first row
        is kept apart). The sample's rows are found arithmetically (a bitwise and over the
        batch): a lookup per row in a table the size of the data misses the cache on large data."""
        picked = np.flatnonzero((at & self._mask) == 0)  # `at` is in range (_read)
        if picked.size:
            pos = at[picked]
            fresh = self._wanted[pos]
            if not fresh.all():
                picked, pos = picked[fresh], pos[fresh]
            self._wanted[pos] = False
            if picked.size and picked[0] == 0:  # kept as the batch's first row
                picked = picked[1:]
        if picked.size:
            self._chunks.append((host.ids[picked], host.features[picked], host.targets[picked]))

    def close_epoch(self) -> None:
        """Read the epoch's queued CUDA batch; reset the value sample for the next epoch."""
        self.flush()
        self._reset_sample()

    def end_epoch(self, epoch: int, complete: bool) -> None:
        self.close_epoch()
        rows, self._rows = self._rows, 0
        if not self.covers_dataset or self.contract is not None:
            return
        distinct = int(np.count_nonzero(self._seen))
        missing = None
        if complete:
            missing = self.source.rows - distinct if self._expected is None else \
                int(np.count_nonzero(self._expected & ~self._seen))
        self._seen.fill(False)
        self.epochs.append(EpochCheck(epoch, complete, rows, rows - distinct, missing))

    def verdict(self) -> tuple[Checks, str | None]:
        """The checks' record for the result, and a failure reason if any check failed."""
        values, rows, value_error = self._values_verdict()
        checks = Checks(self.covers_dataset, self.contract, values, rows, self.allowed_missing,
                        tuple(self.epochs))
        return checks, self.contract or self._coverage_error(checks) or value_error

    def _coverage_error(self, checks: Checks) -> str | None:
        if checks.duplicates:
            return (f"coverage: {checks.duplicates:,} duplicate rows "
                    f"(over {len(self.epochs)} epoch(s); each row should come once per epoch)")
        over = [e for e in self.epochs if e.complete and (e.missing or 0) > self.allowed_missing]
        if over:
            return (f"coverage: {over[0].missing:,} rows missing from epoch {over[0].epoch} "
                    f"(allowed {self.allowed_missing})")
        return None

    def _values_verdict(self) -> tuple[ValueCheck, int, str | None]:
        self.flush()  # a batch still queued at the end holds sampled rows too
        if not self.check_values:
            return ValueCheck.SKIPPED, 0, None
        if self.contract is not None or not self._first.n:
            return ValueCheck.NOT_CHECKED, 0, None
        kept = [self._first.kept(), *self._chunks]
        got_ids, got_x, got_y = (np.concatenate([c[i] for c in kept]) for i in range(3))
        ids = np.unique(got_ids)
        ref_x, ref_y = reference_rows(self.source, self.preprocessor, ids)
        at = np.searchsorted(ids, got_ids)
        close_x = np.isclose(got_x, ref_x[at], rtol=RTOL, atol=ATOL)
        bad = ~close_x.all(axis=1) | ~np.isclose(got_y, ref_y[at], rtol=RTOL, atol=ATOL)
        if not bad.any():
            return ValueCheck.OK, len(ids), None
        i = int(np.flatnonzero(bad)[0])
        what = self._first_difference(close_x[i], got_x[i], ref_x[at[i]], got_y[i], ref_y[at[i]])
        return ValueCheck.MISMATCH, len(ids), (
            f"values: {int(bad.sum()):,} of {len(bad):,} sampled rows differ from the reference;"
            f" first: {what} at {self._index.describe(int(got_ids[i]))}")

    def _first_difference(self, close: np.ndarray, got: np.ndarray, ref: np.ndarray,
                          got_y: object, ref_y: object) -> str:
        """Which column of a bad row differs, and how."""
        if close.all():
            return f"label {self.source.roles.label!r} is {got_y}, expected {ref_y}"
        j = int(np.flatnonzero(~close)[0])
        column = self.source.roles.features[j]
        return (f"column {column!r} is {got[j]:.6g}, expected {ref[j]:.6g} "
                f"({int((~close).sum())} column(s) differ in that row)")


def sample_factor(rows: int, batch_rows: int, stride: int) -> int:
    """1 batch in how many holds the value sample: a power of two up to MAX_FACTOR and the
    sample's stride, with MIN_SAMPLED_BATCHES batches drawn an epoch on average."""
    batches = rows / max(batch_rows, 1)
    factor = 1
    while factor < min(MAX_FACTOR, stride) and batches / (2 * factor) >= MIN_SAMPLED_BATCHES:
        factor *= 2
    return factor


class RowIndex:
    """Row id -> the row's position 0..N-1 among the sorted ids (-1 for an id the data does
    not have). Ids that already are 0..N-1 (positions in the files are) map to themselves."""

    def __init__(self, source: DataSource) -> None:
        self.source = source
        self.sorted = None if source.dense_ids else np.unique(read_ids(source))

    def __call__(self, ids: np.ndarray) -> np.ndarray:
        if self.sorted is None:
            return ids
        at = np.minimum(np.searchsorted(self.sorted, ids), len(self.sorted) - 1)
        return np.where(self.sorted[at] == ids, at, -1)

    def kept(self) -> np.ndarray | None:
        """Which positions an epoch must hold (None: every one): not the null labels dropped."""
        source = self.source
        if not (source.drop_null_labels and source.target.nulls):
            return None
        labels = read_column(source.files, source.roles.label)
        null = np.asarray(labels.is_null().to_numpy(zero_copy_only=False), dtype=bool)
        mask = np.ones(source.rows, dtype=bool)
        mask[self(read_ids(source)[null])] = False
        return mask

    def describe(self, row_id: int) -> str:
        """Where a row is, for a message: its id, and its file and offset without one."""
        source = self.source
        if source.roles.has_id:
            return f"{source.roles.row_id} {row_id}"
        file = int(np.searchsorted(source.file_start, row_id, side="right")) - 1
        return f"row {row_id - int(source.file_start[file])} of {source.files[file]}"


def _run_of(at: np.ndarray, rows: int) -> slice | None:
    """The positions lo..hi as a slice when the batch holds exactly those rows in order (in
    range, each once: n strictly increasing positions spanning n), else None. Two scalar
    reads rule out most other batches; the rest cost one comparison pass."""
    n, lo, hi = len(at), int(at[0]), int(at[-1])
    if hi - lo != n - 1 or lo < 0 or hi >= rows:
        return None
    if n > 1 and not (at[1:] > at[:-1]).all():
        return None
    return slice(lo, hi + 1)


def _range_error(ids: np.ndarray, index: RowIndex) -> str:
    if index.sorted is None:
        return f"row_id out of range 0..{index.source.rows - 1}: {ids.min()}..{ids.max()}"
    return f"row_id: {int((ids < 0).sum()):,} ids of a batch are not ids of the data"


def reference_rows(source: DataSource, pre: Preprocessor,
                   ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The reference features and targets of `ids`, in the order of `ids` (sorted)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    roles = source.roles
    files = range(len(source.files))
    if not roles.has_id:  # only the files that hold the sampled positions
        files = np.unique(np.searchsorted(source.file_start, ids, side="right") - 1).tolist()
    wanted = pa.array(ids, type=pa.int64())
    tables = []
    for file in files:
        table = read_file(source, file)
        tables.append(table.filter(pc.is_in(table.column(0), value_set=wanted)))
    frame = pa.concat_tables(tables).to_pandas().sort_values(roles.row_id, kind="stable")
    frame = frame.drop_duplicates(roles.row_id).reset_index(drop=True)
    if len(frame) != len(ids) or not np.array_equal(frame[roles.row_id].to_numpy(), ids):
        raise ValueError("reference read did not return every sampled row_id once")
    return pre.features(frame, "map"), frame[roles.label].to_numpy(dtype=source.target.dtype)
