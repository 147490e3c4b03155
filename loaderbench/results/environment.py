"""The machine's fingerprint: enough to tell two result files' hardware and software apart.

Only the standard library, psutil and package metadata: no torch import here (the harness
adds what only torch can tell: CUDA, MPS, the GPU's name).
"""

from __future__ import annotations

import os
import platform
import socket
import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

LIBRARIES = ("torch", "pyarrow", "pandas", "numpy", "scikit-learn", "tabulate", "loaderbench")
#: The peer loaders' libraries (the `peers` extra): None where not installed.
PEER_LIBRARIES = ("datasets", "torchdata", "polars")


def library_versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for name in (*LIBRARIES, *PEER_LIBRARIES):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def git_commit(where: Path) -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=where, capture_output=True,
                             text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def collect() -> dict:
    import psutil

    return {
        "host": socket.gethostname(),
        "cpu": cpu_model(),
        "machine": platform.machine(),
        "cores_logical": os.cpu_count(),
        "cores_physical": psutil.cpu_count(logical=False),
        "cores_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "libraries": library_versions(),
        "git_commit": git_commit(Path(__file__).resolve().parent),
    }
