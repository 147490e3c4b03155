"""The overlapped loop: what a training loop that prefetches gets, beside the attributed one.

    step i:  queue train(batch i) on the main stream ─ next(): host batch i+1 ─ queue its
             copy on a side stream ─ wait for step i's compute (the one sync of the step)

While the device runs step i, the host reads the next batch and queues its copy on a side
CUDA stream, so loading, copying and computing overlap, as in a trainer with a device
prefetcher. The main stream waits for the copy with an event (no host sync) and the batch's
device memory is marked as used on the main stream. One host sync per step, at its end (as
a loop that reads its loss each step does), keeps the host at most one step ahead.

What the parts mean here (host clock): `wait` is the time blocked in next(), overlapped
with the device's compute; `transfer` the time to queue the copy; `compute` the time to
queue the step plus the wait at its end. Their sum is the step's wall time, so steps/s is
what such a loop achieves; a step's own device times come from CUDA events on each stream
(`compute_dev_s` its compute, `transfer_dev_s` the copy of its batch). The attributed loop
(loop.py) answers where the time goes; this one how fast a real loop runs. On cpu and mps
there is no side stream: the same order, without overlap of the copy.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import torch

from loaderbench.harness.loop import Clock, EpochRunner, LoopPlan, Recorder, StepParts, abandon
from loaderbench.loaders.base import Batch, Loader


@dataclass
class Fetched:
    """A batch read and its copy queued: host time spent on each, device events."""

    batch: Batch | None  # None: the epoch has ended
    rows: int
    wait_s: float
    queue_s: float
    copied: tuple | None  # (start, end) CUDA events on the side stream


@dataclass
class Streams:
    """A side stream and timing events on CUDA; no-ops elsewhere."""

    cuda: bool
    side: object = None
    transfer_dev_s: list[float] = field(default_factory=list)
    compute_dev_s: list[float] = field(default_factory=list)

    @classmethod
    def for_device(cls, device: str) -> Streams:
        if device != "cuda":
            return cls(False)
        return cls(True, torch.cuda.Stream())

    def on_side(self) -> contextlib.AbstractContextManager:
        return torch.cuda.stream(self.side) if self.cuda else contextlib.nullcontext()

    def mark(self):
        if not self.cuda:
            return None
        event = torch.cuda.Event(enable_timing=True)
        event.record()
        return event

    def hand_over(self, fetched: Fetched) -> None:
        """The main stream waits for the copy; its memory is in use on the main stream."""
        if not self.cuda or fetched.copied is None:
            return
        main = torch.cuda.current_stream()
        main.wait_event(fetched.copied[1])
        for tensor in fetched.batch:
            if tensor.is_cuda:
                tensor.record_stream(main)

    def finish(self, fetched: Fetched, started, ended, sync: Callable[[], None]) -> None:
        """Wait for the step's compute (not for the next batch's copy); keep both device
        times once they are complete. Elsewhere, the device's own sync."""
        if not self.cuda:
            sync()
            return
        ended.synchronize()
        copied = fetched.copied
        self.transfer_dev_s.append(copied[0].elapsed_time(copied[1]) / 1e3 if copied else 0.0)
        self.compute_dev_s.append(started.elapsed_time(ended) / 1e3)


def fetch(batches: Iterator[Batch], transfer: Callable[[Batch], Batch], streams: Streams,
          clock: Clock) -> Fetched | None:
    """next() and the copy queued, both on the side stream (so loaders that guard their
    buffers with an event record it after the copy they guard); None at the epoch's end."""
    with streams.on_side():
        t0 = clock()
        host = next(batches, None)
        t1 = clock()
        if host is None:
            return Fetched(None, 0, t1 - t0, 0.0, None)
        start = streams.mark()
        moved = transfer(host)
        end = streams.mark()
        t2 = clock()
    copied = (start, end) if start is not None else None
    return Fetched(moved, host.rows, t1 - t0, t2 - t1, copied)


def overlapped(streams: Streams) -> EpochRunner:
    """An epoch of the overlapped loop, for `run_loop(one_epoch=...)`."""
    return functools.partial(_overlapped_epoch, streams)


def _overlapped_epoch(streams: Streams, loader: Loader, plan: LoopPlan, parts: StepParts,
                      observe: Callable[[Batch], None], clock: Clock, rec: Recorder,
                      epoch: int) -> tuple[float, bool, float]:
    start = len(rec)
    bookkeeping = seconds = 0.0
    batches = iter(loader.epoch(epoch))
    current = fetch(batches, parts.transfer, streams, clock)
    if current.rows == 0:
        raise RuntimeError(f"loader {loader.name!r} yielded no batch in epoch {epoch}")
    carried = (current.wait_s, current.queue_s)  # step 0 also waits for its own batch
    while current.rows:
        t0 = clock()
        streams.hand_over(current)
        started = streams.mark()
        parts.train(current.batch)
        ended = streams.mark()
        t1 = clock()
        if not streams.cuda:  # no copy: the batch is the loader's buffer, look at it now
            observe(current.batch)
        checked = clock() - t1
        following = fetch(batches, parts.transfer, streams, clock)
        t2 = clock()
        streams.finish(current, started, ended, parts.sync)
        t3 = clock()
        rec.add_parts(carried[0] + (t2 - t1 - checked) - following.queue_s,
                      carried[1] + following.queue_s, (t1 - t0) + (t3 - t2),
                      current.rows, epoch, len(rec) == start)
        seconds += carried[0] + carried[1] + t3 - t0 - checked
        if streams.cuda:  # a copy on the device: looked at once its step is done
            observe(current.batch)
        bookkeeping += checked
        carried, current = (0.0, 0.0), following
        if plan.steps is not None and plan.enough(rec):
            bookkeeping += clock() - t3
            abandon(batches)
            return 0.0, False, bookkeeping
        bookkeeping += clock() - t3
    return seconds, True, bookkeeping


def overlap_record(device: str) -> dict[str, str]:
    """How an overlapped scenario was timed, for its result."""
    if device != "cuda":
        return {}
    return {"device_timer": "torch.cuda.Event (per stream)",
            "sync": "one CUDA event sync per step, at its end (overlapped loop)"}
