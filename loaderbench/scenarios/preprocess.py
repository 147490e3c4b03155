"""Preprocessing, fitted once on a sample and shared by every loader (seed 000, Day 7).

numeric:     impute with the column mean, then StandardScaler, to float32
categorical: LabelEncoder-style codes (sorted classes -> 0..K-1); null and unseen values
             share one explicit code, K. Values are compared in Arrow's string spelling
             (rows.py), whatever the column's type.

The sample is drawn by whole row groups from every file (round-robin over the files in a
seeded order), then cut to its size at random; its size is settable (`fit_rows`). Each
categorical column's unknown rate (unseen values, nulls) is then measured on up to 1 M rows
drawn the same way, and kept with the fit.

The fitted state is plain JSON (no pickle), so every scenario process loads the same fit.
Two categorical paths give identical codes: ``apply`` calls the encoder once per cell
(the seeds' original) and ``map`` looks every cell up in one dict inside pandas (the fix).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Literal

import numpy as np

from loaderbench.scenarios.source import DataSource

NULL_TOKEN = "__loaderbench_null__"
MAX_FILES_SAMPLED = 4096
UNKNOWN_CHECK_ROWS = 1_000_000
Encode = Literal["map", "apply"]


@dataclass(frozen=True)
class FittedState:
    """What a fit learns; JSON-able."""

    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    impute: tuple[float, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    vocab: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    sample_rows: int = 0
    #: Per categorical column: shares of rows given the unknown code (see unknown_rates).
    unknown: Mapping[str, Mapping[str, float]] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"numeric": list(self.numeric), "categorical": list(self.categorical),
                "impute": list(self.impute), "mean": list(self.mean), "scale": list(self.scale),
                "vocab": {k: list(v) for k, v in self.vocab.items()},
                "sample_rows": self.sample_rows, "unknown": dict(self.unknown)}

    @classmethod
    def from_dict(cls, d: dict) -> FittedState:
        return cls(tuple(d["numeric"]), tuple(d["categorical"]), tuple(d["impute"]),
                   tuple(d["mean"]), tuple(d["scale"]),
                   {k: tuple(v) for k, v in d["vocab"].items()}, d.get("sample_rows", 0),
                   d.get("unknown", {}))


class Preprocessor:
    """The fitted transform, with the seeds' sklearn objects and the fast lookups."""

    def __init__(self, state: FittedState) -> None:
        self.state = state

    # -- fitting and persistence -------------------------------------------------------------
    @classmethod
    def fit(cls, source: DataSource, sample_rows: int = 50_000, seed: int = 0,
            measure_unknown: bool = True) -> Preprocessor:
        """Fit on a seeded random sample of up to `sample_rows` rows drawn from every file;
        with `measure_unknown`, record each categorical column's unknown rate."""
        frame = read_sample(source, sample_rows, seed)
        state = fit_state(frame, source.roles.numeric, source.roles.categorical)
        if measure_unknown:
            state = replace(state, unknown=unknown_rates(source, state))
        return cls(state)

    def save(self, path: Path) -> None:
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(self.state.to_dict(), sort_keys=True))
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> Preprocessor:
        return cls(FittedState.from_dict(json.loads(Path(path).read_text())))

    # -- shapes and codes --------------------------------------------------------------------
    @property
    def n_features(self) -> int:
        return len(self.state.numeric) + len(self.state.categorical)

    def unknown_code(self, column: str) -> int:
        return len(self.state.vocab[column])

    @cached_property
    def class_to_idx(self) -> dict[str, dict[str, int]]:
        return {c: {v: i for i, v in enumerate(vs)} for c, vs in self.state.vocab.items()}

    # -- the seeds' sklearn objects, rebuilt from the JSON state -------------------------------
    @cached_property
    def imputer(self):
        from sklearn.impute import SimpleImputer

        # Fitting on one row whose values are the learned means reproduces them exactly.
        row = np.asarray([self.state.impute], dtype=np.float64)
        imputer = SimpleImputer(strategy="mean", keep_empty_features=True).fit(row)
        return imputer

    @cached_property
    def scaler(self):
        from sklearn.preprocessing import StandardScaler

        scaler = StandardScaler().fit(np.zeros((1, len(self.state.numeric))))
        scaler.mean_ = np.asarray(self.state.mean, dtype=np.float64)
        scaler.scale_ = np.asarray(self.state.scale, dtype=np.float64)
        scaler.var_ = scaler.scale_**2
        scaler.n_samples_seen_ = self.state.sample_rows
        return scaler

    @cached_property
    def encoders(self):
        from sklearn.preprocessing import LabelEncoder

        out = {}
        for column, classes in self.state.vocab.items():
            encoder = LabelEncoder()
            encoder.classes_ = np.asarray(classes, dtype=object)
            out[column] = encoder
        return out

    def warm(self) -> Preprocessor:
        """Build the sklearn objects and lookups now (importing sklearn), so worker processes
        forked afterwards inherit them instead of each paying for the import."""
        for name in ("imputer", "scaler", "encoders", "class_to_idx"):
            getattr(self, name)
        return self

    # -- transforms ----------------------------------------------------------------------------
    def numeric(self, frame) -> np.ndarray:
        """Impute + scale through sklearn (vectorized when `frame` has many rows)."""
        raw = frame[list(self.state.numeric)].to_numpy(dtype=np.float64, na_value=np.nan)
        return self.scaler.transform(self.imputer.transform(raw)).astype(np.float32)

    def encode(self, frame, how: Encode = "map") -> np.ndarray:
        """Categorical codes as int64 [n, n_categorical]."""
        out = np.empty((len(frame), len(self.state.categorical)), dtype=np.int64)
        one = self._encode_apply if how == "apply" else self._encode_map
        for j, column in enumerate(self.state.categorical):
            out[:, j] = one(frame[column], column)
        return out

    def _encode_map(self, series, column: str) -> np.ndarray:
        """The seeds' fix: one dict lookup per cell inside pandas."""
        series = series.astype(object).fillna(NULL_TOKEN).astype(str)
        codes = series.map(self.class_to_idx[column])
        return codes.fillna(self.unknown_code(column)).to_numpy(dtype=np.int64)

    def _encode_apply(self, series, column: str) -> np.ndarray:
        """The seeds' original: a Python lambda and an sklearn call per cell."""
        encoder = self.encoders[column]
        unknown = self.unknown_code(column)
        series = series.astype(object).fillna(NULL_TOKEN).astype(str)
        codes = series.apply(
            lambda x: encoder.transform([x])[0] if x in encoder.classes_ else unknown)
        return codes.to_numpy(dtype=np.int64)

    def features(self, frame, how: Encode = "map") -> np.ndarray:
        """float32 [n, F]: scaled numeric columns, then categorical codes."""
        parts = [self.numeric(frame)]
        if self.state.categorical:
            parts.append(self.encode(frame, how).astype(np.float32))
        return np.concatenate(parts, axis=1)


