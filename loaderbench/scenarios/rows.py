"""Rows as every loader reads them: one normalisation applied wherever Parquet is read.

A batch read from the files (a pyarrow RecordBatch or Table) becomes, in this column order:

    row id      the id column as int64, or the rows' positions (file start + offset)
    label       the target: int64 class codes or float32 values (target.py)
    features    numeric columns as read (bools and decimals as float64); categorical columns
                as strings or dictionaries of strings, in Arrow's own spelling of the value
                (an integer 7 is "7", a bool is "true"), so the fit, the pandas paths and the
                Arrow paths agree on every code; Hive partition keys from the file's path
    the rest    any other columns read (a loader reading every column keeps them)

Rows with a null label are filtered out here when the source drops them. For the default
dataset (int labels 0..K-1, string categoricals, a row_id column) this costs a cast or two
per chunk and copies nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np

from loaderbench.scenarios.source import DataSource


def canonical(column):
    """A categorical column as strings (or a dictionary of strings)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    t = column.type
    if pa.types.is_string(t):
        return column
    if pa.types.is_dictionary(t):
        if pa.types.is_string(t.value_type):
            return column
        return pc.cast(column, pa.dictionary(t.index_type, pa.string()))
    if pa.types.is_integer(t) or pa.types.is_boolean(t):
        return pc.cast(pc.dictionary_encode(column), pa.dictionary(pa.int32(), pa.string()))
    return pc.cast(column, pa.string())


def numeric(column):
    import pyarrow as pa
    import pyarrow.compute as pc

    t = column.type
    if pa.types.is_floating(t) or pa.types.is_integer(t):
        return column
    return pc.cast(column, pa.float64())


def normalize(source: DataSource, batch, file: int, offset: int):
    """`batch` (rows `offset`.. of file `file`) with the row id, target and features first."""
    import pyarrow as pa
    import pyarrow.compute as pc

    roles, n = source.roles, batch.num_rows
    if roles.has_id:
        ids = pc.cast(batch.column(roles.row_id), pa.int64())
    else:
        start = int(source.file_start[file]) + offset
        ids = pa.array(np.arange(start, start + n, dtype=np.int64))
    label = source.target.encode(batch.column(roles.label))
    arrays, names = [ids, label], [roles.row_id, roles.label]
    parts = source.partition_values(file) if roles.partition else {}
    for name in roles.features:
        if name in parts:
            arrays.append(_constant(parts[name], n))
        elif name in roles.categorical:
            arrays.append(canonical(batch.column(name)))
        else:
            arrays.append(numeric(batch.column(name)))
        names.append(name)
    taken = set(names)
    for name in batch.schema.names:
        if name not in taken:
            arrays.append(batch.column(name))
            names.append(name)
    kind = pa.Table if isinstance(batch, pa.Table) else pa.RecordBatch
    out = kind.from_arrays(arrays, names=names)
    if source.drop_null_labels and label.null_count:
        out = out.filter(pc.is_valid(label))
    return out


def _constant(value: str, n: int):
    import pyarrow as pa

    return pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, dtype=np.int32)),
                                          pa.array([value], type=pa.string()))


def column_numpy(column, dtype, copy: bool = False) -> np.ndarray:
    """An Arrow column as a numpy array of `dtype`: copied only where it must be (the result
    may then be read-only), or always with `copy`."""
    values = column.to_numpy(zero_copy_only=False)
    return np.array(values, dtype=dtype) if copy else np.asarray(values, dtype=dtype)


def read_columns(source: DataSource, everything: bool = False) -> list[str] | None:
    """The columns to read: the scan columns, or every one (None)."""
    return None if everything else list(source.roles.scan)


def read_file(source: DataSource, file: int, everything: bool = False,
              row_groups: Sequence[int] | None = None):
    """One file (or some of its row groups, in the given order), normalised: a Table."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns = read_columns(source, everything)
    with pq.ParquetFile(source.files[file]) as handle:
        if row_groups is None:
            return normalize(source, handle.read(columns=columns), file, 0)
        tables = [normalize(source, handle.read_row_group(g, columns=columns), file,
                            source.group_start(file, g) - int(source.file_start[file]))
                  for g in row_groups]
    return pa.concat_tables(tables)


def read_all(source: DataSource, everything: bool = False):
    """Every file, normalised, in file order: a Table."""
    import pyarrow as pa

    return pa.concat_tables([read_file(source, i, everything) for i in range(len(source.files))],
                            promote_options="permissive")


def file_batches(source: DataSource, files: Iterable[Path], rows: int,
                 everything: bool = False) -> Iterator:
    """Normalised record batches of about `rows` rows, file after file."""
    import pyarrow.parquet as pq

    columns = read_columns(source, everything)
    for path in files:
        index = source.file_index[str(path)]
        offset = 0
        with pq.ParquetFile(path) as handle:
            for batch in handle.iter_batches(batch_size=rows, columns=columns):
                yield normalize(source, batch, index, offset)
                offset += batch.num_rows


def scan_fragments(source: DataSource, fragments: Sequence, fmt, batch_size: int,
                   use_threads: bool) -> Iterator:
    """Normalised record batches of Parquet fragments (whole files or row groups) in order,
    PyArrow reading ahead on its threads; each batch's position comes from its fragment."""
    import pyarrow.dataset as ds
    import pyarrow.fs as pafs

    if not fragments:
        return
    data = ds.FileSystemDataset(list(fragments), fragments[0].physical_schema, fmt,
                                pafs.LocalFileSystem())
    scanner = data.scanner(columns=list(source.roles.scan), batch_size=batch_size,
                           use_threads=use_threads)
    key, file, offset = None, 0, 0
    for tagged in scanner.scan_batches():
        fragment, batch = tagged.fragment, tagged.record_batch
        groups = fragment.row_groups
        here = (fragment.path, groups[0].id if groups else 0)
        if here != key:
            key, file = here, source.file_index[fragment.path]
            offset = source.group_start(file, here[1]) - int(source.file_start[file])
        if batch.num_rows:
            yield normalize(source, batch, file, offset)
        offset += batch.num_rows


def plain_strings(table):
    """`table` with dictionary columns decoded (for readers that take no Arrow dictionaries)."""
    import pyarrow as pa

    columns = [c.cast(c.type.value_type) if pa.types.is_dictionary(c.type) else c
               for c in table.columns]
    return pa.Table.from_arrays(columns, names=table.column_names)
