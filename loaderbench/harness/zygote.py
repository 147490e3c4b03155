"""A fork server for a run's children (`run --fork-server`): one process imports torch, NumPy,
pandas, PyArrow and scikit-learn once, then forks a fresh child for each repeat.

Trade-off: most of a fresh child's time is start-up (2-3 s of imports on 2 cores), so
a forked repeat costs a third as much: 1.1-1.6 s instead of 4.5-4.8 s for the `ci` suite's
loaders (`benchmarks/gate_noise.py --fork-vs-fresh`), with the same mean step time and the
same spread from one process to the next. The price: children share the server's import-time
state (memory layout, hash seed) where fresh processes draw their own, so the default stays
fresh processes (pyperf's habit); the fork server is for suites of many short repeats. Linux
and macOS only (fork); multi-rank jobs still start through torchrun; the server never touches
CUDA, so each child initialises it afresh.

    python -m loaderbench.harness.zygote

Lines of JSON: the server says {"ready": true} once its imports are done; then for each
{"module": M, "args": [...], "log": PATH} it forks a child that runs `M.main(args)` in a session
of its own with its output in PATH, answers {"pid": PID} at once and {"code": CODE} when the
child ends (the parent may kill the child's process group meanwhile).
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import select
import signal
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import Any

PRELOAD = ("numpy", "pandas", "pyarrow", "pyarrow.compute", "pyarrow.dataset",
           "pyarrow.parquet", "sklearn", "torch", "loaderbench.harness.worker",
           "loaderbench.harness.calibration")


def run_child(request: dict[str, Any]) -> None:
    """In the forked child: a session of its own, output to the log, `module.main(args)`."""
    from loaderbench.harness.protocol import die_with_parent

    os.setsid()
    die_with_parent()
    log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    null = os.open(os.devnull, os.O_RDONLY)
    for fd, target in ((null, 0), (log, 1), (log, 2)):
        os.dup2(fd, target)
    code = 1
    try:
        sys.argv = [request["module"], *request["args"]]
        code = importlib.import_module(request["module"]).main(request["args"])
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else 0 if stop.code is None else 1
        if not isinstance(stop.code, int | None):
            print(stop.code, file=sys.stderr)
    except BaseException:  # the child reports everything, then leaves
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code if isinstance(code, int) else 1)


def serve() -> int:
    """The server's loop: one request at a time, until the parent closes stdin."""
    from loaderbench.harness.protocol import die_with_parent

    die_with_parent()
    for module in PRELOAD:
        importlib.import_module(module)
    say({"ready": True})
    for line in sys.stdin:
        request = json.loads(line)
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            run_child(request)
        say({"pid": pid})
        _, status = os.waitpid(pid, 0)
        say({"code": os.waitstatus_to_exitcode(status)})
    return 0


def say(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


class ForkServer:
    """The parent's side: start the server, have it fork children, wait for them (killing a
    child's process group at its timeout, or on any exception here, such as Ctrl-C)."""

    def __init__(self, env: dict[str, str], start_timeout: float = 300.0,
                 python: str = sys.executable) -> None:
        self.proc = subprocess.Popen([python, "-m", __name__], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, env=env, start_new_session=True)
        self._buf = b""
        if self._read(time.monotonic() + start_timeout) != {"ready": True}:
            self.close()
            raise RuntimeError("the fork server did not start")

    def spawn(self, module: str, args: list[str], timeout: float, log_path: Path
              ) -> int | None:
        """Run `module.main(args)` in a forked child; its exit code, or None on timeout."""
        assert self.proc.stdin is not None
        request = {"module": module, "args": args, "log": str(log_path)}
        self.proc.stdin.write((json.dumps(request) + "\n").encode())
        self.proc.stdin.flush()
        deadline = time.monotonic() + timeout
        pid = self._read(deadline)["pid"]
        try:
            return self._read(deadline)["code"]
        except TimeoutError:
            self._kill(pid)
            self._read(None)
            return None
        except BaseException:
            self._kill(pid)
            raise

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()

    def _kill(self, pid: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)

    def _read(self, deadline: float | None) -> dict[str, Any]:
        """The server's next line, waiting until `deadline` (TimeoutError after it)."""
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buf:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise TimeoutError
            if not select.select([fd], [], [], left)[0]:
                raise TimeoutError
            chunk = os.read(fd, 65536)
            if not chunk:
                raise RuntimeError("the fork server ended")
            self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        return json.loads(line)


if __name__ == "__main__":
    sys.exit(serve())