def group_order(source: DataSource, seed: int) -> list[tuple[int, int]]:
    """Every (file, row group) in a seeded round-robin over the files: one row group of each
    file (files in a seeded order), then a second of each, and so on."""
    rng = np.random.default_rng(seed)
    queues = [rng.permutation(len(groups)).tolist() for groups in source.row_groups]
    files = rng.permutation(len(source.files)).tolist()
    order = []
    for turn in range(max((len(q) for q in queues), default=0)):
        order += [(f, queues[f][turn]) for f in files if turn < len(queues[f])]
    return order


def pick_groups(source: DataSource, rows: int, seed: int) -> dict[int, list[int]]:
    """{file: its row groups, sorted}: whole row groups in `group_order` until they hold
    `rows` rows, and at least one group of every file (up to MAX_FILES_SAMPLED files)."""
    picked: dict[int, list[int]] = {}
    have = 0
    for file, group in group_order(source, seed):
        first_round = file not in picked and len(picked) < MAX_FILES_SAMPLED
        if have >= rows and not first_round:
            continue
        picked.setdefault(file, []).append(group)
        have += source.row_groups[file][group]
    return {f: sorted(gs) for f, gs in sorted(picked.items())}


def read_groups(source: DataSource, rows: int, seed: int, columns: list[str]):
    """The row groups of `pick_groups`: a normalised Table of `columns`."""
    import pyarrow as pa

    from loaderbench.scenarios.rows import read_file

    picked = pick_groups(source, rows, seed)
    tables = [read_file(source, f, row_groups=gs).select(columns) for f, gs in picked.items()]
    return pa.concat_tables(tables)


def read_sample(source: DataSource, rows: int, seed: int):
    """A seeded random sample of `rows` rows of the feature columns, drawn from row groups of
    every file (see read_groups), as pandas."""
    table = read_groups(source, rows, seed, list(source.roles.features))
    if table.num_rows > rows:
        pick = np.sort(np.random.default_rng(seed).choice(table.num_rows, rows, replace=False))
        table = table.take(pick)
    return table.to_pandas()


def unknown_rates(source: DataSource, state: FittedState, rows: int = UNKNOWN_CHECK_ROWS,
                  seed: int = 1) -> dict[str, dict[str, float]]:
    """Per categorical column, the share of rows that get the unknown code with this fit,
    measured on up to `rows` rows drawn from every file (all rows when the data is smaller):
    `unseen` values missing from the fitted vocabulary, and `null` values."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not state.categorical:
        return {}
    table = read_groups(source, rows, seed, list(state.categorical))
    out = {}
    for column in state.categorical:
        values = table.column(column)
        found = pc.index_in(values, value_set=pa.array(state.vocab[column], type=pa.string()))
        unseen = pc.sum(pc.and_(pc.is_null(found), pc.is_valid(values))).as_py() or 0
        n = max(1, table.num_rows)
        out[column] = {"unseen": unseen / n, "null": values.null_count / n,
                       "rows": table.num_rows}
    return out


def fit_state(frame, numeric: tuple[str, ...], categorical: tuple[str, ...]) -> FittedState:
    """Fit the seeds' sklearn objects on `frame` and keep what they learned."""
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import LabelEncoder, StandardScaler

    raw = frame[list(numeric)].to_numpy(dtype=np.float64, na_value=np.nan)
    imputer = SimpleImputer(strategy="mean", keep_empty_features=True).fit(raw)
    scaler = StandardScaler().fit(imputer.transform(raw))
    vocab = {}
    for column in categorical:
        seen = frame[column].dropna().astype(str)
        vocab[column] = tuple(LabelEncoder().fit(seen.to_numpy()).classes_.tolist())
    return FittedState(numeric, categorical, tuple(imputer.statistics_.tolist()),
                       tuple(scaler.mean_.tolist()), tuple(scaler.scale_.tolist()), vocab,
                       len(frame))


def describe_fit(state: FittedState, shown: int = 3) -> str:
    """One line: the fit's size and the categoricals most often given the unknown code."""
    rates = sorted(((v["unseen"] + v["null"], k, v["unseen"]) for k, v in state.unknown.items()),
                   reverse=True)[:shown]
    worst = ", ".join(f"{k} {total:.1%} ({unseen:.1%} unseen)" for total, k, unseen in rates
                      if total > 0)
    return (f"preprocessing fitted on {state.sample_rows:,} rows drawn from every file"
            + (f"; unknown code most often in: {worst}" if worst else ""))
