"""Before any scenario runs: the dataset on disk and the preprocessing fitted once.

The fit is cached next to the datasets, keyed by the files it was fitted on (paths, sizes
and modification times), so every scenario process and every later run loads the same fit.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from loaderbench.harness.progress import Progress, silent
from loaderbench.scenarios.dataset import DatasetSpec, cache_root, ensure_dataset
from loaderbench.scenarios.preprocess import Preprocessor
from loaderbench.scenarios.roles import RoleNote, RoleRequest
from loaderbench.scenarios.source import DataSource, open_with_notes

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
                    "fit_rows": state.sample_rows, "unknown_rate": dict(state.unknown)})
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
    if not path.exists():
        progress(f"fitting the preprocessing on {source.fit_rows:,} rows", 0, 0)
        path.parent.mkdir(parents=True, exist_ok=True)
        Preprocessor.fit(source, source.fit_rows).save(path)
    return path


def prepare(spec: DatasetSpec, data: Path | str | None = None,
            progress: Progress = silent, roles: RoleRequest | None = None) -> Prepared:
    """Open `data` (a folder, file or glob), or generate (or reuse) the dataset of `spec`;
    fit the preprocessing."""
    if data is not None:
        progress(f"checking {data}", 0, 0)
        source, notes = open_with_notes(data, roles, validate_ids=True)
        generated = None
    else:
        def on_file(done: int, total: int) -> None:
            progress(f"generating the dataset ({spec.rows:,} rows)", done, total)

        progress("looking for the dataset", 0, 0)
        source, notes = open_with_notes(ensure_dataset(spec, on_file=on_file), roles)
        generated = spec
    return Prepared(source, fitted(source, progress), generated, notes)
