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
import dataclasses
import types
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple

import numpy as np
import torch

from loaderbench.errors import UsageError
from loaderbench.scenarios.preprocess import Preprocessor
from loaderbench.scenarios.source import DataSource


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


@dataclass(frozen=True)
class LoaderOptions:
    """Options every loader takes. Subclasses add theirs as more frozen dataclass fields."""

    batch_size: int = 4096
    #: The smallest value of each numeric option (None is not checked). A subclass extends
    #: it: `MINIMUMS = {**Parent.MINIMUMS, "chunk_rows": 1}`.
    MINIMUMS: ClassVar[Mapping[str, float]] = {"batch_size": 1}

    def __post_init__(self) -> None:
        for name, least in self.MINIMUMS.items():
            value = getattr(self, name)
            if value is not None and value < least:
                raise UsageError(f"{name} must be at least {least:g}, got {value}")


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
        """Rows an epoch may leave out by design (drop_last drops a partial batch)."""
        return 0

    def pins_memory(self) -> bool:
        """True when the batches this loader yields are already in pinned memory."""
        return False

    def shuffles(self) -> bool:
        """True when each epoch should come in a new order (checked across ranks)."""
        return False

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release workers, files and buffers."""


def build_options(cls: type[LoaderOptions], table: Mapping[str, Any], loader: str) -> LoaderOptions:
    """Make `cls` from a suite's raw option table: unknown names and wrong types are UsageErrors."""
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(table) - known)
    if unknown:
        raise UsageError(f"loader {loader!r} has no option {', '.join(unknown)}; "
                         f"its options: {', '.join(sorted(known))}")
    values = {name: _coerce(hints[name], value, f"{loader}.{name}")
              for name, value in table.items()}
    return cls(**values)


def _coerce(hint: Any, value: Any, where: str) -> Any:
    """Check `value` against a field's type hint (int, float, bool, str, Literal, X | None)."""
    origin = typing.get_origin(hint)
    if origin is typing.Literal:
        if value in typing.get_args(hint):
            return value
        choices = " | ".join(repr(a) for a in typing.get_args(hint))
        raise UsageError(f"{where} must be one of {choices}, got {value!r}")
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in typing.get_args(hint):
            return None
        errors = []
        for arg in typing.get_args(hint):
            if arg is type(None):
                continue
            try:
                return _coerce(arg, value, where)
            except UsageError as err:
                errors.append(str(err))
        raise UsageError(errors[0] if errors else f"{where}: bad value {value!r}")
    return _coerce_plain(hint, value, where)


def _coerce_plain(hint: Any, value: Any, where: str) -> Any:
    if hint is bool:
        if isinstance(value, bool):
            return value
    elif hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif hint is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    elif hint is str:
        if isinstance(value, str):
            return value
    else:
        return value
    raise UsageError(f"{where} must be {hint.__name__}, got {value!r}")


def options_doc(cls: type[LoaderOptions]) -> dict[str, Any]:
    """Each option's default, for `loaderbench list`."""
    return {f.name: f.default for f in dataclasses.fields(cls)}
