"""`loaderbench inspect PATH [roles]`: what a run would read, before anything is timed.

Files, rows and row groups; each column's type, role and how it was decided (given, by
name, inferred); nulls and distinct values (categoricals, integers and the label) counted
on up to 1 M rows drawn by row groups from every file (all rows of smaller data); the
label's classes or range; how rows are identified; and which columns each loader reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from loaderbench.scenarios.preprocess import pick_groups
from loaderbench.scenarios.roles import RoleNote, RoleRequest
from loaderbench.scenarios.source import DataSource, open_with_notes
from loaderbench.scenarios.target import plain

SAMPLE_ROWS = 1_000_000
#: An inferred-numeric integer column with at most this many distinct values is flagged as
#: possibly a code (name it in --categorical if it is one).
FEW_VALUES = 20


@dataclass(frozen=True)
class ColumnCounts:
    nulls: int
    distinct: int | None


def raw_sample(source: DataSource, columns: Sequence[str], rows: int = SAMPLE_ROWS):
    """About `rows` rows of `columns` as stored (not normalised), by whole row groups from
    every file in turn."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    tables = [pq.ParquetFile(source.files[f]).read_row_groups(groups, columns=list(columns))
              for f, groups in pick_groups(source, rows, 0).items()]
    return pa.concat_tables(tables, promote_options="permissive") if tables else None


def counts(table, notes: Sequence[RoleNote], source: DataSource) -> dict[str, ColumnCounts]:
    import pyarrow as pa
    import pyarrow.compute as pc

    out = {}
    for note in notes:
        if note.column in source.roles.partition:
            values = {source.partition_values(i)[note.column] for i in range(len(source.files))}
            out[note.column] = ColumnCounts(0, len(values))
            continue
        if table is None or note.column not in table.column_names:
            continue
        column = table.column(note.column)
        wanted = note.role in ("categorical", "label") or pa.types.is_integer(column.type)
        distinct = pc.count_distinct(plain(column)).as_py() if wanted else None
        out[note.column] = ColumnCounts(column.null_count, distinct)
    return out


def report(path: Path | str, request: RoleRequest) -> list[str]:
    """The lines `loaderbench inspect` prints."""
    source, notes = open_with_notes(path, request, validate_ids=True, allow_null_labels=True)
    physical = [n.column for n in notes if n.column not in source.roles.partition
                and n.role != "unused"]
    table = raw_sample(source, physical)
    sampled = table is not None and table.num_rows < source.rows
    stats = counts(table, notes, source)
    groups = sum(len(g) for g in source.row_groups)
    lines = [f"data: {source.root}: {len(source.files):,} file(s), {source.rows:,} rows, "
             f"{groups:,} row groups"]
    if sampled:
        lines.append(f"nulls and distinct values below: in {table.num_rows:,} rows drawn by "
                     "row groups from every file")
    lines += column_table(notes, stats)
    lines += summary(source, request)
    return lines


def column_table(notes: Sequence[RoleNote], stats: dict[str, ColumnCounts]) -> list[str]:
    width = max([6, *(len(n.column) for n in notes)])
    twidth = max([4, *(min(len(n.type), 40) for n in notes)])
    head = f"  {'column':{width}}  {'type':{twidth}}  {'role':11}  {'how':26}  {'nulls':>9}  " \
           f"{'distinct':>9}"
    rows = [head]
    for n in notes:
        c = stats.get(n.column)
        if n.role == "numeric" and n.how == "inferred" and c and c.distinct is not None \
                and c.distinct <= FEW_VALUES:
            n = replace(n, how="inferred; a code?")
        nulls = f"{c.nulls:,}" if c else ""
        distinct = f"{c.distinct:,}" if c and c.distinct is not None else ""
        rows.append(f"  {n.column:{width}}  {n.type[:40]:{twidth}}  {n.role:11}  {n.how:26}  "
                    f"{nulls:>9}  {distinct:>9}")
    return rows


def summary(source: DataSource, request: RoleRequest) -> list[str]:
    roles, target = source.roles, source.target
    lines = [f"label: {roles.label!r}, {target.describe()}"]
    if target.nulls:
        fate = "dropped (--drop-null-labels)" if request.drop_null_labels else \
            "refused by run unless --drop-null-labels"
        lines.append(f"  {target.nulls:,} rows have a null label: {fate}")
    if roles.has_id:
        dense = "0..N-1" if source.dense_ids else "unique integers, not 0..N-1"
        lines.append(f"rows identified by: column {roles.row_id!r} ({dense})")
    else:
        lines.append("rows identified by: their position in the files (file, row offset); "
                     "name an id column with --id")
    lines.append(f"features: {len(roles.numeric)} numeric, {len(roles.categorical)} "
                 f"categorical; preprocessing fitted on {min(source.fit_rows, source.rows):,} "
                 "rows drawn from "
                 "every file (--fit-rows)")
    return lines + loader_reads(source)


def loader_reads(source: DataSource) -> list[str]:
    """Which columns the loaders read: the needed ones, or every column."""
    import pyarrow.parquet as pq

    from loaderbench import loaders
    from loaderbench.loaders.base import resolved

    every = []
    for name in loaders.names():
        cls = loaders.get(name)
        if cls.reads_every_column or resolved(cls.Options()).get("columns") == "all":
            every.append(name)
    total = len(pq.read_schema(source.files[0]).names)
    scan = list(source.roles.scan)
    shown = ", ".join(scan[:10]) + (", ..." if len(scan) > 10 else "")
    return [f"loaders read {len(scan)} of the {total} stored columns ({shown}); "
            f"by default {', '.join(every)} read all {total} (columns = \"needed\" to change)"]
