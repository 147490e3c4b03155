"""The result file a run writes: it never destroys what is at the path, and one run at a time.

An existing path is reused only when it is a loaderbench result and the run continues it
(`--resume`) or replaces it (`--force`); anything else at the path, or anything that is not a
regular file (a folder, a symlink, a device, a pipe), is refused before any work. The folder's
writability is proven by creating and removing a file in it, and a lock file beside the result
(`.NAME.lock`, held with flock and removed at the end) keeps a second run off the same file.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from loaderbench.errors import UsageError

CHOICES = "--resume to continue it, --force to replace it, or another --out"


def kind(mode: int) -> str:
    """A file type in words, for the message that refuses it."""
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISLNK, "a symbolic link"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def is_result(path: Path) -> bool:
    """Whether `path` holds a loaderbench result file (JSON with a schema_version)."""
    try:
        with open(path, "rb") as handle:
            if handle.read(64).lstrip()[:1] != b"{":  # a large unrelated file is not read
                return False
            handle.seek(0)
            data = json.load(handle)
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and "schema_version" in data and "scenarios" in data


def check_existing(path: Path, resume: bool, force: bool) -> bool:
    """Refuse what must not be touched; True when `path` holds a result to reuse or replace."""
    try:
        info = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return False  # the folder's own problems are named by prove_writable
    except OSError as err:
        raise UsageError(f"cannot inspect --out {path} ({err.strerror}); choose another --out") \
            from None
    if not stat.S_ISREG(info.st_mode):
        raise UsageError(f"--out {path} is {kind(info.st_mode)}, not a regular file; give the "
                         "path of a new or earlier result file (.json)")
    if not is_result(path):
        raise UsageError(f"--out {path} exists and is not a loaderbench result file; it is left "
                         "as it is: choose another --out")
    if not (resume or force):
        raise UsageError(f"--out {path} holds an earlier result; give {CHOICES}")
    return True


def prove_writable(folder: Path) -> None:
    """Create the folder if needed, then create and remove a file in it."""
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"cannot use folder {folder} for --out: a file of that name exists")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".loaderbench-probe-", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as err:
        raise UsageError(f"cannot write to folder {folder} ({err.strerror or err}); "
                         "choose another --out") from None


def lock_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.lock")


def acquire(path: Path) -> int:
    """Hold an exclusive lock on the lock file of `path`; refuse when another run holds it."""
    target = lock_path(path)
    while True:
        fd = os.open(target, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise UsageError(f"another loaderbench run is writing {path} (lock {target}); wait "
                             "for it to finish or choose another --out") from None
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(target))
        except FileNotFoundError:
            same = False
        if same:  # not a lock file that its holder removed while we waited
            os.write(fd, f"{os.getpid()}\n".encode())
            return fd
        os.close(fd)


def release(path: Path, fd: int) -> None:
    with contextlib.suppress(OSError):
        os.unlink(lock_path(path))
    os.close(fd)


@contextlib.contextmanager
def claim(path: Path, resume: bool = False, force: bool = False) -> Iterator[bool]:
    """Make `path` safe to write for the duration of a run; yields whether a result is there
    (to continue with --resume, or to replace with --force)."""
    path = Path(path)
    existing = check_existing(path, resume, force)
    prove_writable(path.parent)
    fd = acquire(path)
    try:
        existing = check_existing(path, resume, force)  # again, now that the lock is held
        yield existing
    finally:
        release(path, fd)


def numbered(path: Path) -> Path:
    """`path`, or the first of NAME-2.json, NAME-3.json... that does not exist yet."""
    candidate, n = path, 1
    while os.path.lexists(candidate):
        n += 1
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
    return candidate
