"""Column roles: which column is the label, which the row id, which the numeric and the
categorical features. Given by name (`--label`, `--id`, `--numeric`, `--categorical`,
`--exclude`, or a suite's `[data]` table); every column not named is inferred from its Arrow
type:

    float, decimal                        numeric
    integer                               numeric: a count or a measurement is the common
                                          case; name a code column in --categorical (inspect
                                          shows each integer column's distinct values)
    bool                                  categorical: two values and null, coded exactly
    string, large string, dictionary      categorical
    dates, times, binary, lists, ...      not used (printed as such)
    Hive partition keys (key=value/)      categorical (the value is read from the path)

Defaults by name: a column `label` is the label, an integer column `row_id` the id, and
when no feature is named and the table has `num_*`/`cat_*` columns, those alone are the
features (the generated dataset's convention; its `fill_*` columns stay unused).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, Literal

from loaderbench.errors import UsageError

NUMERIC_PREFIX = "num_"
CATEGORICAL_PREFIX = "cat_"
ROW_ID = "row_id"
LABEL = "label"
#: The name the row id has in a batch read without an id column: (file, row offset) as one
#: integer, the row's position in the files' fixed order.
ROW_POSITION = "__loaderbench_row__"
Task = Literal["auto", "classification", "regression"]
DEFAULT_FIT_ROWS = 50_000


@dataclass(frozen=True)
class RoleRequest:
    """What the user named; everything else is inferred."""

    label: str | None = None
    id: str | None = None
    numeric: tuple[str, ...] = ()
    categorical: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    task: Task = "auto"
    drop_null_labels: bool = False
    fit_rows: int = DEFAULT_FIT_ROWS

    def __post_init__(self) -> None:
        if self.task not in ("auto", "classification", "regression"):
            raise UsageError(f"task must be auto, classification or regression, got {self.task!r}")
        if self.fit_rows < 1:
            raise UsageError(f"fit_rows must be at least 1, got {self.fit_rows}")

    @classmethod
    def from_dict(cls, table: Mapping[str, Any], where: str = "[data]") -> RoleRequest:
        """From a suite's [data] table (lists or comma-separated strings for the roles)."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(table) - known - {"path"})
        if unknown:
            raise UsageError(f"{where} has no option {', '.join(unknown)}; "
                             f"known: path, {', '.join(sorted(known))}")
        values = {k: _names(v) if k in ("numeric", "categorical", "exclude") else v
                  for k, v in table.items() if k != "path"}
        return cls(**values)

    def override(self, **given: Any) -> RoleRequest:
        """This request with the values given on the command line (None: not given)."""
        kept = {k: v for k, v in given.items() if v is not None and v != ()}
        return RoleRequest(**{**self.__dict__, **kept})


def _names(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(p.strip() for p in value.split(",") if p.strip())
    return tuple(str(v) for v in value)


@dataclass(frozen=True)
class ColumnRoles:
    """Resolved roles. `row_id` is the id column, or ROW_POSITION when rows are identified by
    their position in the files; `partition` lists the Hive keys among the categoricals."""

    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    row_id: str = ROW_ID
    label: str = LABEL
    partition: tuple[str, ...] = ()

    @property
    def features(self) -> tuple[str, ...]:
        """Feature columns in Batch order: numeric first, then categorical codes."""
        return self.numeric + self.categorical

    @property
    def needed(self) -> tuple[str, ...]:
        """The columns of a batch once read (row id first, then label, then features)."""
        return (self.row_id, self.label, *self.features)

    @property
    def has_id(self) -> bool:
        return self.row_id != ROW_POSITION

    @property
    def scan(self) -> tuple[str, ...]:
        """The columns to read from the files: no position column, no partition keys."""
        return tuple(c for c in self.needed if c != ROW_POSITION and c not in self.partition)

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ColumnRoles:
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in d.items()})


@dataclass(frozen=True)
class RoleNote:
    """One column's role and how it was decided, for printing."""

    column: str
    type: str
    role: str  # label, id, numeric, categorical, unused
    how: str  # given, by name, inferred, excluded, ...


def type_role(arrow_type) -> str:
    """The role a column of this Arrow type gets when none is given."""
    import pyarrow as pa

    t = arrow_type
    if pa.types.is_dictionary(t) or pa.types.is_string(t) or pa.types.is_large_string(t):
        return "categorical"
    if pa.types.is_boolean(t):
        return "categorical"
    if pa.types.is_floating(t) or pa.types.is_decimal(t) or pa.types.is_integer(t):
        return "numeric"
    return "unused"


