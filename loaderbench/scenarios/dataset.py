"""The generated workload: a seeded synthetic copy of the seeds' intent dataset (any other
Parquet data is opened by source.py).

Layout on disk (Hive-partitioned by date, several files per date)::

    ROOT/date=2024-06-01/part-0.parquet
    ROOT/date=2024-06-01/part-1.parquet
    ...
    ROOT/_loaderbench.json        spec and row count, written last (the cache's "done" marker)

Column roles, by name: ``row_id`` (int64, each of 0..N-1 once), ``label`` (int), numeric
features ``num_*`` (float, some NaN), categorical features ``cat_*`` (string, some null,
long-tail vocabulary) and unused ``fill_*`` columns that make the table ~250 columns wide.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from loaderbench.errors import UsageError
from loaderbench.scenarios import validate
from loaderbench.scenarios.roles import CATEGORICAL_PREFIX, LABEL, NUMERIC_PREFIX, ROW_ID

GENERATOR_VERSION = 1
MARKER = "_loaderbench.json"
FILLER_PREFIX = "fill_"
FIRST_DATE = dt.date(2024, 6, 1)


@dataclass(frozen=True)
class DatasetSpec:
    """Everything that determines the generated files; its hash names the cache folder."""

    rows: int = 200_000
    dates: int = 8
    files_per_date: int = 4
    numeric: int = 24
    categorical: int = 16
    filler: int = 210
    row_group_size: int = 16_384
    nan_fraction: float = 0.02
    null_fraction: float = 0.02
    classes: int = 8
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("rows", "dates", "files_per_date", "numeric", "row_group_size", "classes"):
            if getattr(self, name) < 1:
                raise UsageError(f"dataset {name} must be at least 1, got {getattr(self, name)}")
        for name in ("categorical", "filler"):
            if getattr(self, name) < 0:
                raise UsageError(f"dataset {name} must be 0 or more, got {getattr(self, name)}")
        for name in ("nan_fraction", "null_fraction"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise UsageError(f"dataset {name} must be in [0, 1), got {getattr(self, name)}")
        if self.rows < self.files:
            raise UsageError(f"dataset rows ({self.rows}) must be at least dates x files_per_date "
                             f"({self.files}); lower dates or files_per_date")

    @property
    def files(self) -> int:
        return self.dates * self.files_per_date

    def key(self) -> str:
        """A short stable hash of the spec and the generator's version."""
        blob = json.dumps({"v": GENERATOR_VERSION, **dataclasses.asdict(self)}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    @classmethod
    def from_dict(cls, table: dict) -> DatasetSpec:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(table) - known)
        if unknown:
            raise UsageError(f"unknown dataset option(s) {', '.join(unknown)}; "
                             f"known: {', '.join(sorted(known))}")
        for f in dataclasses.fields(cls):
            value = table.get(f.name, f.default)
            kinds = (int,) if isinstance(f.default, int) else (int, float)
            if isinstance(value, bool) or not isinstance(value, kinds):
                raise UsageError(f"dataset {f.name} must be a "
                                 f"{'whole number' if kinds == (int,) else 'number'}, got "
                                 f"{value!r}; fix [dataset] in the suite")
        return cls(**table)


def batch_row_bytes(n_features: int) -> int:
    """Bytes one row takes in a Batch: float32 features, int64 target, int64 row_id."""
    return 4 * n_features + 8 + 8


def cache_root() -> Path:
    """Where generated datasets live: $LOADERBENCH_CACHE, else the XDG cache folder."""
    env = os.environ.get("LOADERBENCH_CACHE")
    if env:
        if Path(env).exists() and not Path(env).is_dir():
            raise UsageError(f"LOADERBENCH_CACHE={env} is a file, not a folder; point it at a "
                             "folder or unset it")
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "loaderbench"


