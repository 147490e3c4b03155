"""Data files checked at the boundary: every problem is one UsageError naming the file, the
column and the value, before any scenario runs (a worker process would only fail later).

Checked here: a file that is not readable Parquet (corrupt, truncated, another format, no
permission), a row_id that is not an integer, a numeric feature that is not a number, a column
whose type differs from one file to the next, a dataset with no rows, and infinite values.
What a valid label is belongs to the column roles (dataset.py), not here.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from loaderbench.errors import UsageError

FIX = "fix or remove the file"


def _unreadable(file: Path, err: Exception) -> UsageError:
    if isinstance(err, PermissionError):
        return UsageError(f"cannot read data file {file}: permission denied; make it readable "
                          "or remove it from the folder")
    detail = str(err).splitlines()[0] if str(err) else type(err).__name__
    return UsageError(f"data file {file} is not readable Parquet ({detail[:200]}); {FIX}")


def read_metadata(file: Path) -> Any:
    """The file's Parquet footer (schema and row counts)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        return pq.read_metadata(file)
    except (OSError, pa.ArrowException, ValueError) as err:
        raise _unreadable(file, err) from None


def read_schema(file: Path) -> Any:
    return read_metadata(file).schema.to_arrow_schema()


def read_columns(file: Path, columns: Sequence[str]) -> Any:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        return pq.read_table(file, columns=list(columns))
    except (OSError, pa.ArrowException, ValueError) as err:
        raise _unreadable(file, err) from None


def value_type(arrow_type: Any) -> Any:
    """A dictionary-encoded column counts as its values' type."""
    import pyarrow as pa

    return arrow_type.value_type if pa.types.is_dictionary(arrow_type) else arrow_type


def check_types(schema: Any, roles: Any, file: Path, first: Any, first_file: Path) -> None:
    """row_id an integer, numeric features numbers, every needed column typed as in the first
    file."""
    import pyarrow as pa

    kinds = {roles.row_id: (pa.types.is_integer, "an integer column")} if roles.has_id else {}
    kinds.update({c: (lambda t: pa.types.is_integer(t) or pa.types.is_floating(t),
                      "a numeric (integer or float) column") for c in roles.numeric})
    for column, (ok, expected) in kinds.items():
        found = value_type(schema.field(column).type)
        if not ok(found):
            raise UsageError(f"data file {file}: column {column} is {found}, it must be "
                             f"{expected}; convert it or rename it")
    for column in roles.scan:
        mine, theirs = value_type(schema.field(column).type), value_type(first.field(column).type)
        if mine != theirs:
            raise UsageError(f"data file {file}: column {column} is {mine} but {theirs} in "
                             f"{first_file}; give the column one type in every file")


def check_rows(rows: int, root: Path) -> None:
    if rows < 1:
        raise UsageError(f"data folder {root} holds no rows (every Parquet file is empty); "
                         "point --data at a folder with data")


def check_contents(files: Sequence[Path], roles: Any) -> None:
    """Read every needed column of every file once: corrupt pages and infinite values."""
    import numpy as np

    for file in files:
        table = read_columns(file, roles.numeric)
        for column in roles.numeric:
            values = table.column(column).to_numpy(zero_copy_only=False)
            if values.dtype.kind == "f" and np.isinf(values).any():
                row = int(np.flatnonzero(np.isinf(values))[0])
                raise UsageError(f"data file {file}: column {column} holds {values[row]} at "
                                 f"row {row}; replace infinite values (NaN is allowed)")
        read_columns(file, [c for c in roles.scan if c not in roles.numeric])


def check_folder(path: Path, what: str) -> Path:
    """`path` is a folder or can become one: not a file, not unwritable."""
    if path.exists() and not path.is_dir():
        raise UsageError(f"{what} {path} is a file, not a folder; point it at a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise UsageError(f"cannot create {what} {path} ({err.strerror or err}); point it at a "
                         "writable folder") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise UsageError(f"cannot write to {what} {path}; point it at a writable folder")
    return path
