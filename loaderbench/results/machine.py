"""The shape of a run's machine records, checked when a file is loaded.

`RunResult.env` (the fingerprint) and `RunResult.calibration` stay plain JSON objects, open
to new keys; these records declare the keys loaderbench reads from them, so a damaged value
there is one line naming it (exit 2), as in a scenario, instead of a crash inside a table.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class DeviceCalibration:
    """Host-to-device copies on one device, pinned and pageable."""

    batch_bytes: int | None = None  # the run's most common batch
    large_bytes: int | None = None
    h2d_pinned_gbps_large: float | None = None
    h2d_pageable_gbps_large: float | None = None
    h2d_pinned_gbps_batch: float | None = None
    h2d_pageable_gbps_batch: float | None = None
    h2d_pinned_gbps_by_bytes: dict[str, float | None] = field(default_factory=dict)
    h2d_pageable_gbps_by_bytes: dict[str, float | None] = field(default_factory=dict)
    pin_memory_ms_batch: float | None = None


@dataclass(frozen=True)
class Calibration:
    """What this machine can do: the ceilings that `--details` shows shares of."""

    host_copy_gbps: float | None = None
    scan_rows_per_s: float | None = None  # raw PyArrow scan, strings materialised
    scan_rows_per_s_dictionary: float | None = None
    devices: dict[str, DeviceCalibration] = field(default_factory=dict)
    error: str | None = None  # why the calibration failed, when it did


@dataclass(frozen=True)
class Environment:
    """The fingerprint's keys that tables and notes read."""

    host: str | None = None
    cpu: str | None = None
    cores_logical: int | None = None
    gpu: str | None = None
    cuda_driver: str | None = None
    python: str | None = None
    libraries: dict[str, str | None] = field(default_factory=dict)
