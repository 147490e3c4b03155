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
from loaderbench.scenarios.dataset import (
    DatasetSpec,
    DataSource,
    cache_root,
    ensure_dataset,
    open_data,
)
from loaderbench.scenarios.preprocess import Preprocessor

FIT_SAMPLE_ROWS = 50_000


@dataclass(frozen=True)
class Prepared:
    source: DataSource
    preprocessor_path: Path
    n_classes: int
    generated: DatasetSpec | None = None

    def describe(self) -> dict:
        out = self.source.describe()
        out.update({"n_classes": self.n_classes, "preprocessor": str(self.preprocessor_path)})
        if self.generated is not None:
            out.update({"spec": self.generated.__dict__.copy(), "key": self.generated.key()})
        return out


def fingerprint(source: DataSource) -> str:
    parts = [(str(f.resolve()), f.stat().st_size, f.stat().st_mtime_ns) for f in source.files]
    blob = json.dumps({"files": parts, "sample": FIT_SAMPLE_ROWS})
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def fitted(source: DataSource, progress: Progress = silent) -> Path:
    """The cached fit for `source`, fitting it first if needed."""
    path = cache_root() / "preprocessors" / f"{fingerprint(source)}.json"
    if not path.exists():
        progress(f"fitting the preprocessing on {FIT_SAMPLE_ROWS:,} rows", 0, 0)
        path.parent.mkdir(parents=True, exist_ok=True)
        Preprocessor.fit(source, FIT_SAMPLE_ROWS).save(path)
    return path


def count_classes(source: DataSource) -> int:
    import pyarrow.compute as pc
    import pyarrow.dataset as ds

    labels = ds.dataset(list(map(str, source.files)), format="parquet").to_table(
        columns=[source.roles.label]).column(0)
    return int(pc.max(labels).as_py()) + 1


def prepare(spec: DatasetSpec, data_dir: Path | None = None,
            progress: Progress = silent) -> Prepared:
    """Open `data_dir`, or generate (or reuse) the dataset of `spec`; fit the preprocessing."""
    if data_dir is not None:
        progress(f"checking {data_dir}", 0, 0)
        source = open_data(data_dir, validate_ids=True)
        generated = None
    else:
        def on_file(done: int, total: int) -> None:
            progress(f"generating the dataset ({spec.rows:,} rows)", done, total)

        progress("looking for the dataset", 0, 0)
        source = open_data(ensure_dataset(spec, on_file=on_file))
        generated = spec
    path = fitted(source, progress)
    progress("counting classes", 0, 0)
    return Prepared(source, path, count_classes(source), generated)
