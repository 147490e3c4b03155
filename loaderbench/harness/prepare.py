"""Before any scenario runs: the dataset on disk and the preprocessing fitted once.

The fit is cached next to the datasets, keyed by the files it was fitted on (paths, sizes
and modification times), so every scenario process and every later run loads the same fit.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from loaderbench.errors import UsageError
from loaderbench.harness.progress import Progress, note, silent
from loaderbench.scenarios.dataset import DatasetSpec, cache_root, ensure_dataset
from loaderbench.scenarios.preprocess import Preprocessor
from loaderbench.scenarios.roles import RoleNote, RoleRequest
from loaderbench.scenarios.source import DataSource, open_with_notes
from loaderbench.scenarios.validate import check_folder

FIT_VERSION = 2  # 2: sample by row groups from every file, Arrow spelling, unknown rates


@dataclass(frozen=True)
class Prepared:
    source: DataSource
    preprocessor_path: Path
    generated: DatasetSpec | None = None
    notes: tuple[RoleNote, ...] = ()

    @property
    def n_classes(self) -> int:
        """Width of the model's output: classes, or 1 for a regression target."""
        return self.source.target.n_outputs

    def describe(self) -> dict:
        out = self.source.describe()
        state = Preprocessor.load(self.preprocessor_path).state
        out.update({"n_classes": self.n_classes, "preprocessor": str(self.preprocessor_path),
                    "fit_rows": state.sample_rows, "unknown_rate": dict(state.unknown),
                    "fingerprint": self.preprocessor_path.stem})
        if self.generated is not None:
            out.update({"spec": self.generated.__dict__.copy(), "key": self.generated.key()})
        return out


def fingerprint(source: DataSource) -> str:
    parts = [(str(f.resolve()), f.stat().st_size, f.stat().st_mtime_ns) for f in source.files]
    blob = json.dumps({"files": parts, "sample": source.fit_rows, "v": FIT_VERSION,
                       "roles": source.roles.to_dict(), "drop": source.drop_null_labels},
                      sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def fitted(source: DataSource, progress: Progress = silent) -> Path:
    """The cached fit for `source`, fitting it first if needed."""
    path = cache_root() / "preprocessors" / f"{fingerprint(source)}.json"
    if path.exists() and not usable_fit(path, source):
        note(f"the cached preprocessing {path} is damaged or stale; fitting it again")
    elif path.exists():
        return path
    progress(f"fitting the preprocessing on {source.fit_rows:,} rows", 0, 0)
    check_folder(path.parent, "the preprocessing cache")
    try:
        Preprocessor.fit(source, source.fit_rows).save(path)
    except OSError as err:
        raise UsageError(f"cannot write the preprocessing cache {path} ({err.strerror}); "
                         "point LOADERBENCH_CACHE at a writable folder") from None
    return path


def usable_fit(path: Path, source: DataSource) -> bool:
    """Whether the cached fit loads and covers the source's feature columns."""
    try:
        state = Preprocessor.load(path).state
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False
    sizes = {len(state.numeric), len(state.impute), len(state.mean), len(state.scale)}
    return (state.numeric, state.categorical) == (source.roles.numeric,
                                                  source.roles.categorical) \
        and len(sizes) == 1 and set(state.vocab) == set(state.categorical)


def generated(spec: DatasetSpec, root: Path | None = None,
              on_file: Callable[[int, int], None] | None = None,
              roles: RoleRequest | None = None) -> tuple[DataSource, tuple[RoleNote, ...]]:
    """The generated dataset of `spec`; a cached copy that is damaged or lacks files (a file
    deleted, one truncated) is generated again, with a note."""
    path = ensure_dataset(spec, root, on_file)
    try:
        source, notes = open_with_notes(path, roles)
        problem = "" if (source.rows, len(source.files)) == (spec.rows, spec.files) else \
            f"{source.rows:,} rows in {len(source.files)} files instead of {spec.rows:,} in " \
            f"{spec.files}"
    except UsageError as err:
        problem = str(err)
    if not problem:
        return source, notes
    note(f"the cached dataset {path} is incomplete ({problem}); generating it again")
    shutil.rmtree(path)
    return open_with_notes(ensure_dataset(spec, root, on_file), roles)


def prepare(spec: DatasetSpec, data: Path | str | None = None,
            progress: Progress = silent, roles: RoleRequest | None = None) -> Prepared:
    """Open `data` (a folder, file or glob), or generate (or reuse) the dataset of `spec`;
    fit the preprocessing."""
    if data is not None:
        progress(f"checking {data}", 0, 0)
        source, notes = open_with_notes(data, roles, validate_ids=True)
        generated_spec = None
    else:
        def on_file(done: int, total: int) -> None:
            progress(f"generating the dataset ({spec.rows:,} rows)", done, total)

        progress("looking for the dataset", 0, 0)
        source, notes = generated(spec, on_file=on_file, roles=roles)
        generated_spec = spec
    return Prepared(source, fitted(source, progress), generated_spec, notes)
