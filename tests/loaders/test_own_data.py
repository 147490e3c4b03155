"""Every loader on data that is not the generated dataset: arbitrary column names, no id
column (rows identified by position), Hive partitions, integer / string / dictionary / bool
categoricals, and bool / integer / string / float labels; null labels dropped; an id column
of arbitrary unique integers."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from loaderbench import loaders
from loaderbench.errors import UsageError
from loaderbench.loaders._support.extras import missing
from loaderbench.loaders.base import LoaderContext
from loaderbench.results.records import Checks
from loaderbench.scenarios.preprocess import Preprocessor
from loaderbench.scenarios.roles import RoleRequest
from loaderbench.scenarios.source import open_data
from tests.loaders.test_contract import run_epochs

ROWS_PER_FILE = 40
ONE_EACH = {"rowwise": {"batch_size": 16}, "rowwise-map": {"batch_size": 16},
            "sharded": {"batch_size": 32, "num_workers": 1},
            "synthetic": {"batch_size": 32, "steps_per_epoch": 2}}
LABELS = ("y_bool", "y_int", "y_str", "y_float")
CATEGORICAL = ("code", "colour", "grade", "flag")
PLAIN_ONLY = {"polars"}  # reads the stored columns with its own expressions


def odd_table(rng: np.random.Generator, n: int, null_labels: int = 0) -> pa.Table:
    """Columns of every kind a user's table has, with nulls, under names of its own."""
    weight = rng.normal(70.0, 12.0, n)
    weight[rng.random(n) < 0.1] = np.nan
    count = pa.array(rng.integers(0, 9, n), mask=rng.random(n) < 0.1)
    colour = pa.array(rng.choice(["red", "green", "blue", "teal"], n).tolist(),
                      mask=rng.random(n) < 0.1)
    grade = pa.array(rng.choice(["A", "B", "C"], n).tolist()).dictionary_encode()
    labels = {"y_bool": pa.array(rng.random(n) < 0.4),
              "y_int": pa.array(rng.choice([3, 10, 1000], n)),
              "y_str": pa.array(rng.choice(["cat", "dog", "emu"], n).tolist()),
              "y_float": pa.array(rng.normal(2008.0, 3.0, n))}
    if null_labels:
        labels["y_int"] = pa.array(rng.choice([3, 10, 1000], n),
                                   mask=np.arange(n) < null_labels)
    return pa.table({"Weight (kg)": weight, "count": count, "code": rng.integers(100, 104, n),
                     "colour": colour, "grade": grade,
                     "flag": pa.array(rng.random(n) < 0.5, mask=rng.random(n) < 0.1),
                     "when": pa.array(np.arange(n).astype("datetime64[s]")), **labels})


def write_hive(root, null_labels: int = 0, ids: bool = False):
    rng = np.random.default_rng(5)
    start = 0
    for region in ("north", "south"):
        for part in range(2):
            table = odd_table(rng, ROWS_PER_FILE, null_labels)
            if ids:  # unique, unordered, far from 0..N-1
                table = table.append_column("key", pa.array(
                    (np.arange(start, start + ROWS_PER_FILE) * 7919 + 10**12)[::-1]))
                start += ROWS_PER_FILE
            (root / f"region={region}").mkdir(parents=True, exist_ok=True)
            pq.write_table(table, root / f"region={region}" / f"p{part}.parquet",
                           row_group_size=15)
    return root


@pytest.fixture(scope="module")
def odd_root(tmp_path_factory):
    return write_hive(tmp_path_factory.mktemp("odd"))


def context_for(root, **roles) -> LoaderContext:
    source = open_data(root, RoleRequest(**roles), validate_ids=True)
    return LoaderContext(source, Preprocessor.fit(source, sample_rows=100), "cpu", seed=0)


def assert_passes(name: str, context: LoaderContext) -> Checks | None:
    """The loader's checks pass on this data; a loader reading the stored columns itself
    (`plain_only`) refuses data that needs the normalisation, with a clear error."""
    table = ONE_EACH.get(name, {"batch_size": 32})
    epochs = 1 if name.startswith("rowwise") else 2
    if name in PLAIN_ONLY and not context.source.plain:
        with pytest.raises(UsageError, match="reads the stored columns itself"):
            run_epochs(name, table, context, epochs)
        return None
    checker, _ = run_epochs(name, table, context, epochs)
    checks, failure = checker.verdict()
    assert failure is None, failure
    assert checks.values == "ok"
    if loaders.get(name).covers_dataset:
        assert checks.coverage == "exact" and checks.missing == 0
    return checks


@pytest.fixture(scope="module")
def contexts(odd_root):
    others = [c for c in LABELS]
    return {label: context_for(odd_root, label=label, categorical=CATEGORICAL,
                               exclude=tuple(o for o in others if o != label))
            for label in LABELS}


def loader_params():
    """Every registered loader; one whose optional packages are absent is skipped, saying so."""
    for name in loaders.names():
        absent = missing(loaders.get(name))
        yield pytest.param(name, id=name, marks=[pytest.mark.skip(reason=absent)] if absent else [])


@pytest.mark.parametrize("label", LABELS)
@pytest.mark.parametrize("name", list(loader_params()))
def test_every_loader_on_every_label_kind(name, label, contexts):
    assert_passes(name, contexts[label])


def test_roles_and_label_codings(contexts):
    source = contexts["y_int"].source
    assert source.target.task == "classification"
    assert source.target.classes == (3, 10, 1000)
    assert source.roles.partition == ("region",)
    assert "region" in source.roles.categorical and "when" not in source.roles.features
    assert not source.roles.has_id
    assert contexts["y_float"].source.target.task == "regression"
    assert contexts["y_bool"].source.target.classes == (False, True)
    assert contexts["y_str"].source.target.classes == ("cat", "dog", "emu")


def test_inferred_roles_leave_dates_out(odd_root):
    source = open_data(odd_root, RoleRequest(label="y_str"))
    assert "count" in source.roles.numeric and "code" in source.roles.numeric
    assert {"colour", "grade", "flag", "region"} <= set(source.roles.categorical)
    assert "when" not in source.roles.features


@pytest.mark.parametrize("name", ["vectorized", "arrow-native", "gpu-preprocess",
                                  "manual-slice", "batched-map"])
def test_dropped_null_labels_are_not_missing(name, tmp_path_factory):
    root = write_hive(tmp_path_factory.mktemp("nulls"), null_labels=5)
    context = context_for(root, label="y_int", drop_null_labels=True)
    assert context.source.kept_rows == 4 * (ROWS_PER_FILE - 5)
    checks = assert_passes(name, context)
    assert checks.epochs[0].rows_seen == 4 * (ROWS_PER_FILE - 5)


@pytest.mark.parametrize("name", ["vectorized", "arrow-native", "gpu-preprocess",
                                  "tensor-dataset", "sharded"])
def test_an_id_column_of_any_unique_integers(name, tmp_path_factory):
    root = write_hive(tmp_path_factory.mktemp("ids"), ids=True)
    context = context_for(root, label="y_str", id="key")
    assert not context.source.dense_ids
    assert_passes(name, context)