def ensure_dataset(spec: DatasetSpec, root: Path | None = None,
                   on_file: Callable[[int, int], None] | None = None) -> Path:
    """Generate the dataset for `spec` unless the cache already holds it; return its folder.
    `on_file(done, total)` is told after each file written."""
    target = (root or cache_root() / "datasets") / spec.key()
    if (target / MARKER).exists():
        return target
    validate.check_folder(target.parent, "data --root" if root else "the dataset cache")
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        write_dataset(spec, tmp, on_file)
        os.replace(tmp, target)
    except OSError:
        if not (target / MARKER).exists():
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def write_dataset(spec: DatasetSpec, root: Path,
                  on_file: Callable[[int, int], None] | None = None) -> None:
    """Write every file of the spec under `root`, then the marker."""
    import pyarrow.parquet as pq

    counts = _split(spec.rows, spec.files)
    start = 0
    for index, n in enumerate(counts):
        date = FIRST_DATE + dt.timedelta(days=index // spec.files_per_date)
        path = root / f"date={date.isoformat()}" / f"part-{index % spec.files_per_date}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        table = generate_table(spec, index, start, n)
        pq.write_table(table, path, row_group_size=spec.row_group_size)
        start += n
        if on_file is not None:
            on_file(index + 1, len(counts))
    marker = {"spec": dataclasses.asdict(spec), "rows": spec.rows, "key": spec.key(),
              "generator_version": GENERATOR_VERSION}
    (root / MARKER).write_text(json.dumps(marker, sort_keys=True, indent=1))


def _split(total: int, parts: int) -> list[int]:
    base, extra = divmod(total, parts)
    return [base + (i < extra) for i in range(parts)]


def generate_table(spec: DatasetSpec, file_index: int, start: int, n: int):
    """One file's rows: deterministic in (spec.seed, file_index) alone."""
    import pyarrow as pa

    rng = np.random.default_rng([spec.seed, file_index])
    numeric = _numeric_block(rng, spec, n)
    columns: dict[str, pa.Array] = {ROW_ID: pa.array(np.arange(start, start + n, dtype=np.int64))}
    for j in range(spec.numeric):
        columns[f"{NUMERIC_PREFIX}{j:02d}"] = pa.array(numeric[:, j], from_pandas=True)
    for j in range(spec.categorical):
        columns[f"{CATEGORICAL_PREFIX}{j:02d}"] = _categorical(rng, spec, j, n)
    for j in range(spec.filler):
        columns[f"{FILLER_PREFIX}{j:03d}"] = _filler(rng, j, n)
    columns[LABEL] = pa.array(_labels(rng, numeric, spec.classes))
    return pa.table(columns)


def _numeric_block(rng: np.random.Generator, spec: DatasetSpec, n: int) -> np.ndarray:
    """Normal columns with different centres and spreads, so scaling matters; some NaN."""
    j = np.arange(spec.numeric)
    values = rng.standard_normal((n, spec.numeric)) * (1.0 + j % 5) + (j * 3.0 - 10.0)
    values[rng.random((n, spec.numeric)) < spec.nan_fraction] = np.nan
    return values


def vocabulary_size(column: int) -> int:
    """Long-tail vocabularies from 6 to ~50,000 values, different per column."""
    return int(6 * 2.0 ** (column % 14))


def _categorical(rng: np.random.Generator, spec: DatasetSpec, column: int, n: int):
    """Zipf-like draws over the column's vocabulary, as strings, with some nulls."""
    import pyarrow as pa

    size = vocabulary_size(column)
    weights = 1.0 / np.arange(1, size + 1) ** 1.1
    codes = rng.choice(size, size=n, p=weights / weights.sum()).astype(np.int32)
    words = pa.array([f"c{column:02d}_{k}" for k in range(size)])
    mask = rng.random(n) < spec.null_fraction
    indices = pa.array(codes, mask=mask)
    return pa.DictionaryArray.from_arrays(indices, words).cast(pa.string())


def _filler(rng: np.random.Generator, column: int, n: int):
    """Unused columns of the usual kinds: mostly floats, some ints, a few short strings."""
    import pyarrow as pa

    kind = column % 10
    if kind < 7:
        return pa.array(rng.standard_normal(n))
    if kind < 9:
        return pa.array(rng.integers(0, 1_000_000, n))
    words = pa.array([f"f{column}_{k}" for k in range(64)])
    return pa.DictionaryArray.from_arrays(pa.array(rng.integers(0, 64, n).astype(np.int32)),
                                          words).cast(pa.string())


def _labels(rng: np.random.Generator, numeric: np.ndarray, classes: int) -> np.ndarray:
    """A learnable target: quantile bins of a noisy linear score of the numeric columns."""
    filled = np.nan_to_num(numeric[:, : min(6, numeric.shape[1])])
    centred = (filled - filled.mean(axis=0)) / (filled.std(axis=0) + 1e-9)
    score = centred.sum(axis=1) + rng.standard_normal(len(numeric))
    edges = np.linspace(-2.0, 2.0, classes + 1)[1:-1] * np.sqrt(centred.shape[1] + 1.0) / 2
    return np.digitize(score, edges).astype(np.int64)