def resolve_roles(schema, partitions: Sequence[str], request: RoleRequest,
                  where: str) -> tuple[ColumnRoles, tuple[RoleNote, ...]]:
    """The roles of every column of `schema` (plus Hive `partitions`), and how each was set."""
    import pyarrow as pa

    types = {f.name: f.type for f in schema} | {p: pa.string() for p in partitions}
    _check_named(types, request, where)
    label = _label(types, request, where)
    id_col = _id(types, request, where)
    notes = [RoleNote(label, str(types[label]), "label",
                      "given" if request.label else "by name")]
    if id_col is not None:
        how = "given" if request.id else "by name"
        notes.append(RoleNote(id_col, str(types[id_col]), "id", how))
    taken = {label, id_col, *request.exclude}
    convention = not (request.numeric or request.categorical) and any(
        n.startswith((NUMERIC_PREFIX, CATEGORICAL_PREFIX)) for n in types)
    roles: dict[str, list[str]] = {"numeric": [], "categorical": []}
    for name, arrow_type in types.items():
        if name in taken:
            if name in request.exclude:
                notes.append(RoleNote(name, str(arrow_type), "unused", "excluded"))
            continue
        role, how = _feature_role(name, arrow_type, request, convention)
        notes.append(RoleNote(name, str(arrow_type), role, how))
        if role in roles:
            roles[role].append(name)
    if not roles["numeric"] and not roles["categorical"]:
        raise UsageError(f"{where} has no feature column besides the label; name some with "
                         "--numeric A,B or --categorical C,D")
    if not roles["numeric"]:
        raise UsageError(f"{where} has no numeric feature column (the preprocessing imputes and "
                         "scales at least one); name a number column with --numeric A, or add "
                         "one to the data")
    parts = tuple(p for p in partitions if p in roles["categorical"])
    return ColumnRoles(tuple(roles["numeric"]), tuple(roles["categorical"]),
                       id_col or ROW_POSITION, label, parts), tuple(notes)


def _feature_role(name: str, arrow_type, request: RoleRequest,
                  convention: bool) -> tuple[str, str]:
    if name in request.numeric:
        if type_role(arrow_type) != "numeric" and not _is_bool(arrow_type):
            raise UsageError(f"column {name!r} is {arrow_type}, not a number: it cannot be "
                             f"numeric; name it in --categorical instead")
        return "numeric", "given"
    if name in request.categorical:
        return "categorical", "given"
    if convention:
        if name.startswith(NUMERIC_PREFIX):
            return "numeric", "by name"
        if name.startswith(CATEGORICAL_PREFIX):
            return "categorical", "by name"
        return "unused", "not num_*/cat_*"
    role = type_role(arrow_type)
    return role, "inferred" if role != "unused" else "inferred (type not supported)"


def _is_bool(arrow_type) -> bool:
    import pyarrow as pa

    return pa.types.is_boolean(arrow_type)


def _check_named(types: Mapping[str, Any], request: RoleRequest, where: str) -> None:
    named = [request.label, request.id, *request.numeric, *request.categorical, *request.exclude]
    missing = [n for n in named if n is not None and n not in types]
    if missing:
        shown = ", ".join(list(types)[:12]) + (", ..." if len(types) > 12 else "")
        raise UsageError(f"{where} has no column {', '.join(map(repr, missing))}; "
                         f"its columns: {shown}")
    both = set(request.numeric) & set(request.categorical)
    special = {request.label, request.id} & (set(request.numeric) | set(request.categorical))
    if both or special - {None}:
        clash = ", ".join(sorted(both | (special - {None})))
        raise UsageError(f"column(s) {clash} named for two roles; give each column one role")


def _label(types: Mapping[str, Any], request: RoleRequest, where: str) -> str:
    label = request.label or (LABEL if LABEL in types else None)
    if label is None:
        raise UsageError(f"{where} has no column named 'label'; name the target with "
                         "--label COLUMN (or label = \"COLUMN\" in the suite's [data] table)")
    if type_role(types[label]) == "unused":
        raise UsageError(f"label column {label!r} is {types[label]}: a label must be a number, "
                         "a bool or a string")
    return label


def _id(types: Mapping[str, Any], request: RoleRequest, where: str) -> str | None:
    import pyarrow as pa

    if request.id is None:
        fits = ROW_ID in types and pa.types.is_integer(types[ROW_ID])
        return ROW_ID if fits and ROW_ID not in request.exclude and request.label != ROW_ID \
            else None
    if not pa.types.is_integer(types[request.id]):
        raise UsageError(f"id column {request.id!r} is {types[request.id]}: an id must hold "
                         "unique integers; leave --id out to identify rows by position")
    return request.id


def render_notes(notes: Sequence[RoleNote], source, detailed: bool = True) -> list[str]:
    """What a run reads, in a few lines: the label and its task, the row identity, and the
    features with how their roles were decided (every column when `detailed`)."""
    roles, target = source.roles, source.target
    ident = f"column {roles.row_id!r}" if roles.has_id else "position in the files"
    lines = [f"data: {len(source.files):,} file(s), {source.kept_rows:,} rows; label "
             f"{roles.label!r} ({target.describe()}); rows identified by {ident}"]
    features = [n for n in notes if n.role in ("numeric", "categorical")]
    if not detailed:
        hows = sorted({n.how for n in features})
        return [*lines, f"features: {len(roles.numeric)} numeric, {len(roles.categorical)} "
                        f"categorical ({', '.join(hows)})"]
    for role in ("numeric", "categorical", "unused"):
        picked = [n for n in notes if n.role == role]
        if picked:
            shown = ", ".join(f"{n.column} ({n.type}; {n.how})" for n in picked[:20])
            more = f", and {len(picked) - 20} more" if len(picked) > 20 else ""
            lines.append(f"{role}: {shown}{more}")
    return lines
