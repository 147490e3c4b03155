"""Reading and writing result files: atomic, sorted keys, strict JSON, schema-checked; files
of an older schema version are read through that version's reader (READERS)."""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from loaderbench.errors import UsageError
from loaderbench.results import v1
from loaderbench.results.codec import SchemaError
from loaderbench.results.schema import SCHEMA_VERSION, RunResult

# Each schema version's reader: its JSON in the current version's shape.
READERS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {
    1: v1.upgrade,
    SCHEMA_VERSION: lambda data: data,
}


def _finite(value: Any) -> Any:
    """JSON has no inf/NaN: such a float becomes null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def dumps(data: dict[str, Any]) -> str:
    return json.dumps(_finite(data), sort_keys=True, allow_nan=False, separators=(",", ":"))


def write_atomic(path: Path, text: str) -> None:
    """Write to a temporary file in the same folder, flush it to disk, then rename over."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes it 0600; a plain file would not be
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def save(run: RunResult, path: Path) -> None:
    """Write the run; an OSError (disk full, folder gone) is one line naming the file, which
    keeps what it held before (the scenarios saved so far)."""
    try:
        write_atomic(path, dumps(run.to_dict()))
    except OSError as err:
        raise UsageError(f"cannot save results to {path} ({err.strerror or err}); the file "
                         "keeps the scenarios saved before: free space or fix the folder, then "
                         "run again with --resume") from None


def load(path: Path | str) -> RunResult:
    """Read a result file; a UsageError (exit 2) names what is wrong with it."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"result file {path} does not exist") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise UsageError(f"result file {path} is not readable JSON ({err})") from None
    if not isinstance(data, dict) or "schema_version" not in data:
        raise UsageError(f"{path} is not a loaderbench result file (no schema_version)")
    version = data["schema_version"]
    if not isinstance(version, int) or isinstance(version, bool) or version not in READERS:
        raise UsageError(f"{path} has schema version {version}; this loaderbench reads up to "
                         f"{SCHEMA_VERSION}: upgrade loaderbench")
    try:
        return RunResult.from_dict(READERS[version](data))
    except SchemaError as err:
        raise UsageError(f"{path} is a damaged result file: {err}") from None
