"""Arrow record batches to feature blocks without pandas, and the ring of batch buffers.

`FeaturePlan` is the fitted preprocessing as arrays (mean, 1/scale, impute fill, vocabularies
as Arrow string arrays). `ChunkConverter` turns one record batch of the needed columns into a
`Chunk` whose features are a column-major block viewed as [n, F]: each column is written
contiguously (numeric: impute then standardise in float32; categorical: one `index_in` of
the chunk's Arrow dictionary against the vocabulary, then one `np.take` of the indices), and
the transpose to row-major happens once, in the copy into the batch buffer. `fill_batches`
cuts those chunks into exact batches inside preallocated buffers (`BatchRing`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import torch

from loaderbench.loaders._support.batching import exact_batches
from loaderbench.loaders._support.chunks import Chunk
from loaderbench.loaders.base import Batch
from loaderbench.scenarios.preprocess import NULL_TOKEN, Preprocessor
from loaderbench.scenarios.rows import column_numpy

CLASS_CODES = np.dtype(np.int64)
FINGERPRINT = 32  # bytes from each end of a dictionary's values, in its memo key


@dataclass(frozen=True)
class FeaturePlan:
    """What the converter needs from the fit, in the order of the Batch's feature columns."""

    row_id: str
    label: str
    target: np.dtype  # int64 class codes or float32 regression values
    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    mean: np.ndarray  # float64 [numeric]
    inv_scale: np.ndarray  # float32 [numeric]
    impute: tuple  # one pyarrow float64 scalar per numeric column
    vocab: tuple  # one pyarrow string array per categorical column, sorted as fitted
    unknown: tuple[int, ...]  # code of unseen values per categorical column
    null: tuple[int, ...]  # code of nulls (the reference maps null to NULL_TOKEN first)

    @classmethod
    def from_preprocessor(cls, pre: Preprocessor, row_id: str, label: str,
                          target: np.dtype = CLASS_CODES) -> FeaturePlan:
        import pyarrow as pa

        s = pre.state
        vocab = tuple(pa.array(s.vocab[c], type=pa.string()) for c in s.categorical)
        unknown = tuple(pre.unknown_code(c) for c in s.categorical)
        null = tuple(pre.class_to_idx[c].get(NULL_TOKEN, pre.unknown_code(c))
                     for c in s.categorical)
        return cls(row_id, label, np.dtype(target), tuple(s.numeric), tuple(s.categorical),
                   np.asarray(s.mean, dtype=np.float64),
                   (1.0 / np.asarray(s.scale, dtype=np.float64)).astype(np.float32),
                   tuple(pa.scalar(v, type=pa.float64()) for v in s.impute), vocab, unknown,
                   null)

    @property
    def columns(self) -> list[str]:
        """The columns to read, in the order the converter expects them."""
        return [self.row_id, self.label, *self.numeric, *self.categorical]

    @property
    def n_features(self) -> int:
        return len(self.numeric) + len(self.categorical)


