"""Any Parquet data as a workload: `--data PATH` where PATH is a folder (flat or
Hive-partitioned), one file, or a glob; roles by name or inferred (roles.py); the label's
coding (target.py); and how rows are identified.

Row identity without rewriting: with an id column, any unique integers; without one, a row
is its position in the files' fixed order (file start + offset in the file), which every
loader computes from the file and offset it reads at, at the cost of one `arange` a chunk.
"""

from __future__ import annotations

import glob as globbing
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from loaderbench.errors import UsageError
from loaderbench.scenarios import validate
from loaderbench.scenarios.roles import ColumnRoles, RoleNote, RoleRequest, resolve_roles
from loaderbench.scenarios.target import TargetCoding, fit_target


@dataclass(frozen=True)
class DataSource:
    """Parquet files in a fixed order, their roles, the label's coding and row identity."""

    root: Path
    files: tuple[Path, ...]
    roles: ColumnRoles
    rows: int
    file_rows: tuple[int, ...]
    target: TargetCoding = field(default_factory=lambda: TargetCoding("classification"))
    row_groups: tuple[tuple[int, ...], ...] = ()
    drop_null_labels: bool = False
    dense_ids: bool = True
    fit_rows: int = 50_000
    #: True when the stored columns already are what a batch holds (an integer id, labels
    #: 0..K-1, string categoricals, no partition features, nothing dropped): readers that
    #: bypass scenarios.rows (the peers) are right only then.
    plain: bool = True

    def partition(self, file: Path) -> str | None:
        """The Hive partition value (``date=...``) of a file, if it has one."""
        part = file.parent.name
        return part.split("=", 1)[1] if "=" in part else None

    def partition_values(self, index: int) -> dict[str, str]:
        """The Hive key=value folders between the root and file `index`."""
        parts = self.files[index].relative_to(self.root).parts[:-1]
        return dict(p.split("=", 1) for p in parts if "=" in p)

    @cached_property
    def file_start(self) -> np.ndarray:
        """The position of each file's first row."""
        return np.concatenate([[0], np.cumsum(self.file_rows)]).astype(np.int64)

    @cached_property
    def file_index(self) -> dict[str, int]:
        return {str(f): i for i, f in enumerate(self.files)}

    def group_start(self, file: int, group: int) -> int:
        """The position of row group `group` of file `file`'s first row."""
        return int(self.file_start[file]) + sum(self.row_groups[file][:group])

    @property
    def kept_rows(self) -> int:
        """Rows an epoch yields: all, less null labels when those are dropped."""
        return self.rows - (self.target.nulls if self.drop_null_labels else 0)

    def describe(self) -> dict:
        return {"root": str(self.root), "files": len(self.files), "rows": self.rows,
                "numeric": len(self.roles.numeric), "categorical": len(self.roles.categorical),
                "label": self.roles.label, "task": self.target.task,
                "outputs": self.target.n_outputs,
                "row_id": self.roles.row_id if self.roles.has_id else "position in the files",
                "dropped_null_labels": self.target.nulls if self.drop_null_labels else 0}

    def to_dict(self) -> dict[str, Any]:
        return {"root": str(self.root), "files": [str(f) for f in self.files],
                "roles": self.roles.to_dict(), "rows": self.rows,
                "file_rows": list(self.file_rows), "target": self.target.to_dict(),
                "row_groups": [list(g) for g in self.row_groups],
                "drop_null_labels": self.drop_null_labels, "dense_ids": self.dense_ids,
                "fit_rows": self.fit_rows, "plain": self.plain}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> DataSource:
        return cls(Path(d["root"]), tuple(Path(f) for f in d["files"]),
                   ColumnRoles.from_dict(d["roles"]), d["rows"], tuple(d["file_rows"]),
                   TargetCoding.from_dict(d["target"]), tuple(tuple(g) for g in d["row_groups"]),
                   d["drop_null_labels"], d["dense_ids"], d["fit_rows"], d.get("plain", True))


def list_parquet(root: Path) -> tuple[Path, ...]:
    """Every Parquet file below root, in a fixed order, skipping hidden and _metadata files."""
    found = (p for p in root.rglob("*.parquet")
             if not any(part.startswith((".", "_")) for part in p.relative_to(root).parts))
    return tuple(sorted(found))


def find_files(path: Path | str) -> tuple[Path, tuple[Path, ...]]:
    """(root, files) for a folder, a single Parquet file or a glob pattern."""
    text = str(path)
    if any(ch in text for ch in "*?["):
        files = tuple(sorted(Path(p).absolute() for p in globbing.glob(text, recursive=True)
                             if Path(p).is_file()))
        if not files:
            raise UsageError(f"no file matches {text}; check the pattern (quote it so the "
                             "shell does not expand it)")
        root = Path(_common_folder(files))
        return root, files
    path = Path(path).absolute()
    if path.is_file():
        return path.parent, (path,)
    if not path.is_dir():
        raise UsageError(f"data path {path} does not exist; point --data at a folder of "
                         "Parquet files, a .parquet file or a glob")
    files = list_parquet(path)
    if not files:
        raise UsageError(f"data folder {path} holds no .parquet files")
    return path, files


