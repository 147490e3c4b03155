"""Typed records to and from JSON values, driven by the records' own type hints.

`decode(Record, data)` builds a frozen dataclass from parsed JSON and checks every value
against its annotation: `float` (an int is accepted), `int` (not bool), `bool`, `str`,
`X | None`, `tuple[X, ...]`, `dict[str, Any]` (any JSON object), `dict[str, X]`, an `Enum`
(by value) and nested records. A wrong value raises SchemaError naming where it is
(`scenarios[3].timing.setup_s`) and what it was. Keys a record does not declare are ignored
(a newer writer's additions); a missing key takes the field's default, or is an error when
there is none. `encode(record)` is the inverse: tuples become lists, enums their values.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from functools import cache
from typing import Any, TypeVar

T = TypeVar("T")
_MISSING = dataclasses.MISSING


class SchemaError(ValueError):
    """A value that does not fit its field; the message names the field and the value."""


def wrong(where: str, expected: str, value: Any) -> SchemaError:
    shown = repr(value)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return SchemaError(f"{where or 'the file'}: expected {expected}, got {shown}")


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def decode(cls: type[T], data: Any, where: str = "") -> T:
    """`cls` (a dataclass) from JSON `data`, validated field by field."""
    if not isinstance(data, dict):
        raise wrong(where, "an object", data)
    hints, values = _hints(cls), {}
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        at = f"{where}.{f.name}" if where else f.name
        if f.name in data:
            values[f.name] = _value(hints[f.name], data[f.name], at)
        elif f.default is _MISSING and f.default_factory is _MISSING:
            raise SchemaError(f"{at}: missing (the field is required)")
    try:
        return cls(**values)
    except ValueError as err:  # a record's own consistency check (__post_init__)
        raise SchemaError(f"{where or 'the file'}: {err}") from None


def _value(hint: Any, value: Any, where: str) -> Any:
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        return _union(typing.get_args(hint), value, where)
    if origin is tuple:
        return _tuple(typing.get_args(hint)[0], value, where)
    if origin is dict or hint is dict:
        return _dict(typing.get_args(hint), value, where)
    if hint is Any:
        return value
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        try:
            return hint(value)
        except ValueError:
            choices = ", ".join(repr(m.value) for m in hint)
            raise wrong(where, f"one of {choices}", value) from None
    if dataclasses.is_dataclass(hint):
        return decode(hint, value, where)
    return _scalar(hint, value, where)


def _scalar(hint: type, value: Any, where: str) -> Any:
    if hint is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if hint is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if hint in (bool, str) and isinstance(value, hint):
        return value
    names = {float: "a number", int: "an integer", bool: "true or false", str: "a string"}
    raise wrong(where, names.get(hint, str(hint)), value)


def _union(options: tuple[Any, ...], value: Any, where: str) -> Any:
    if value is None and type(None) in options:
        return None
    real = [o for o in options if o is not type(None)]
    if len(real) != 1:
        raise TypeError(f"unsupported union at {where}: {options}")
    return _value(real[0], value, where)


def _tuple(item: Any, value: Any, where: str) -> tuple[Any, ...]:
    if not isinstance(value, list | tuple):
        raise wrong(where, "a list", value)
    if item is float:  # the raw step columns: the hot path of a large file
        for i, v in enumerate(value):
            if not isinstance(v, int | float) or isinstance(v, bool):
                raise wrong(f"{where}[{i}]", "a number", v)
        return tuple(map(float, value))
    return tuple(_value(item, v, f"{where}[{i}]") for i, v in enumerate(value))


def _dict(args: tuple[Any, ...], value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise wrong(where, "an object", value)
    if not args or args[1] is Any:
        return value
    return {k: _value(args[1], v, f"{where}.{k}") for k, v in value.items()}


def encode(value: Any) -> Any:
    """A record (or any value inside one) as plain JSON values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)
                if f.init}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, list | tuple):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {k: encode(v) for k, v in value.items()}
    return value