class ChunkConverter:
    """Record batch -> Chunk, remembering each dictionary's code table (`CodeTables`)."""

    def __init__(self, plan: FeaturePlan, memo_entries: int = 0) -> None:
        self.plan = plan
        room = Room(memo_entries)  # shared: the budget is the process's, not a column's
        self.tables = [CodeTables(vocab, unknown, null, room)
                       for vocab, unknown, null in zip(plan.vocab, plan.unknown, plan.null,
                                                       strict=True)]

    def __call__(self, record_batch) -> Chunk:
        plan = self.plan
        n = record_batch.num_rows
        block = np.empty((plan.n_features, n), dtype=np.float32)
        columns = record_batch.columns
        for j in range(len(plan.numeric)):
            self._numeric(j, columns[2 + j], block[j])
        offset = 2 + len(plan.numeric)
        for j in range(len(plan.categorical)):
            self._categorical(j, columns[offset + j], block[len(plan.numeric) + j])
        return Chunk(block.T, column_numpy(columns[1], plan.target),
                     column_numpy(columns[0], np.int64))

    def _numeric(self, j: int, column, out: np.ndarray) -> None:
        """Impute nulls (and NaN), then (x - mean) * (1 / scale), written as float32."""
        import pyarrow as pa
        import pyarrow.compute as pc

        if not pa.types.is_floating(column.type):  # an int fill would truncate the mean
            column = column.cast(pa.float64())
        if column.null_count:
            column = pc.call_function("coalesce", [column, self.plan.impute[j]])
        values = column.to_numpy(zero_copy_only=False)
        np.subtract(values, self.plan.mean[j], out=out, casting="unsafe")
        out *= self.plan.inv_scale[j]
        if np.isnan(out).any():  # NaN stored as a value, not as a null
            fill = self.plan.impute[j].as_py()
            out[np.isnan(values)] = (fill - self.plan.mean[j]) * self.plan.inv_scale[j]

    def _categorical(self, j: int, column, out: np.ndarray) -> None:
        """Codes through the chunk's dictionary: one lookup per distinct value, one take."""
        import pyarrow as pa
        import pyarrow.compute as pc

        if not pa.types.is_dictionary(column.type):
            column = column.dictionary_encode()
        table = self.tables[j](column.dictionary)
        indices = column.indices
        if indices.null_count:
            null_slot = pa.scalar(len(column.dictionary), type=indices.type)
            indices = pc.call_function("coalesce", [indices, null_slot])
        np.take(table, indices.to_numpy(), out=out)


class Room:
    """How many more dictionary entries the memo may keep (about 15 bytes each), shared by
    a converter's columns. Threads sharing it may overshoot by a dictionary, no more."""

    def __init__(self, entries: int) -> None:
        self.left = entries

    def take(self, entries: int) -> bool:
        if entries > self.left:
            return False
        self.left -= entries
        return True


class CodeTables:
    """One categorical column's code tables: float32 codes of each dictionary entry plus a
    last slot for null. The last dictionary is matched by identity (record batches cut from
    one row group share it); while `room` lasts, earlier dictionaries are kept and matched
    by content (filed by `memo_key`), so a later epoch reading the same files skips the
    lookup: the equality check costs a compare of the bytes, the lookup a hash of the whole
    vocabulary."""

    def __init__(self, vocab, unknown: int, null: int, room: Room) -> None:
        self.vocab, self.unknown, self.null = vocab, unknown, null
        self.room = room
        self.memo: dict[tuple, list[tuple[object, np.ndarray]]] = {}
        self.last: tuple[object, np.ndarray] | None = None

    def __call__(self, dictionary) -> np.ndarray:
        last = self.last  # read once: another thread may replace it meanwhile
        if last is not None and last[0] is dictionary:
            return last[1]
        key = memo_key(dictionary)
        table = next((t for d, t in self.memo.get(key, ()) if d.equals(dictionary)), None)
        if table is None:
            table = np.empty(len(dictionary) + 1, dtype=np.float32)
            table[:-1] = lookup(dictionary, self.vocab, self.unknown)
            table[-1] = self.null
            if self.room.take(len(dictionary)):
                self.memo.setdefault(key, []).append((dictionary, table))
        self.last = (dictionary, table)
        return table


def memo_key(dictionary) -> tuple:
    """Where a dictionary's code table is filed: its length, its size and the first and last
    bytes of its values. Row groups of one file hold the same values in different orders, of
    one length and size; the bytes tell most orders apart, so few tables are compared."""
    data = dictionary.buffers()[-1]
    ends = b"" if data is None else data[:FINGERPRINT].to_pybytes() + \
        data[max(0, data.size - FINGERPRINT):].to_pybytes()
    return len(dictionary), dictionary.get_total_buffer_size(), ends


