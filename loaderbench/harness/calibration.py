"""Calibration: what this machine can do at best, measured once per run in its own process.

host copy       GB/s of a large in-memory copy (bytes copied per second)
parquet scan    rows/s of PyArrow reading the run's feature columns, all threads, page cache
                warm: with strings materialised, and with categoricals kept as dictionaries
host -> device  GB/s pinned and pageable, at the run's batch size and at 64 MiB (CUDA, MPS),
                and the cost of pin_memory() on one batch

Tables show each loader's rows/s as % of the scan and its transfer GB/s as % of the pinned
ceiling, so "fast" has a yardstick.

    python -m loaderbench.harness.calibration DATA_ROOT BATCH_BYTES DEVICES OUT.json
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from loaderbench.results.store import dumps, write_atomic
from loaderbench.scenarios.dataset import DataSource, open_data

COPY_BYTES = 256 * 2**20
LARGE_TRANSFER = 64 * 2**20


def best_of(fn: Callable[[], None], repeats: int = 5) -> float:
    """The fastest of `repeats` timed calls (after one untimed warm call): a ceiling."""
    fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def host_copy_gbps() -> float:
    src = np.ones(COPY_BYTES, dtype=np.uint8)
    dst = np.empty_like(src)
    return COPY_BYTES / best_of(lambda: np.copyto(dst, src)) / 1e9


def scan_rows_per_s(source: DataSource, dictionary: bool) -> float:
    import pyarrow.dataset as ds

    fmt = ds.ParquetFileFormat(read_options={"dictionary_columns": list(
        source.roles.categorical)}) if dictionary else "parquet"
    data = ds.dataset(list(map(str, source.files)), format=fmt)
    columns = list(source.roles.needed)
    seconds = best_of(lambda: data.to_table(columns=columns, use_threads=True), repeats=3)
    return source.rows / seconds


def transfer_gbps(device: str, nbytes: int, pinned: bool) -> float:
    """Median host->device GB/s of `nbytes`, the device synchronised around each copy."""
    import torch

    from loaderbench.harness.devices import synchronizer

    sync = synchronizer(device)
    src = torch.empty(nbytes, dtype=torch.uint8)
    src = src.pin_memory() if pinned else src
    dst = torch.empty(nbytes, dtype=torch.uint8, device=device)
    times = []
    for _ in range(25):
        sync()
        t = time.perf_counter()
        dst.copy_(src, non_blocking=pinned)
        sync()
        times.append(time.perf_counter() - t)
    return nbytes / statistics.median(times[5:]) / 1e9


def pin_ms(nbytes: int) -> float:
    import torch

    src = torch.empty(nbytes, dtype=torch.uint8)
    return best_of(lambda: src.pin_memory()) * 1e3


def device_calibration(device: str, batch_bytes: int) -> dict:
    out = {"batch_bytes": batch_bytes, "large_bytes": LARGE_TRANSFER}
    for size_name, size in (("batch", batch_bytes), ("large", LARGE_TRANSFER)):
        out[f"h2d_pageable_gbps_{size_name}"] = transfer_gbps(device, size, pinned=False)
        if device == "cuda":
            out[f"h2d_pinned_gbps_{size_name}"] = transfer_gbps(device, size, pinned=True)
    if device == "cuda":
        out["pin_memory_ms_batch"] = pin_ms(batch_bytes)
    return out


def calibrate(source: DataSource, batch_bytes: int, device_names: list[str]) -> dict:
    from loaderbench.harness.devices import probe

    out: dict = {"host_copy_gbps": host_copy_gbps(),
                 "scan_rows_per_s": scan_rows_per_s(source, dictionary=False),
                 "scan_rows_per_s_dictionary": scan_rows_per_s(source, dictionary=True),
                 "devices": {}}
    for name in device_names:
        status = probe(name)
        if name == "cpu" or not status.available:
            continue
        out["devices"][name] = device_calibration(name, batch_bytes)
    return out


def main(argv: list[str] | None = None) -> int:
    root, batch_bytes, names, out = sys.argv[1:] if argv is None else argv
    result = calibrate(open_data(root), int(batch_bytes), json.loads(names))
    write_atomic(Path(out), dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
