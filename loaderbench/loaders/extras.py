"""Optional dependencies of the peer loaders (HuggingFace `datasets`, `torchdata`, polars).

A peer declares what it imports as `requires` and the pip extra that installs it as `extra`.
`missing(cls)` tells, without importing anything, whether those modules can be found here and
what to install if not: the harness records the scenario as `skipped` with that line, and the
contract test skips the loader with it, so a machine without the extras never crashes.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence


def absent(modules: Sequence[str]) -> list[str]:
    """The top-level modules of `modules` that cannot be imported here."""
    return [m for m in modules if not _found(m.partition(".")[0])]


def _found(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a finder that refuses it, or a stub in sys.modules
        return False


def install_hint(extra: str) -> str:
    return f"pip install 'loaderbench[{extra}]'"


def missing(cls: type) -> str | None:
    """Why loader class `cls` cannot run here (its optional packages are absent), or None."""
    gone = absent(getattr(cls, "requires", ()))
    if not gone:
        return None
    return (f"{cls.name} needs {', '.join(gone)}, not installed: "
            f"{install_hint(cls.extra)}")
