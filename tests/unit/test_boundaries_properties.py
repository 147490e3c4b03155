"""Property tests at the input boundaries: whatever a suite or a folder of Parquet files
holds, loaderbench answers with a result or one UsageError (exit 2), never a traceback, and
never touches a file at --out that is not its own."""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loaderbench.cli import main
from loaderbench.errors import UsageError
from loaderbench.scenarios import suite as suites
from loaderbench.scenarios.source import open_data

FAST = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])

KEYS = st.sampled_from(["suite", "defaults", "scenario", "dataset", "options", "loader", "name",
                        "description", "device", "step", "steps", "epochs", "warmup", "repeats",
                        "transfer", "non_blocking", "check_values", "timeout_s", "seed",
                        "batch_size", "rows", "classes", "nan_fraction", "other"])
SCALARS = st.one_of(st.integers(-2**63, 2**63 - 1), st.floats(allow_nan=True), st.booleans(),
                    st.text(max_size=8), st.sampled_from(["vectorized", "cpu", "mlp", "none"]))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(KEYS, inner, max_size=4)), max_leaves=12)
SCENARIO = st.dictionaries(KEYS, VALUES, max_size=5).map(lambda d: {"loader": "vectorized", **d})
SUITES = st.fixed_dictionaries({}, optional={
    "suite": st.one_of(VALUES, st.fixed_dictionaries({}, optional={
        "name": VALUES, "defaults": st.dictionaries(KEYS, VALUES, max_size=4)})),
    "dataset": st.one_of(VALUES, st.dictionaries(KEYS, VALUES, max_size=3)),
    "scenario": st.one_of(VALUES, st.lists(SCENARIO, max_size=3))})


@FAST
@given(SUITES)
def test_any_suite_structure_is_a_suite_or_a_usage_error(data):
    try:
        parsed = suites.parse(data, "random.toml")
    except UsageError as err:
        assert str(err) and "\n" not in str(err)
        return
    assert parsed.scenarios


GOOD_SUITE = b'[suite]\nname = "p"\n[[scenario]]\nloader = "vectorized"\nsteps = 2\n' \
             b'[scenario.options]\nbatch_size = [32, 64]\n'


@FAST
@given(st.integers(0, len(GOOD_SUITE)), st.binary(max_size=12), st.integers(0, 8))
def test_a_damaged_suite_never_crashes_and_never_touches_out(tmp_path, at, insert, cut):
    suite, out = tmp_path / "s.toml", tmp_path / "notes.txt"
    suite.write_bytes(GOOD_SUITE[:at] + insert + GOOD_SUITE[at + cut:])
    out.write_bytes(b"not a result")
    with contextlib.redirect_stderr(io.StringIO()) as err:
        code = main(["run", "--suite", str(suite), "--out", str(out), "--no-calibrate"])
    assert code == 2
    assert err.getvalue().startswith("loaderbench: error: ")
    assert err.getvalue().count("\n") == 1
    assert out.read_bytes() == b"not a result"


def column(kind: str, n: int, rng: np.random.Generator) -> pa.Array:
    values = rng.standard_normal(n)
    return {"float": lambda: pa.array(values),
            "inf": lambda: pa.array(np.where(values > 1, np.inf, values)),
            "int": lambda: pa.array(rng.integers(-5, 5, n)),
            "string": lambda: pa.array([f"s{v:.1f}" for v in values]),
            "bool": lambda: pa.array(values > 0),
            "null": lambda: pa.nulls(n, pa.float64()),
            "ids": lambda: pa.array(np.arange(n)),
            "shuffled-ids": lambda: pa.array(rng.permutation(n)),
            "float-ids": lambda: pa.array(np.arange(n, dtype=np.float64))}[kind]()


KINDS = st.sampled_from(["float", "inf", "int", "string", "bool", "null", "ids", "shuffled-ids",
                         "float-ids"])
FILE = st.fixed_dictionaries({
    "rows": st.integers(0, 40),
    "columns": st.dictionaries(st.sampled_from(["row_id", "label", "num_a", "num_b", "cat_a"]),
                               KINDS, min_size=1)})


@FAST
@given(st.lists(FILE, min_size=1, max_size=3), st.integers(0, 2**32 - 1))
def test_any_parquet_folder_opens_or_is_one_usage_error(tmp_path_factory, files, seed):
    root = tmp_path_factory.mktemp("data")
    rng = np.random.default_rng(seed)
    for i, spec in enumerate(files):
        table = pa.table({name: column(kind, spec["rows"], rng)
                          for name, kind in spec["columns"].items()})
        pq.write_table(table, root / f"part-{i}.parquet")
    try:
        source = open_data(root, validate_ids=True)
    except UsageError as err:
        assert str(err) and "\n" not in str(err)
        return
    assert source.rows > 0


OUT_CONTENT = st.one_of(st.binary(max_size=64), st.text(max_size=64).map(str.encode),
                        st.dictionaries(st.sampled_from(["schema_version", "created", "a"]),
                                        VALUES, max_size=2).map(
                            lambda d: repr(d).replace("'", '"').encode()))


@FAST
@given(OUT_CONTENT, st.sampled_from([[], ["--resume"], ["--force"]]))
def test_whatever_is_at_out_and_is_not_a_result_stays_byte_identical(tmp_path, content, flag):
    suite, out = tmp_path / "s.toml", tmp_path / "out.json"
    suite.write_bytes(GOOD_SUITE)
    out.write_bytes(content)
    with contextlib.redirect_stderr(io.StringIO()) as err:
        code = main(["run", "--suite", str(suite), "--out", str(out), "--no-calibrate", *flag])
    assert code == 2, err.getvalue()
    assert out.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json", "s.toml"]
