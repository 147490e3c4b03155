"""Registries of named plug-ins (loaders, training steps): a plain dict of built-ins
(`name -> "module:Class"`) plus an entry-point group for other packages. Modules are
imported only when a name is asked for, so listing names stays cheap."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from importlib.metadata import entry_points
from typing import Any

from loaderbench.errors import UsageError


def entry_point_table(group: str) -> dict[str, str]:
    """`name -> "module:Class"` of the entry points other packages declare in `group`."""
    return {ep.name: ep.value for ep in entry_points(group=group)}


def load(name: str, table: Mapping[str, str], kind: str) -> Any:
    """The class registered under `name` in `table`; a UsageError names the known ones."""
    where = table.get(name)
    if where is None:
        raise UsageError(f"unknown {kind} {name!r}; known {kind}s: {', '.join(table)}")
    module, _, attr = where.partition(":")
    return getattr(importlib.import_module(module), attr)
