"""What the checks read of each batch on the host: CPU batches as they are, a CUDA batch's copy
queued behind an event (HostMirror, read one batch later), and every batch's first row kept
in arrays grown by doubling (FirstRows)."""

from __future__ import annotations

import numpy as np
import torch

from loaderbench.loaders.base import Batch


class HostBatch:
    """What the checks read of one batch, on the host: ids, targets and features (given as
    CPU tensors, viewed as numpy only if read: most batches' features are not)."""

    def __init__(self, ids: np.ndarray, targets: np.ndarray | torch.Tensor,
                 features: np.ndarray | torch.Tensor) -> None:
        self.ids, self._targets, self._features = ids, targets, features

    @property
    def targets(self) -> np.ndarray:
        t = self._targets
        return t.numpy() if isinstance(t, torch.Tensor) else t

    @property
    def features(self) -> np.ndarray:
        f = self._features
        return f.numpy() if isinstance(f, torch.Tensor) else f


class FirstRows:
    """The first row of every batch, written into arrays grown by doubling: a row's copy a
    batch, with no array made per batch."""

    def __init__(self, n_features: int, target: np.dtype | str) -> None:
        self.n = 0
        self.ids = np.empty(64, dtype=np.int64)
        self.x = np.empty((64, n_features), dtype=np.float32)
        self.y = np.empty(64, dtype=target)

    def add(self, host: HostBatch) -> None:
        n = self.n
        if n == len(self.ids):
            self.ids, self.x, self.y = (np.concatenate([a, np.empty_like(a)])
                                        for a in (self.ids, self.x, self.y))
        self.ids[n], self.x[n], self.y[n] = host.ids[0], host.features[0], host.targets[0]
        self.n = n + 1

    def kept(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        n = self.n
        return self.ids[:n], self.x[:n], self.y[:n]


class Pending:
    """A batch's copy to the host, queued on the GPU: `wait()` gives it once it has landed."""

    def __init__(self, views: list[torch.Tensor], event: torch.cuda.Event | None) -> None:
        self.views, self.event = views, event

    def wait(self) -> HostBatch:
        if self.event is not None:
            self.event.synchronize()
        features, targets, ids = (t.numpy() for t in self.views)
        return HostBatch(ids, targets, features)


class HostMirror:
    """Batches brought to the host for the checks. From CUDA the copy is queued, not waited
    for: each batch goes into one of two pinned buffer sets (used in turn) behind that set's
    CUDA event on the current stream, and is read one batch later (`Checker.observe`), by
    when the copy has long landed; so the checks add no device sync to the loop and the copy
    overlaps the host's work. A stream's order keeps the copy ahead of anything that later
    reuses the batch's device memory, and a set is rewritten only after its batch was read."""

    def __init__(self) -> None:
        self._sets: list[tuple[tuple, list[torch.Tensor], torch.cuda.Event] | None] = [None,
                                                                                        None]
        self._turn = 0

    def __call__(self, batch: Batch) -> Pending | HostBatch:
        """A CPU batch as it is; another device's copied now; a CUDA batch's copy queued."""
        features, targets, ids = batch
        if ids.is_cpu:
            return HostBatch(ids.numpy(), targets, features)
        if not ids.is_cuda:
            return Pending([t.cpu() for t in batch], None).wait()
        buffers, event = self._next_set(batch)
        views = [mine[:batch.rows] for mine in buffers]
        for mine, theirs in zip(views, batch, strict=True):
            mine.copy_(theirs, non_blocking=True)
        event.record(torch.cuda.current_stream(batch.row_id.device))
        return Pending(views, event)

    def _next_set(self, batch: Batch) -> tuple[list[torch.Tensor], torch.cuda.Event]:
        """The next pinned buffer set and its event, (re)made when the batch does not fit."""
        self._turn = 1 - self._turn
        kind = tuple((t.shape[1:], t.dtype) for t in batch)
        held = self._sets[self._turn]
        if held is None or held[0] != kind or held[1][0].shape[0] < batch.rows:
            held = (kind, [torch.empty(t.shape, dtype=t.dtype, pin_memory=True) for t in batch],
                    torch.cuda.Event())
            self._sets[self._turn] = held
        return held[1], held[2]
