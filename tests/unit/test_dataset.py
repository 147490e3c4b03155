from __future__ import annotations

import numpy as np
import pyarrow.parquet as pq
import pytest

from loaderbench.errors import UsageError
from loaderbench.scenarios.dataset import (
    MARKER,
    DatasetSpec,
    ensure_dataset,
    generate_table,
)
from loaderbench.scenarios.source import open_data
from tests.conftest import TINY


def test_layout_is_hive_partitioned_by_date(tiny_source):
    dates = {f.parent.name for f in tiny_source.files}
    assert dates == {"date=2024-06-01", "date=2024-06-02"}
    assert len(tiny_source.files) == TINY.files
    assert tiny_source.partition(tiny_source.files[0]) == "2024-06-01"


def test_columns_have_the_seeds_roles(tiny_source):
    schema = pq.read_schema(tiny_source.files[0])
    assert len(tiny_source.roles.numeric) == TINY.numeric
    assert len(tiny_source.roles.categorical) == TINY.categorical
    assert len(schema.names) == 2 + TINY.numeric + TINY.categorical + TINY.filler
    assert str(schema.field("row_id").type) == "int64"
    assert str(schema.field("cat_00").type) == "string"


def test_row_ids_are_0_to_n_minus_1_and_nans_and_nulls_exist(tiny_source):
    table = pq.ParquetDataset([str(f) for f in tiny_source.files]).read(
        columns=["row_id", "num_00", "cat_01"])
    ids = np.sort(table.column("row_id").to_numpy())
    assert np.array_equal(ids, np.arange(TINY.rows))
    assert table.column("num_00").null_count + np.isnan(
        table.column("num_00").to_numpy(zero_copy_only=False)).sum() > 0
    assert table.column("cat_01").null_count > 0


def test_generation_is_deterministic():
    a = generate_table(TINY, 1, 750, 750)
    b = generate_table(TINY, 1, 750, 750)
    assert a.equals(b)
    assert not a.equals(generate_table(DatasetSpec(**{**TINY.__dict__, "seed": 8}), 1, 750, 750))


def test_second_ensure_reuses_the_cache(tiny_root):
    before = (tiny_root / MARKER).stat().st_mtime_ns
    assert ensure_dataset(TINY) == tiny_root
    assert (tiny_root / MARKER).stat().st_mtime_ns == before


def test_spec_key_changes_with_any_field():
    assert TINY.key() != DatasetSpec(**{**TINY.__dict__, "rows": 3001}).key()


def test_missing_folder_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="does not exist"):
        open_data(tmp_path / "nope")


def test_folder_without_parquet_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="no .parquet files"):
        open_data(tmp_path)


def test_missing_label_says_how_to_name_it(tmp_path, tiny_source):
    table = pq.read_table(tiny_source.files[0]).drop_columns(["label"])
    pq.write_table(table, tmp_path / "x.parquet")
    with pytest.raises(UsageError, match="no column named 'label'.*--label COLUMN"):
        open_data(tmp_path)


def test_a_file_lacking_a_column_is_named(tmp_path, tiny_source):
    table = pq.read_table(tiny_source.files[0])
    pq.write_table(table, tmp_path / "a.parquet")
    pq.write_table(table.drop_columns(["num_01"]), tmp_path / "b.parquet")
    with pytest.raises(UsageError, match="b.parquet lacks column.*num_01"):
        open_data(tmp_path)


def test_bad_row_ids_are_refused(tmp_path, tiny_source):
    table = pq.read_table(tiny_source.files[0])
    pq.write_table(table, tmp_path / "a.parquet")
    pq.write_table(table, tmp_path / "b.parquet")
    with pytest.raises(UsageError, match="id column 'row_id' repeats 750 values"):
        open_data(tmp_path, validate_ids=True)


def test_bad_spec_is_a_usage_error():
    with pytest.raises(UsageError, match="rows"):
        DatasetSpec(rows=0)
    with pytest.raises(UsageError, match="unknown dataset option"):
        DatasetSpec.from_dict({"rowz": 5})
