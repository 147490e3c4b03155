"""The loader contract: Batch, options, the context a loader gets, and the Loader base class.

Every loader yields ``Batch(features float32 [B, F], target int64 [B], row_id int64 [B])``
(target float32 [B] for a regression label: `context.source.target.dtype`) and must give the
same (features, target) for the same row_id as every other loader, up to float32 rounding.
The harness checks that on every scenario. Loaders read Parquet through
`loaderbench.scenarios.rows` (file_batches, read_file, read_all, scan_fragments), which puts
the row id, the target and canonical feature columns first.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar, NamedTuple

import numpy as np
import torch

from loaderbench.loaders.options import LoaderOptions, build_options, options_doc, resolved
from loaderbench.scenarios.preprocess import Preprocessor
from loaderbench.scenarios.source import DataSource

__all__ = ["Batch", "Loader", "LoaderContext", "LoaderOptions", "build_options", "options_doc",
           "resolved", "torch_dtype"]


class Batch(NamedTuple):
    """One training batch. A NamedTuple, so DataLoader's collate and pin_memory keep its type.

    Loaders that batch automatically yield one sample at a time as a Batch of
    (features [F], target [], row_id []) and the DataLoader stacks them.
    """

    features: torch.Tensor
    target: torch.Tensor
    row_id: torch.Tensor

    @property
    def rows(self) -> int:
        return int(self.row_id.shape[0])

    @property
    def nbytes(self) -> int:
        return sum(t.element_size() * t.nelement() for t in self)

    def to(self, device: torch.device | str, non_blocking: bool = False) -> Batch:
        return Batch(*(t.to(device, non_blocking=non_blocking) for t in self))

    def pin_memory(self) -> Batch:
        return Batch(*(t.pin_memory() for t in self))

    def is_pinned(self) -> bool:
        return all(t.is_pinned() for t in self)


def torch_dtype(dtype: np.dtype) -> torch.dtype:
    """The torch dtype of a numpy dtype (the Batch's target: int64 or float32)."""
    return torch.from_numpy(np.empty(0, dtype=dtype)).dtype


@dataclass(frozen=True)
class LoaderContext:
    """What a loader is built from: the data, the shared fitted preprocessing, the target."""

    source: DataSource
    preprocessor: Preprocessor
    device: str = "cpu"
    seed: int = 0
    #: This process's place in a multi-rank run (torchrun): rank `rank` of `world_size`.
    rank: int = 0
    world_size: int = 1


class Loader(abc.ABC):
    """Base class of every loader. Subclasses set `name` and `Options` and define `epoch`."""

    name: ClassVar[str]
    Options: ClassVar[type[LoaderOptions]] = LoaderOptions
    #: False for loaders that do not read the dataset (the synthetic yardstick).
    covers_dataset: ClassVar[bool] = True
    #: True for loaders that read every stored column whatever their options (the seeds'
    #: rowwise path); others read the needed ones, or all with `columns = "all"`.
    reads_every_column: ClassVar[bool] = False
    #: Optional modules the loader imports (loaders/extras.py) and the pip extra that installs
    #: them; without them a scenario is `skipped` with the install command.
    requires: ClassVar[tuple[str, ...]] = ()
    extra: ClassVar[str] = ""
    #: True for loaders whose batches are already on the target device (they copy inside
    #: next() or hold the data there, so the harness's transfer is a no-op). An instance may
    #: set it in setup() when an option decides.
    yields_on_device: bool = False
    #: The batch-lifetime rule. None: every batch yielded belongs to the consumer. N: the
    #: loader reuses its buffers, so a batch stays valid only until N more batches have been
    #: yielded; once the consumer asks for the one after those, its memory may be refilled.
    #: Copy what you keep longer. An instance may set it in setup() when an option decides.
    batch_lifetime: int | None = None
    #: True where each DataLoader worker cuts its own stream into batches (an
    #: IterableDataset), so each may end an epoch on a partial batch of its own. A property
    #: where an option decides (it is read before setup()).
    batches_per_worker: bool = False
    #: True for loaders that give each rank of a multi-rank run its own share of the rows
    #: (DistributedSampler, or files split by rank x worker). Others are skipped there.
    shards_by_rank: ClassVar[bool] = False

    def __init__(self, context: LoaderContext, options: LoaderOptions) -> None:
        self.context = context
        self.options = options

    def setup(self) -> None:  # noqa: B027 - optional hook, timed apart from the steps
        """One-off work before the first epoch (reading everything into memory, say)."""

    @abc.abstractmethod
    def epoch(self, index: int) -> Iterator[Batch]:
        """The batches of epoch `index`; each epoch should cover every row once."""

    def allowed_missing(self) -> int:
        """Rows this process's epoch may leave out by design: with a `drop_last` option, the
        final partial batch, or one per worker where each cuts its own stream. In a multi-rank
        run this is per rank (the cross-rank check multiplies it by the world size)."""
        if not getattr(self.options, "drop_last", False):
            return 0
        streams = 1
        if self.batches_per_worker:  # each worker cuts its own stream
            streams = max(1, getattr(self.options, "num_workers", 0))
        return streams * (self.options.batch_size - 1)

    def pins_memory(self) -> bool:
        """True when the batches this loader yields are already in pinned memory: by default,
        when it has a `pin_memory` option set and the target is CUDA."""
        return bool(getattr(self.options, "pin_memory", False)) and self.context.device == "cuda"

    def shuffles(self) -> bool:
        """True when each epoch should come in a new order (checked across ranks)."""
        return False

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release workers, files and buffers."""
