"""arrow-shm — `arrow-native`'s conversion in worker processes, writing into shared batch slots.

Only a slot number crosses processes; on CUDA the slots are page-locked (pinned).

Trade-off: it keeps a fast accelerator fed from Parquet, for owning processes and memory that
outlive each batch. `workers` forked processes each read a share of every epoch's row-group
fragments with PyArrow and convert them as `arrow-native` does (Arrow dictionaries coded once
per chunk, float32 numpy), then copy the rows into slots of one anonymous shared mapping at
the rows' positions in the epoch. The main process only waits for a batch's rows to be
written (a few bytes per piece through one pipe), hands out torch views of its slot, and
gives the slot back once the consumer has moved on: no pickling, no fresh shared-memory file
per batch, no pin-memory thread, no GIL shared with the conversion, so the training loop's
own Python runs undisturbed. On CUDA the mapping is page-locked in the main process
(cudaHostRegister), so copies are pinned and can be `non_blocking`. Workers keep converting
across epoch boundaries (the next epoch's work is sent when an epoch starts), so an epoch's
start costs no refill. Batches hold exactly `batch_size` rows except each epoch's last; the
order is the epoch's fragment order, as with one process (shuffle within each chunk and of
the fragments, not global). The price: `workers` processes and `slots` batches of memory for
the loader's life, fork (Linux and macOS only), and a batch is valid only until the consumer
asks for the next one (the harness and the checker copy what they keep before that).

Options:
  workers       forked converter processes; each reads fragments w, w + workers, ... of the
                epoch's order. Each gets cores // workers threads of PyArrow's pool.
  slots         batches in shared memory: how far the workers may run ahead of the consumer.
                A fragment spans several batches, so with many workers few slots leave most
                of them waiting for the consumer (`report --scaling` shows it).
  nice          added to each worker's niceness: when the workers would take every core, the
                consumer's own Python (the training loop, the checks) keeps its core.
  chunk_rows, use_threads, threads, memo_entries   as `arrow-native`, inside each worker.
  pin_memory    page-lock the slots when the target is CUDA (n/a elsewhere).
  shuffle, shuffle_files, drop_last   as `arrow-native` (drop_last drops each epoch's final
                partial batch only, since batches span workers).

Buffer lifetime (the Loader contract's `batch_lifetime`, here 0): a batch is valid until the
consumer asks for the next one; then its slot is given back to the workers, or, on CUDA, once
a CUDA event recorded at that moment on the current stream has completed, so copies still
queued on the GPU are never overwritten.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial

import numpy as np
import torch

from loaderbench.errors import UsageError
from loaderbench.loaders._support.arrow_columns import FeaturePlan
from loaderbench.loaders._support.orders import Salt, epoch_rng
from loaderbench.loaders._support.shm_slots import EpochTask, SlotMemory, SlotWriter, worker_main
from loaderbench.loaders.arrow_native import (
    ArrowConversionOptions,
    ArrowNativeOptions,
    ChunkSource,
    Pieces,
)
from loaderbench.loaders.base import Batch, Loader
from loaderbench.loaders.options import option

WAIT_S = 1.0  # how often a waiting consumer checks that its workers are alive


@dataclass(frozen=True)
class ArrowShmOptions(ArrowConversionOptions):
    threads: int = 0  # in each worker (its minimum, 0, comes from ArrowConversionOptions)
    workers: int = option(4, minimum=1, help="forked converter processes")
    slots: int = option(16, minimum=2, help="batch slots in shared memory")
    nice: int = option(0, minimum=0, help="added to each worker's niceness (Unix)")

    def converter_options(self) -> ArrowNativeOptions:
        return ArrowNativeOptions(batch_size=self.batch_size, chunk_rows=self.chunk_rows,
                                  use_threads=self.use_threads, threads=self.threads,
                                  memo_entries=self.memo_entries)


def fragment_rng(options: ArrowShmOptions, seed: int, epoch: int,
                 fragment: int) -> np.random.Generator | None:
    """Per fragment, so the order does not depend on which worker converts it."""
    if options.shuffle == "none":
        return None
    return epoch_rng(seed, epoch, Salt.ROWS, fragment)


def usable_cores() -> int:
    """Cores this process may run on (its affinity, e.g. under taskset), else all."""
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity else (os.cpu_count() or 1)


def _make_source(pieces: Pieces, options: ArrowShmOptions):
    """In the worker: PyArrow's pool sized to this worker's share of the cores, at the
    worker's niceness."""
    import pyarrow as pa

    pa.set_cpu_count(max(1, usable_cores() // options.workers))
    if options.nice:  # fork, which arrow-shm needs, means Unix: os.nice is there
        os.nice(options.nice)
    return ChunkSource(pieces, options.converter_options())


class Pool:
    """The worker processes and their pipes: tasks out, `(batch, rows)` pieces back."""

    def __init__(self, pieces: Pieces, options: ArrowShmOptions, memory: SlotMemory,
                 seed: int) -> None:
        if "fork" not in multiprocessing.get_all_start_methods():
            raise UsageError("arrow-shm needs the fork start method (Linux or macOS); "
                             "use arrow-native here")
        ctx = multiprocessing.get_context("fork")
        self.released, self.stop = ctx.RawValue("q", 0), ctx.RawValue("b", 0)
        self.reader, sender = ctx.Pipe(duplex=False)
        lock = ctx.Lock()
        writer = SlotWriter(memory, self.released, self.stop, partial(_send, lock, sender),
                            partial(fragment_rng, options, seed))
        self.tasks, self.procs = [], []
        for w in range(options.workers):
            receive, self_send = ctx.Pipe(duplex=False)
            proc = ctx.Process(target=worker_main, name=f"arrow-shm-{w}", daemon=True,
                               args=(w, partial(_make_source, pieces, options), writer,
                                     receive))
            proc.start()
            receive.close()
            self.tasks.append(self_send)
            self.procs.append(proc)
        sender.close()

    def send(self, worker: int, task: EpochTask) -> None:
        try:
            self.tasks[worker].send(task)
        except OSError:  # the worker is gone: say why, from its last words if it left any
            with contextlib.suppress(EOFError):
                while self.reader.poll(WAIT_S):
                    g, message = self.reader.recv()
                    if g < 0:
                        raise RuntimeError(str(message)) from None
            raise RuntimeError(f"arrow-shm worker {worker} is gone (exit code "
                               f"{self.procs[worker].exitcode})") from None

    def receive(self) -> tuple[int, object]:
        """The next piece written; raises if a worker failed or died."""
        while not self.reader.poll(WAIT_S):
            dead = [p for p in self.procs if p.exitcode is not None]
            if dead:
                raise RuntimeError(f"arrow-shm worker {dead[0].name} exited with code "
                                   f"{dead[0].exitcode}")
        try:
            g, count = self.reader.recv()
        except EOFError:
            raise RuntimeError("arrow-shm: every worker has exited") from None
        if g < 0:
            raise RuntimeError(str(count))
        return g, count

    def close(self) -> None:
        self.stop.value = 1
        for conn in self.tasks:
            with contextlib.suppress(OSError):
                conn.send(None)
        for proc in self.procs:
            proc.join(timeout=2)
            if proc.is_alive():
                proc.terminate()
                proc.join(timeout=2)
        for conn in (*self.tasks, self.reader):
            conn.close()


def _send(lock, conn, message: tuple) -> None:
    with lock:
        conn.send(message)


class ArrowShmLoader(Loader):
    name = "arrow-shm"
    Options = ArrowShmOptions
    batch_lifetime = 0

    def setup(self) -> None:
        source, opt = self.context.source, self.options
        if source.drop_null_labels and source.target.nulls:
            raise UsageError("arrow-shm places rows by their count in each row group, so it "
                             "cannot drop null labels; run it on data without them")
        plan = FeaturePlan.from_preprocessor(self.context.preprocessor, source.roles.row_id,
                                             source.roles.label, source.target.dtype)
        self.pieces = Pieces(source, plan)
        self.sizes = [sum(rg.num_rows for rg in f.row_groups) for f in self.pieces.fragments]
        rows = sum(self.sizes)
        self.per_epoch = rows // opt.batch_size if opt.drop_last else -(-rows // opt.batch_size)
        self.limit = self.per_epoch * opt.batch_size if opt.drop_last else rows
        self.last_rows = self.limit - (self.per_epoch - 1) * opt.batch_size
        self.memory = SlotMemory(opt.slots, opt.batch_size, plan.n_features, plan.target)
        self.pool = Pool(self.pieces, opt, self.memory, self.context.seed)  # fork before pinning
        self.pinned = self._pin() if self.pins_memory() else False
        self.events = [torch.cuda.Event() for _ in range(opt.slots)] if self.pinned else []
        self.views = [Batch(*(torch.from_numpy(a[s]) for a in self.memory.arrays))
                      for s in range(opt.slots)]
        self.sent: list[int] = []     # the epoch index of each started sequence
        self.filled: dict[int, int] = {}
        self.pending: deque[tuple[int, object]] = deque()
        self.next_g, self.held = 0, None

    def _pin(self) -> bool:
        code = int(torch.cuda.cudart().cudaHostRegister(self.memory.address,
                                                        self.memory.nbytes, 0))
        if code != 0:
            raise RuntimeError(f"cudaHostRegister of the batch slots failed (cudaError {code})")
        return True

    def epoch(self, index: int) -> Iterator[Batch]:
        seq = self._start(index)
        return self._batches(seq)

    def _start(self, index: int) -> int:
        """The sequence that serves epoch `index`: the one sent ahead for it, or a new one;
        batches of an abandoned epoch, or sent ahead for another index, are skipped."""
        n = self.per_epoch
        seq = -(-self.next_g // n)
        while seq < len(self.sent) and self.sent[seq] != index:
            seq += 1
        if seq == len(self.sent):
            self._send(index)
        self._skip_until(seq * n)
        if len(self.sent) == seq + 1:
            self._send(index + 1)  # the workers run on into the next epoch
        return seq

    def _send(self, index: int) -> None:
        seq, opt = len(self.sent), self.options
        self.sent.append(index)
        order = self.pieces.order(opt.shuffle_files, self.context.seed, index)
        starts = np.concatenate([[0], np.cumsum([self.sizes[i] for i in order])[:-1]])
        for w in range(opt.workers):
            mine = order[w :: opt.workers]
            self.pool.send(w, EpochTask(seq, index, tuple(mine),
                                tuple(int(s) for s in starts[w :: opt.workers]),
                                tuple(self.sizes[i] for i in mine), self.per_epoch,
                                self.limit))

    def _batches(self, seq: int) -> Iterator[Batch]:
        n, size = self.per_epoch, self.options.batch_size
        for g in range(seq * n, (seq + 1) * n):
            if g != self.next_g:
                return  # a later epoch() has taken over
            slot = self._take(g)
            rows = self.last_rows if g % n == n - 1 else size
            view = self.views[slot]
            yield view if rows == size else Batch(*(t[:rows] for t in view))

    def _skip_until(self, end: int) -> None:
        while self.next_g < end:
            self._take(self.next_g)

    def _take(self, g: int) -> int:
        """Give back the batch held, wait until batch g is whole, hold it."""
        if self.held is not None:
            self._give_back(self.held)
        n = self.per_epoch
        want = self.last_rows if g % n == n - 1 else self.options.batch_size
        while self.filled.get(g, 0) < want:
            if not self.pool.reader.poll():
                self._release(wait=True)  # about to block: the workers may need these
            got, count = self.pool.receive()
            self.filled[got] = self.filled.get(got, 0) + count
        del self.filled[g]
        self.held, self.next_g = g, g + 1
        return g % self.options.slots

    def _give_back(self, g: int) -> None:
        event = None
        if self.pinned:  # one event per slot, made once: recorded again on each reuse
            event = self.events[g % self.options.slots]
            event.record()
        self.pending.append((g, event))
        self.held = None
        self._release(wait=False)

    def _release(self, wait: bool) -> None:
        """Release, in order, the given-back batches whose copies are done."""
        last = None
        while self.pending:
            event = self.pending[0][1]
            if event is not None and not event.query():
                if not wait:
                    break
                event.synchronize()
            last = self.pending.popleft()[0]
        if last is not None:
            self.pool.released.value = last + 1

    def close(self) -> None:
        pool = getattr(self, "pool", None)
        if pool is None:
            return
        pool.close()
        if self.pinned:
            torch.cuda.synchronize()
            torch.cuda.cudart().cudaHostUnregister(self.memory.address)
            self.pinned = False
        self.pool = None
