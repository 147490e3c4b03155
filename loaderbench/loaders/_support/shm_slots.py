"""Batch slots in shared memory, and the worker processes that fill them (for `arrow-shm`).

`SlotMemory` is one anonymous shared mapping (inherited by forked workers, no file name, no
/dev/shm limit) holding `count` batch slots: features [count, B, F] float32, then target and
row_id [count, B] int64. Every row of an epoch has a position 0..R-1 (the fragments in the
epoch's order, end to end); position p belongs to global batch g = seq * batches + p // B
(seq counts the epochs the loader has started) and lands in slot g % count at row p % B. So a
batch is assembled from whichever workers hold its rows, every batch but an epoch's last has
exactly B rows, and only `(g, rows written)` crosses processes.

A worker may write into slot g % count only once the main process has released batch
g - count: `released` (a shared counter) says that all batches below it are released. Workers
write their fragments in increasing position order and the main process consumes batches in
order, so the lowest unfinished batch can always be finished: no deadlock, whatever the
speed of each worker.
"""

from __future__ import annotations

import mmap
import os
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from loaderbench.loaders._support.chunks import Chunk

ALIGN = 4096
# A worker ahead of the consumer checks for a free slot this often: it is then `count` slots
# ahead, so a late look costs nothing, and frequent wake-ups of idle workers would take CPU
# from the training loop's own Python.
POLL_S = 5e-4
TARGET_CODES = np.dtype(np.int64)


def _aligned(n: int) -> int:
    return -(-n // ALIGN) * ALIGN


class SlotMemory:
    """`count` slots of `batch_size` rows in one shared mapping, as numpy arrays."""

    def __init__(self, count: int, batch_size: int, n_features: int,
                 target: np.dtype = TARGET_CODES) -> None:
        self.count, self.batch_size = count, batch_size
        feat = _aligned(count * batch_size * n_features * 4)
        ints = _aligned(count * batch_size * 8)
        self.nbytes = feat + 2 * ints
        self.buffer = mmap.mmap(-1, self.nbytes)  # MAP_SHARED | MAP_ANONYMOUS
        raw = np.frombuffer(self.buffer, dtype=np.uint8)
        self.features = raw[:feat].view(np.float32)[: count * batch_size * n_features].reshape(
            count, batch_size, n_features)
        self.target = raw[feat : feat + ints].view(target)[: count * batch_size].reshape(
            count, batch_size)  # 8 bytes a row hold int64 codes or float32 values
        self.row_id = raw[feat + ints :].view(np.int64)[: count * batch_size].reshape(
            count, batch_size)
        self.address = raw.ctypes.data

    @property
    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.features, self.target, self.row_id


@dataclass(frozen=True)
class EpochTask:
    """One worker's share of one epoch: its fragments (in epoch order), where each starts
    among the epoch's row positions, and the epoch's shape."""

    seq: int
    epoch: int
    fragments: tuple[int, ...]
    starts: tuple[int, ...]
    sizes: tuple[int, ...]
    batches: int          # batches per epoch
    limit: int            # positions at or past this are dropped (drop_last), else R


@dataclass
class SlotWriter:
    """Writes converted chunks into their batches' slots, waiting for each slot to be free."""

    memory: SlotMemory
    released: object      # multiprocessing RawValue("q"): batches below it are released
    stop: object          # RawValue("b"): set when the loader closes
    send: Callable[[tuple], None]
    rng: Callable[[int, int], np.random.Generator | None]  # (epoch, fragment) -> rng

    def epoch(self, task: EpochTask, chunks) -> None:
        """`chunks` are the task's fragments converted, in order; record batches never span
        fragments, so positions follow by counting rows."""
        spans = iter(zip(task.fragments, task.starts, task.sizes, strict=True))
        base, left, pos, rng = task.seq * task.batches, 0, 0, None
        for chunk in chunks:
            while left == 0:  # an empty fragment yields no chunk
                fragment, pos, left = next(spans)
                rng = self.rng(task.epoch, fragment)
            n = len(chunk)
            order = None if rng is None else rng.permutation(n)
            self.put(chunk, pos, order, base, task.limit)
            pos, left = pos + n, left - n

    def put(self, chunk: Chunk, pos: int, order: np.ndarray | None, base: int,
            limit: int) -> None:
        """Rows pos.. of the epoch, split at batch boundaries, each piece into its slot."""
        size, end = self.memory.batch_size, min(pos + len(chunk), limit)
        p = pos
        while p < end:
            b = p // size
            stop = min((b + 1) * size, end)
            slot = self._free_slot(base + b)
            row, src, count = p - b * size, p - pos, stop - p
            for column, dst in zip(chunk, self.memory.arrays, strict=True):
                out = dst[slot, row : row + count]
                if order is None:
                    out[...] = column[src : src + count]
                else:
                    np.take(column, order[src : src + count], axis=0, out=out)
            self.send((base + b, count))
            p = stop

    def _free_slot(self, g: int) -> int:
        while g - self.memory.count >= self.released.value:
            if self.stop.value:
                raise SystemExit(0)
            time.sleep(POLL_S)
        return g % self.memory.count


def worker_main(index: int, make_source: Callable[[], Callable], writer: SlotWriter,
                tasks) -> None:
    """A worker process: convert its share of each epoch it is sent, until None comes."""
    try:
        source = make_source()
        for task in iter(tasks.recv, None):
            writer.epoch(task, source(task.fragments))
    except SystemExit:
        pass
    except BaseException:  # reported to the main process, which raises
        writer.send((-1, f"arrow-shm worker {index} (pid {os.getpid()}): "
                         f"{traceback.format_exc(limit=6)}"))
