"""Optional dependencies of the peer loaders (HuggingFace `datasets`, `torchdata`, polars).

A peer declares what it imports as `requires` and the pip extra that installs it as `extra`.
`missing(cls)` tells, without importing anything, whether those modules can be found here and
what to install if not: the contract test skips the loader with that line. `unusable(cls)`
also imports them (a module can be found yet fail to import, say against an older pyarrow):
the harness records the scenario as `skipped` with its line, so a machine without working
extras never crashes.
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


def unusable(cls: type) -> str | None:
    """`missing(cls)`, or why one of its modules fails to import here, or None. Imports them."""
    reason = missing(cls)
    if reason is not None:
        return reason
    for module in getattr(cls, "requires", ()):
        try:
            importlib.import_module(module)
        except Exception as err:  # an ImportError, or a version clash raising something else
            return (f"{cls.name} cannot import {module} ({type(err).__name__}: {err}): "
                    f"{install_hint(cls.extra)} with versions that fit")
    return None
