"""Labels as they come: what the training target is, fitted on the whole label column.

classification  integers with any values, strings, bools (and dictionaries of them): the
                distinct values, sorted, become classes 0..K-1 (int64 targets). Integers
                that already are 0..K-1 pass through unchanged.
regression      floats (or any number with task = regression): float32 targets; the `mlp`
                step trains an MSE head with one output.

`task = auto` picks regression for float labels and classification for the rest. Null labels
are refused (one line naming the column and the count) unless the rows are to be dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from loaderbench.errors import UsageError
from loaderbench.results.columns import n_classes

MAX_CLASSES = 10_000


@dataclass(frozen=True)
class TargetCoding:
    """How a label column becomes the Batch's target."""

    task: Literal["classification", "regression"]
    classes: tuple[Any, ...] = ()
    #: Arrow type of the classes ("int64", "string", "bool", "double").
    kind: str = "int64"
    nulls: int = 0
    low: float | None = None
    high: float | None = None

    @property
    def n_outputs(self) -> int:
        """Width of the model's output layer: the class count, or 1 for regression."""
        return len(self.classes) if self.task == "classification" else 1

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(np.int64 if self.task == "classification" else np.float32)

    @property
    def identity(self) -> bool:
        """True when the label already is 0..K-1 in integers: no lookup needed."""
        return self.kind == "int64" and self.classes == tuple(range(len(self.classes)))

    def describe(self) -> str:
        if self.task == "regression":
            return f"regression, range {self.low:g} .. {self.high:g}"
        shown = ", ".join(map(str, self.classes[:8])) + (", ..." if len(self.classes) > 8 else "")
        return f"classification, {n_classes(len(self.classes))} ({shown})"

    def to_dict(self) -> dict[str, Any]:
        return {"task": self.task, "classes": list(self.classes), "kind": self.kind,
                "nulls": self.nulls, "low": self.low, "high": self.high}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TargetCoding:
        return cls(d["task"], tuple(d["classes"]), d["kind"], d.get("nulls", 0), d.get("low"),
                   d.get("high"))

    def encode(self, column):
        """A label column (Arrow) as the target: int64 codes or float32 values; nulls kept."""
        import pyarrow as pa
        import pyarrow.compute as pc

        column = plain(column)
        if self.task == "regression":
            return pc.cast(column, pa.float32())
        if self.identity and pa.types.is_integer(column.type):
            return pc.cast(column, pa.int64())
        values = pa.array(self.classes, type=pa.type_for_alias(self.kind))
        return pc.cast(pc.index_in(pc.cast(column, values.type), value_set=values), pa.int64())


def plain(column):
    """A dictionary column decoded; others as they are."""
    import pyarrow as pa

    if pa.types.is_dictionary(column.type):
        return column.cast(column.type.value_type)
    return column


def fit_target(column, task: str, name: str) -> TargetCoding:
    """The coding of the whole label column `column` (a pyarrow ChunkedArray)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    column = plain(column)
    t = column.type
    if task == "auto":
        task = "regression" if pa.types.is_floating(t) or pa.types.is_decimal(t) \
            else "classification"
    nulls = column.null_count
    if task == "regression":
        if not (pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t)
                or pa.types.is_boolean(t)):
            raise UsageError(f"label {name!r} is {t}: a regression target must be a number; "
                             "use --task classification")
        values = pc.cast(column, pa.float64())
        bounds = pc.min_max(values)
        return TargetCoding("regression", (), "double", nulls, bounds["min"].as_py(),
                            bounds["max"].as_py())
    kind = _kind(t)
    classes = pc.unique(pc.cast(column, pa.type_for_alias(kind)).drop_null()).sort()
    if len(classes) > MAX_CLASSES:
        raise UsageError(f"label {name!r} has {len(classes):,} distinct values: too many classes "
                         f"(at most {MAX_CLASSES:,}); use --task regression")
    if len(classes) == 0:
        raise UsageError(f"label {name!r} holds no values")
    return TargetCoding("classification", tuple(classes.to_pylist()), kind, nulls)


def _kind(arrow_type) -> str:
    import pyarrow as pa

    if pa.types.is_boolean(arrow_type):
        return "bool"
    if pa.types.is_integer(arrow_type):
        return "int64"
    if pa.types.is_floating(arrow_type) or pa.types.is_decimal(arrow_type):
        return "double"
    return "string"