def _common_folder(files: Sequence[Path]) -> str:
    import os

    common = os.path.commonpath([str(f.parent) for f in files])
    return common or "."


def open_data(path: Path | str, request: RoleRequest | None = None,
              validate_ids: bool = False) -> DataSource:
    """Open Parquet data for the workload (see open_with_notes); only the source."""
    return open_with_notes(path, request, validate_ids)[0]


def open_with_notes(path: Path | str, request: RoleRequest | None = None,
                    validate_ids: bool = False,
                    allow_null_labels: bool = False) -> tuple[DataSource, tuple[RoleNote, ...]]:
    """Open Parquet data: files, roles (given or inferred, with how each was decided), the
    label's coding from the whole label column; a clear UsageError when it cannot serve."""

    request = request or RoleRequest()
    root, files = find_files(path)
    first = validate.read_schema(files[0])
    partitions = _partition_keys(root, files)
    roles, notes = resolve_roles(first, partitions, request, str(files[0]))
    metas = [_metadata(f, roles) for f in files]
    file_rows = tuple(m.num_rows for m in metas)
    for file, meta in zip(files, metas, strict=True):
        validate.check_types(meta.schema.to_arrow_schema(), roles, file, first, files[0])
    validate.check_rows(sum(file_rows), root)
    if validate_ids:
        validate.check_contents(files, roles)
    groups = tuple(tuple(m.row_group(g).num_rows for g in range(m.num_row_groups))
                   for m in metas)
    target = fit_target(read_column(files, roles.label), request.task, roles.label)
    if target.nulls and not (request.drop_null_labels or allow_null_labels):
        raise UsageError(f"label {roles.label!r} is null in {target.nulls:,} rows; drop those "
                         "rows with --drop-null-labels (drop_null_labels = true in [data])")
    source = DataSource(root, files, roles, sum(file_rows), file_rows, target, groups,
                        request.drop_null_labels, True, request.fit_rows,
                        _plain(first, roles, target, request.drop_null_labels))
    if roles.has_id and validate_ids:
        source = _with_id_check(source)
    return source, notes


def _plain(schema, roles: ColumnRoles, target: TargetCoding, drop: bool) -> bool:
    import pyarrow as pa

    def stored_string(name: str) -> bool:
        t = schema.field(name).type
        return pa.types.is_string(t) or (pa.types.is_dictionary(t)
                                         and pa.types.is_string(t.value_type))

    return (roles.has_id and target.identity and not drop and not roles.partition
            and all(stored_string(c) for c in roles.categorical))


def plain_only(source: DataSource, loader: str) -> None:
    """For loaders that read the files themselves: a clear error on data that needs the
    normalisation (scenarios/rows.py) they skip."""
    if not source.plain:
        raise UsageError(f"{loader} reads the stored columns itself, so it needs an integer id "
                         "column, labels 0..K-1 and string categoricals; this data needs the "
                         "normalisation the core loaders apply (run them instead)")


def _partition_keys(root: Path, files: Sequence[Path]) -> tuple[str, ...]:
    keys: dict[str, None] = {}
    for p in files[0].relative_to(root).parts[:-1]:
        if "=" in p:
            keys[p.split("=", 1)[0]] = None
    return tuple(keys)


def _metadata(file: Path, roles: ColumnRoles):

    meta = validate.read_metadata(file)
    names = meta.schema.to_arrow_schema().names
    missing = [c for c in roles.scan if c not in names]
    if missing:
        raise UsageError(f"{file} lacks column(s) {', '.join(missing[:5])}; every file needs "
                         "the label, the id (if any) and the same feature columns")
    return meta


def read_column(files: Sequence[Path], name: str):
    import pyarrow as pa
    import pyarrow.parquet as pq

    return pa.chunked_array([c for f in files
                             for c in pq.read_table(f, columns=[name]).column(0).chunks])


def _with_id_check(source: DataSource) -> DataSource:
    """The id column must hold unique integers; note whether they are exactly 0..N-1."""
    ids = read_ids(source)
    unique = np.unique(ids)
    if len(unique) != len(ids):
        raise UsageError(f"{source.root}: id column {source.roles.row_id!r} repeats "
                         f"{len(ids) - len(unique):,} values; ids must be unique (to identify "
                         "rows by their position instead: leave --id out, or --exclude row_id)")
    dense = len(ids) == 0 or (unique[0] == 0 and unique[-1] == len(ids) - 1)
    return replace(source, dense_ids=bool(dense))


def read_ids(source: DataSource) -> np.ndarray:
    """Every row's id in file order (the id column, or the positions)."""
    if not source.roles.has_id:
        return np.arange(source.rows, dtype=np.int64)
    column = read_column(source.files, source.roles.row_id)
    if column.null_count:
        raise UsageError(f"id column {source.roles.row_id!r} has {column.null_count:,} nulls; "
                         "ids must be unique integers (leave --id out to use positions)")
    return np.asarray(column.to_numpy(), dtype=np.int64)
