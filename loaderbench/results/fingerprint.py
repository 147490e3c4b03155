"""What must match for two runs' timings to be compared: the machine and the libraries.

The host name, the OS build and the git commit are left out: a CI runner's name changes
every job, and the commit is what a gate is there to judge.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

FIELDS = ("cpu", "machine", "cores_logical", "cores_usable", "gpu", "python")
LIBRARIES = ("torch", "pyarrow", "pandas", "numpy", "scikit-learn")


def fingerprint(env: Mapping[str, Any]) -> dict[str, Any]:
    """The parts of a run's environment that change its timings."""
    libs = env.get("libraries") or {}
    out = {k: env.get(k) for k in FIELDS}
    out.update({lib: libs.get(lib) for lib in LIBRARIES})
    return out


def differences(baseline: Mapping[str, Any], current: Mapping[str, Any]) -> list[str]:
    """`name: baseline value -> current value` for each fingerprint field that differs."""
    a, b = fingerprint(baseline), fingerprint(current)
    return [f"{k}: {a[k]} -> {b[k]}" for k in a if a[k] != b[k]]