def lookup(dictionary, vocab, unknown: int) -> np.ndarray:
    """Each dictionary value's index in `vocab`, or `unknown`; values compared as strings,
    as the reference's `astype(str)` does (null entries of a dictionary count as unseen)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not (pa.types.is_string(dictionary.type) or pa.types.is_large_string(dictionary.type)):
        dictionary = pa.array([None if v is None else str(v) for v in dictionary.to_pylist()],
                              type=pa.string())
    found = pc.index_in(dictionary, value_set=vocab)
    unseen = pa.scalar(unknown, type=found.type)
    return pc.call_function("coalesce", [found, unseen]).to_numpy(zero_copy_only=False)


class BatchRing:
    """`count` preallocated batches reused in turn, or, with count 0, a fresh batch each time
    (for worker processes, whose batches cross into shared memory).

    Lifetime: a batch handed out stays untouched until `count - 1` further batches have been
    handed out and the consumer asks for the next one; only then is its buffer refilled.
    Pinned (CUDA) buffers are also guarded against copies still queued on the GPU: when the
    consumer asks for a batch, it has queued the copy of the one it holds, so an event is
    recorded on the current stream then, and a buffer is refilled only once its event is done
    (what torch's caching host allocator does for DataLoader's pinned batches).
    """

    def __init__(self, batch_size: int, n_features: int, count: int, pin: bool = False,
                 target: torch.dtype = torch.int64) -> None:
        self.shape = (batch_size, n_features)
        self.pin = pin
        self.target = target
        self.slots = [self._allocate() for _ in range(count)]
        self.events: list = [None] * count
        self.held: int | None = None
        self.turn = 0

    def _allocate(self) -> Batch:
        rows = self.shape[0]
        return Batch(torch.empty(self.shape, dtype=torch.float32, pin_memory=self.pin),
                     torch.empty(rows, dtype=self.target, pin_memory=self.pin),
                     torch.empty(rows, dtype=torch.int64, pin_memory=self.pin))

    def take(self) -> Batch:
        if not self.slots:
            return self._allocate()
        index = self.turn % len(self.slots)
        self.turn += 1
        if self.pin:
            self._wait_for_copies(index)
        return self.slots[index]

    def _wait_for_copies(self, index: int) -> None:
        if self.held is not None:
            self.events[self.held] = torch.cuda.Event()
            self.events[self.held].record()
        pending, self.events[index] = self.events[index], None
        if pending is not None:
            pending.synchronize()
        self.held = index


class _Filling:
    """The batch being filled: numpy views of its buffers and how many rows it holds."""

    def __init__(self, ring: BatchRing) -> None:
        self.batch = ring.take()
        self.arrays = [t.numpy() for t in self.batch]
        self.rows = 0

    def put(self, chunk: Chunk, start: int, count: int, order: np.ndarray | None) -> None:
        stop = self.rows + count
        for src, dst in zip(chunk, self.arrays, strict=True):
            if order is None:
                dst[self.rows : stop] = src[start : start + count]
            else:
                np.take(src, order[start : start + count], axis=0, out=dst[self.rows : stop])
        self.rows = stop

    def done(self) -> Batch:
        if self.rows == len(self.arrays[2]):
            return self.batch
        return Batch(*(t[: self.rows] for t in self.batch))


def fill_batches(chunks: Iterable[Chunk], ring: BatchRing, drop_last: bool = False,
                 rng: np.random.Generator | None = None) -> Iterator[Batch]:
    """Exact batches copied out of `chunks` into the ring's buffers, cut by the rule in
    `batching`; with `rng`, each chunk's rows are copied in a random order (a permutation per
    chunk, applied by the copy itself). A buffer is taken from the ring only once its batch's
    rows are all converted, so after the consumer has asked for that batch."""
    ordered = ((chunk, None if rng is None else rng.permutation(len(chunk)))
               for chunk in chunks)

    def assemble(parts) -> Batch:
        filling = _Filling(ring)
        for (chunk, order), start, stop in parts:
            filling.put(chunk, start, stop - start, order)
        return filling.done()

    return exact_batches(ordered, ring.shape[0], drop_last, assemble, lambda c: len(c[0]))
