"""Calibration: what this machine can do at best, measured once per run in its own process.

host copy       GB/s of a large in-memory copy (bytes copied per second)
parquet scan    rows/s of PyArrow reading the run's feature columns, all threads, page cache
                warm: with strings materialised, and with categoricals kept as dictionaries
host -> device  GB/s pinned (CUDA) and pageable (CUDA, MPS), at each batch size of the run
                and at 64 MiB, timed like the harness times a step's transfer (synchronised
                host clock), and the cost of pin_memory() on one batch

Tables show each loader's rows/s as % of the scan and its transfer GB/s as % of the pinned
ceiling, so "fast" has a yardstick.

    python -m loaderbench.harness.calibration REQUEST.json REPLY.json

REQUEST is {"source": DataSource.to_dict(), "batch_bytes": [...], "devices": [...]} (see
harness.protocol).
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable

import numpy as np

from loaderbench.harness.protocol import child_main
from loaderbench.scenarios.dataset import batch_row_bytes
from loaderbench.scenarios.source import DataSource

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
    columns = list(source.roles.scan)
    seconds = best_of(lambda: data.to_table(columns=columns, use_threads=True), repeats=3)
    return source.rows / seconds


def transfer_gbps(device: str, tensors: tuple, pinned: bool) -> float:
    """Median host->device GB/s of moving `tensors` with .to(device) as the harness does, the
    device synchronised around each move."""
    from loaderbench.harness.devices import synchronizer

    sync = synchronizer(device)
    src = tuple(t.pin_memory() for t in tensors) if pinned else tensors
    nbytes = sum(t.element_size() * t.nelement() for t in src)
    times = []
    for _ in range(25):
        sync()
        t = time.perf_counter()
        moved = [x.to(device, non_blocking=pinned) for x in src]
        sync()
        times.append(time.perf_counter() - t)
        del moved
    return nbytes / statistics.median(times[5:]) / 1e9


def batch_tensors(nbytes: int, n_features: int) -> tuple:
    """A batch of the run's shape (features float32 [B, F], target and row_id int64 [B])."""
    import torch

    rows = max(1, nbytes // batch_row_bytes(n_features))
    return (torch.ones(rows, n_features), torch.ones(rows, dtype=torch.int64),
            torch.arange(rows))


def pin_ms(nbytes: int) -> float:
    import torch

    src = torch.empty(nbytes, dtype=torch.uint8)
    return best_of(lambda: src.pin_memory()) * 1e3


def device_calibration(device: str, batch_bytes: list[int], n_features: int) -> dict:
    """Host-to-device GB/s of a batch at each of the run's batch sizes (three tensors, as a
    loader's batch is moved) and of one 64 MiB tensor: pageable, and on CUDA pinned too (the
    ceiling a loader's transfer is compared with)."""
    import torch

    typical = batch_bytes[0]
    out: dict = {"batch_bytes": typical, "large_bytes": LARGE_TRANSFER}
    large = (torch.ones(LARGE_TRANSFER, dtype=torch.uint8),)
    for kind, pinned in (("pageable", False), ("pinned", True)):
        if pinned and device != "cuda":
            continue
        by_size = {str(b): transfer_gbps(device, batch_tensors(b, n_features), pinned)
                   for b in sorted(set(batch_bytes))}
        out[f"h2d_{kind}_gbps_by_bytes"] = by_size
        out[f"h2d_{kind}_gbps_batch"] = by_size[str(typical)]
        out[f"h2d_{kind}_gbps_large"] = transfer_gbps(device, large, pinned)
    if device == "cuda":
        out["pin_memory_ms_batch"] = pin_ms(typical)
    return out


def calibrate(source: DataSource, batch_bytes: list[int], device_names: list[str]) -> dict:
    from loaderbench.harness.devices import probe

    out: dict = {"host_copy_gbps": host_copy_gbps(),
                 "scan_rows_per_s": scan_rows_per_s(source, dictionary=False),
                 "scan_rows_per_s_dictionary": scan_rows_per_s(source, dictionary=True),
                 "devices": {}}
    for name in device_names:
        status = probe(name)
        if name == "cpu" or not status.available:
            continue
        out["devices"][name] = device_calibration(name, batch_bytes,
                                                  len(source.roles.features))
    return out


def answer(request: dict) -> dict:
    sizes = [int(b) for b in request["batch_bytes"]]
    return calibrate(DataSource.from_dict(request["source"]), sizes, list(request["devices"]))


def main(argv: list[str] | None = None) -> int:
    return child_main(argv, answer)


if __name__ == "__main__":
    sys.exit(main())
