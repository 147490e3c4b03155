"""Roles by name or inferred from Arrow types; label codings; the shared normalisation."""

from __future__ import annotations

import pyarrow as pa
import pytest

from loaderbench.errors import UsageError
from loaderbench.scenarios.roles import ROW_POSITION, RoleRequest, resolve_roles
from loaderbench.scenarios.rows import canonical
from loaderbench.scenarios.target import fit_target

SCHEMA = pa.schema([("price", pa.float64()), ("n", pa.int32()), ("ok", pa.bool_()),
                    ("city", pa.string()), ("kind", pa.dictionary(pa.int32(), pa.string())),
                    ("at", pa.timestamp("s")), ("y", pa.string())])


def resolve(**given):
    return resolve_roles(SCHEMA, (), RoleRequest(**given), "t.parquet")


def test_roles_are_inferred_from_arrow_types():
    roles, notes = resolve(label="y")
    assert roles.numeric == ("price", "n")
    assert roles.categorical == ("ok", "city", "kind")
    assert roles.row_id == ROW_POSITION and not roles.has_id
    assert {n.column: n.role for n in notes}["at"] == "unused"
    assert all(n.how == "inferred" for n in notes if n.role in ("numeric", "categorical"))


def test_named_roles_win_over_inference():
    roles, notes = resolve(label="y", categorical=("n",), exclude=("city",))
    assert roles.numeric == ("price",)
    assert roles.categorical == ("n", "ok", "kind")
    assert {n.column: n.how for n in notes}["n"] == "given"


@pytest.mark.parametrize(("given", "message"), [
    ({}, "no column named 'label'.*--label COLUMN"),
    ({"label": "nope"}, "has no column 'nope'"),
    ({"label": "y", "numeric": ("city",)}, "'city' is string, not a number"),
    ({"label": "y", "id": "price"}, "id column 'price' is double"),
    ({"label": "y", "numeric": ("n",), "categorical": ("n",)}, "named for two roles"),
])
def test_bad_roles_say_what_to_do(given, message):
    with pytest.raises(UsageError, match=message):
        resolve(**given)


def test_the_generated_names_keep_working():
    schema = pa.schema([("row_id", pa.int64()), ("num_00", pa.float64()),
                        ("cat_00", pa.string()), ("fill_000", pa.float64()),
                        ("label", pa.int64())])
    roles, _ = resolve_roles(schema, ("date",), RoleRequest(), "x")
    assert (roles.row_id, roles.label) == ("row_id", "label")
    assert roles.features == ("num_00", "cat_00")


@pytest.mark.parametrize(("values", "task", "classes"), [
    ([3, 1000, 3, 10], "classification", (3, 10, 1000)),
    (["b", "a", None], "classification", ("a", "b")),
    ([True, False], "classification", (False, True)),
    ([1.5, 2.0], "regression", ()),
])
def test_label_codings(values, task, classes):
    coding = fit_target(pa.chunked_array([pa.array(values)]), "auto", "y")
    assert (coding.task, coding.classes) == (task, classes)
    codes = coding.encode(pa.array(values)).to_pylist()
    if task == "classification":
        assert codes == [None if v is None else classes.index(v) for v in values]
    else:
        assert codes == values


def test_task_can_be_forced_and_too_many_classes_are_refused():
    ints = pa.chunked_array([pa.array(list(range(20_000)))])
    assert fit_target(ints, "regression", "y").task == "regression"
    with pytest.raises(UsageError, match="too many classes.*--task regression"):
        fit_target(ints, "auto", "y")


@pytest.mark.parametrize(("column", "spelled"), [
    (pa.array([7, None, 7]), ["7", None, "7"]),
    (pa.array([True, False]), ["true", "false"]),
    (pa.array(["x", None]).dictionary_encode(), ["x", None]),
    (pa.array([1, 2]).dictionary_encode(), ["1", "2"]),
    (pa.array(["x"], type=pa.large_string()), ["x"]),
])
def test_categoricals_are_spelled_as_arrow_strings(column, spelled):
    out = canonical(column)
    value_type = out.type.value_type if pa.types.is_dictionary(out.type) else out.type
    assert value_type == pa.string()
    assert out.to_pylist() == spelled


def test_suite_data_table_and_dataset_role_keys(tmp_path):
    from loaderbench.scenarios.suite import load

    path = tmp_path / "s.toml"
    path.write_text('[dataset]\nlabel = "y"\n[data]\npath = "d/*.parquet"\n'
                    'numeric = "a, b"\ndrop_null_labels = true\n'
                    '[[scenario]]\nloader = "vectorized"\n')
    suite = load(str(path))
    assert suite.data == "d/*.parquet"
    assert suite.roles == RoleRequest(label="y", numeric=("a", "b"), drop_null_labels=True)
    assert suite.roles.override(label="z", numeric=None).label == "z"


def test_data_without_a_numeric_feature_is_one_clear_error():
    schema = pa.schema([("label", pa.int64()), ("colour", pa.string()), ("shape", pa.string())])
    with pytest.raises(UsageError, match="no numeric feature column.*--numeric"):
        resolve_roles(schema, (), RoleRequest(), "t.parquet")
