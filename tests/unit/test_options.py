from __future__ import annotations

import pytest

from loaderbench import loaders
from loaderbench.errors import UsageError
from loaderbench.loaders.base import build_options
from loaderbench.loaders.vectorized import VectorizedOptions


def test_table_becomes_frozen_options():
    opts = build_options(VectorizedOptions, {"batch_size": 128, "encode": "apply"}, "vectorized")
    assert (opts.batch_size, opts.encode, opts.shuffle) == (128, "apply", "none")
    with pytest.raises(AttributeError):
        opts.batch_size = 3  # type: ignore[misc]


def test_unknown_option_names_the_known_ones():
    with pytest.raises(UsageError, match="no option batchsize.*batch_size"):
        build_options(VectorizedOptions, {"batchsize": 1}, "vectorized")


@pytest.mark.parametrize(("table", "message"), [
    ({"batch_size": "big"}, "batch_size must be int"),
    ({"batch_size": True}, "batch_size must be int"),
    ({"encode": "hash"}, "encode must be one of 'map' | 'apply'"),
    ({"pin_memory": 1}, "pin_memory must be bool"),
    ({"batch_size": 0}, "batch_size must be at least 1"),
])
def test_bad_values_are_usage_errors(table, message):
    with pytest.raises(UsageError, match=message):
        build_options(VectorizedOptions, table, "vectorized")


def test_unknown_loader_names_the_known_ones():
    with pytest.raises(UsageError, match="unknown loader 'nope'.*vectorized"):
        loaders.get("nope")


def test_registry_holds_the_builtins_and_entry_points(monkeypatch):
    plugin = {"mine": "loaderbench.loaders.rowwise:RowwiseLoader"}
    monkeypatch.setattr(loaders, "_plugins", lambda: plugin)
    assert "mine" in loaders.names()
    assert loaders.get("mine").name == "rowwise"
