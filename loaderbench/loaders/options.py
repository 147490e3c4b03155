"""Loader options: a frozen dataclass per loader, each field's constraint declared on the field.

    @dataclass(frozen=True)
    class MyOptions(LoaderOptions):
        chunk_rows: int = option(8192, minimum=1, help="rows per record batch")

A constraint (minimum, choices, help) lives in the field's metadata, and `constraints(cls)`
merges the metadata of every class in the MRO, so a subclass that only changes a default
(`num_workers: int = 2`) keeps its parent's minimum, and a class that inherits from two
option classes gets the constraints of both. Choices come from `Literal[...]` hints.
`build_options` turns a suite's raw table into the dataclass, checking names, types and
constraints with one clear UsageError; `resolved` gives every option, defaults included.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from loaderbench.errors import UsageError


def option(default: Any, *, minimum: float | None = None, help: str = "") -> Any:
    """A dataclass field with its constraint: `x: int = option(1, minimum=0, help="...")`."""
    meta = {k: v for k, v in (("minimum", minimum), ("help", help)) if v not in (None, "")}
    return dataclasses.field(default=default, metadata=meta)


@dataclass(frozen=True)
class Constraint:
    """What a value of one option must satisfy; None where nothing is declared."""

    minimum: float | None = None
    choices: tuple[Any, ...] | None = None
    help: str = ""

    def describe(self) -> str:
        if self.choices is not None:
            return " | ".join(str(c) for c in self.choices)
        return f">= {self.minimum:g}" if self.minimum is not None else ""

    def violation(self, value: Any) -> str | None:
        """Why `value` breaks the constraint, or None."""
        if self.choices is not None and value not in self.choices:
            return f"must be one of {' | '.join(repr(c) for c in self.choices)}, got {value!r}"
        if self.minimum is not None and value is not None and value < self.minimum:
            return f"must be at least {self.minimum:g}, got {value!r}"
        return None


@functools.cache
def constraints(cls: type) -> dict[str, Constraint]:
    """Every field's constraint, its metadata merged along the MRO (subclasses win)."""
    hints = typing.get_type_hints(cls)
    merged: dict[str, dict[str, Any]] = {f.name: {} for f in dataclasses.fields(cls)}
    for klass in reversed(cls.__mro__):
        for name, f in getattr(klass, "__dataclass_fields__", {}).items():
            if name in merged:
                merged[name].update(f.metadata)
    return {name: Constraint(meta.get("minimum"), _choices(hints[name]), meta.get("help", ""))
            for name, meta in merged.items()}


def _choices(hint: Any) -> tuple[Any, ...] | None:
    return typing.get_args(hint) if typing.get_origin(hint) is typing.Literal else None


@dataclass(frozen=True)
class LoaderOptions:
    """Options every loader takes. Subclasses add theirs as more frozen dataclass fields."""

    batch_size: int = option(4096, minimum=1, help="rows per batch")

    def __post_init__(self) -> None:
        for name, rule in constraints(type(self)).items():
            why = rule.violation(getattr(self, name))
            if why:
                raise UsageError(f"{name} {why}")


def build_options(cls: type[LoaderOptions], table: Mapping[str, Any], loader: str) -> LoaderOptions:
    """Make `cls` from a suite's raw option table: unknown names, wrong types and broken
    constraints are UsageErrors naming the loader and the option."""
    hints = typing.get_type_hints(cls)
    rules = constraints(cls)
    unknown = sorted(set(table) - set(rules))
    if unknown:
        raise UsageError(f"loader {loader!r} has no option {', '.join(unknown)}; "
                         f"its options: {', '.join(sorted(rules))}")
    values = {name: _coerce(hints[name], value, f"{loader}.{name}")
              for name, value in table.items()}
    for name, value in values.items():
        why = rules[name].violation(value)
        if why:
            raise UsageError(f"{loader}.{name} {why}")
    return cls(**values)


def resolved(options: LoaderOptions) -> dict[str, Any]:
    """Every option with its value, defaults included, as plain JSON values."""
    return {f.name: getattr(options, f.name) for f in dataclasses.fields(options)}


def options_doc(cls: type[LoaderOptions]) -> list[tuple[str, Any, str, str]]:
    """(name, default, constraint, help) of each option, for `loaderbench list`."""
    rules = constraints(cls)
    return [(f.name, f.default, rules[f.name].describe(), rules[f.name].help)
            for f in dataclasses.fields(cls)]


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


_PLAIN: dict[Any, tuple[type, ...]] = {bool: (bool,), int: (int,), float: (int, float),
                                       str: (str,)}


def _coerce_plain(hint: Any, value: Any, where: str) -> Any:
    accepted = _PLAIN.get(hint)
    if accepted is None:
        return value
    if isinstance(value, accepted) and (hint is bool or not isinstance(value, bool)):
        return float(value) if hint is float else value
    raise UsageError(f"{where} must be {hint.__name__}, got {value!r}")
