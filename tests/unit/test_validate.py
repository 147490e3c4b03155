"""Data files, suites and caches checked at the boundary: one UsageError naming the file, the
field and the value; a damaged cache is rebuilt with a note."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from loaderbench.errors import UsageError
from loaderbench.harness import prepare
from loaderbench.scenarios import suite as suites
from loaderbench.scenarios.dataset import DatasetSpec
from loaderbench.scenarios.source import open_data


def write(root, **changes):
    n = 50
    base = {"row_id": pa.array(np.arange(n)), "label": pa.array(np.zeros(n, dtype=np.int64)),
            "num_a": pa.array(np.ones(n)), "cat_a": pa.array(["x"] * n)}
    pq.write_table(pa.table({**base, **changes}), root / "part-0.parquet")
    return root


@pytest.mark.parametrize(("changes", "said"), [
    ({"num_a": pa.array(["a"] * 50)}, "column num_a is string, it must be a numeric"),
    ({"num_a": pa.array([1.0] * 49 + [np.inf])}, "column num_a holds inf at row 49"),
    ({"row_id": pa.array([10**12] * 50)}, "repeats 49 values"),
])
def test_bad_columns_are_named(tmp_path, changes, said):
    with pytest.raises(UsageError, match=said):
        open_data(write(tmp_path, **changes), validate_ids=True)


@pytest.mark.parametrize(("damage", "said"), [
    (lambda b: b[: len(b) // 2], "is not readable Parquet"),
    (lambda b: b"", "is not readable Parquet"),
    (lambda b: b"row_id,label\n", "is not readable Parquet"),
])
def test_a_damaged_file_is_named(tmp_path, damage, said):
    part = write(tmp_path) / "part-0.parquet"
    part.write_bytes(damage(part.read_bytes()))
    with pytest.raises(UsageError, match=f"data file {part} {said}"):
        open_data(tmp_path)


def test_types_must_agree_across_files_and_rows_must_exist(tmp_path):
    write(tmp_path, num_a=pa.array(np.ones(50, dtype=np.int64)))
    pq.write_table(pq.read_table(tmp_path / "part-0.parquet").slice(0, 0)
                   .cast(pa.schema([("row_id", pa.int64()), ("label", pa.int64()),
                                    ("num_a", pa.float64()), ("cat_a", pa.string())])),
                   tmp_path / "part-1.parquet")
    with pytest.raises(UsageError, match="column num_a is double but int64 in"):
        open_data(tmp_path)
    (tmp_path / "part-1.parquet").unlink()
    pq.write_table(pq.read_table(tmp_path / "part-0.parquet").slice(0, 0),
                   tmp_path / "part-0.parquet")
    with pytest.raises(UsageError, match="holds no rows"):
        open_data(tmp_path)


@pytest.mark.parametrize(("text", "said"), [
    ("suite = 3", "suite must be a table"),
    ('[scenario]\nloader = "a"', r"write each scenario as \[\[scenario\]\]"),
    ('[[scenario]]\nloader = "a"\noptions = 3', "options must be a table"),
    ('[[scenario]]\nloader = "a"\ntimeout_s = "abc"', "timeout_s must be a number of seconds"),
    ('[[scenario]]\nloader = "a"\ntimeout_s = 0', "timeout_s must be a number of seconds > 0"),
    ('[[scenario]]\nloader = "a"\nseed = -1', "seed must be a whole number from 0"),
    ('[[scenario]]\nloader = "a"\ncheck_values = "no"', "check_values must be true or false"),
    ('[[scenario]]\nloader = "a"\nnon_blocking = 1', "non_blocking must be true or false"),
    ('[[scenario]]\nloader = "a"\nsteps = true', "steps must be a whole number"),
    ('[[scenario]]\nloader = "a"\n[scenario.options]\nbatch_size = []', "empty grid axis"),
    ('[dataset]\nrows = "x"\n[[scenario]]\nloader = "a"', "dataset rows must be a whole number"),
])
def test_suite_fields_are_checked(tmp_path, text, said):
    path = tmp_path / "s.toml"
    path.write_text(text + "\n")
    with pytest.raises(UsageError, match=said):
        suites.load(str(path))


def test_a_suite_that_is_not_utf8_is_named(tmp_path):
    path = tmp_path / "s.toml"
    path.write_bytes(b'[suite]\nname = "\xff"\n')
    with pytest.raises(UsageError, match="is not UTF-8 text"):
        suites.load(str(path))


def test_a_damaged_preprocessing_cache_is_fitted_again(tiny_source, capsys):
    path = prepare.fitted(tiny_source)
    path.write_text("{garbage")
    assert prepare.fitted(tiny_source) == path
    assert "damaged or stale; fitting it again" in capsys.readouterr().err
    assert prepare.usable_fit(path, tiny_source)


def test_a_cached_dataset_missing_a_file_is_generated_again(tmp_path, capsys):
    spec = DatasetSpec(rows=80, dates=2, files_per_date=2, numeric=2, categorical=1, filler=0,
                       row_group_size=20)
    source, _ = prepare.generated(spec, tmp_path)
    source.files[-1].unlink()
    again, _ = prepare.generated(spec, tmp_path)
    assert (again.rows, len(again.files)) == (80, 4)
    assert "60 rows in 3 files instead of 80 in 4" in capsys.readouterr().err


def test_a_cache_or_root_that_is_a_file_is_refused(tmp_path, monkeypatch):
    blocker = tmp_path / "f"
    blocker.write_text("x")
    with pytest.raises(UsageError, match="is a file, not a folder"):
        prepare.generated(DatasetSpec(rows=8, dates=1, files_per_date=1), blocker)
    monkeypatch.setenv("LOADERBENCH_CACHE", str(blocker))
    with pytest.raises(UsageError, match="LOADERBENCH_CACHE=.* is a file"):
        prepare.generated(DatasetSpec(rows=8, dates=1, files_per_date=1))
