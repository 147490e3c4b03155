"""Shared fixtures: a tiny generated dataset (real Parquet files on disk) and its fit, and
the helpers that drive a loader by name (`make_loader`, `epochs_of`, `row_order`).

LOADERBENCH_CACHE points at a per-session folder, so tests never touch the user's cache and
scenario worker processes (which inherit the environment) find the same files.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from loaderbench import loaders
from loaderbench.loaders.base import Batch, Loader, LoaderContext, build_options
from loaderbench.scenarios.dataset import DatasetSpec, ensure_dataset
from loaderbench.scenarios.preprocess import Preprocessor
from loaderbench.scenarios.source import open_data

TINY = DatasetSpec(rows=3000, dates=2, files_per_date=2, numeric=4, categorical=3, filler=5,
                   row_group_size=400, classes=4, seed=7)
# For the per-row loaders (~2 ms a row): the same shape, a fifth of the rows.
SMALL = DatasetSpec(rows=600, dates=2, files_per_date=2, numeric=4, categorical=3, filler=5,
                    row_group_size=100, classes=4, seed=7)


@pytest.fixture(scope="session", autouse=True)
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cache")
    old = os.environ.get("LOADERBENCH_CACHE")
    os.environ["LOADERBENCH_CACHE"] = str(path)
    yield path
    if old is None:
        os.environ.pop("LOADERBENCH_CACHE", None)
    else:
        os.environ["LOADERBENCH_CACHE"] = old


@pytest.fixture(scope="session")
def tiny_root(cache_dir: Path) -> Path:
    return ensure_dataset(TINY)


@pytest.fixture(scope="session")
def tiny_source(tiny_root: Path):
    return open_data(tiny_root, validate_ids=True)


@pytest.fixture(scope="session")
def tiny_pre(tiny_source) -> Preprocessor:
    return Preprocessor.fit(tiny_source, sample_rows=1000)


@pytest.fixture(scope="session")
def tiny_context(tiny_source, tiny_pre) -> LoaderContext:
    return LoaderContext(tiny_source, tiny_pre, "cpu", seed=0)


@pytest.fixture(scope="session")
def small_context(cache_dir: Path) -> LoaderContext:
    source = open_data(ensure_dataset(SMALL), validate_ids=True)
    return LoaderContext(source, Preprocessor.fit(source, sample_rows=600), "cpu", seed=0)


def make_loader(name: str, table: dict, context: LoaderContext, setup: bool = True) -> Loader:
    """The registered loader `name` with the options of `table`, set up unless told not to."""
    cls = loaders.get(name)
    loader = cls(context, build_options(cls.Options, table, name))
    if setup:
        loader.setup()
    return loader


def epochs_of(name: str, table: dict, context: LoaderContext, epochs: int = 1
              ) -> list[list[Batch]]:
    """Every batch of each epoch (only for loaders whose batches are not reused buffers)."""
    loader = make_loader(name, table, context)
    try:
        return [list(loader.epoch(e)) for e in range(epochs)]
    finally:
        loader.close()


def row_order(batches: list[Batch]) -> np.ndarray:
    """The row ids of `batches`, in the order they came."""
    return np.concatenate([b.row_id.numpy() for b in batches])


def run_suite(folder: Path, suite: str, data: Path, *extra: str, timeout: float = 900
              ) -> tuple[subprocess.CompletedProcess, Path]:
    """`loaderbench run` of the TOML text `suite` on `data`, in a fresh process, without
    calibration; (the finished process, the result file's path)."""
    path, out = folder / "suite.toml", folder / "run.json"
    path.write_text(suite)
    proc = subprocess.run([sys.executable, "-m", "loaderbench", "run", "--suite", str(path),
                           "--data", str(data), "--out", str(out), "--no-calibrate", "--quiet",
                           *extra], capture_output=True, text=True, timeout=timeout,
                          env=dict(os.environ))
    return proc, out


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `gpu` need CUDA: where it is absent they are skipped, saying why."""
    gpu_items = [item for item in items if "gpu" in item.keywords]
    if not gpu_items:
        return
    from loaderbench.harness.devices import probe

    status = probe("cuda")
    if status.available:
        return
    skip = pytest.mark.skip(reason=f"needs a CUDA device: {status.reason}")
    for item in gpu_items:
        item.add_marker(skip)
