"""The parent/child protocol of a run, imported by both sides (pyperf's _runner / _worker
split): the parent never imports a child's module, nor a child the parent's.

    python -m MODULE REQUEST.json REPLY.json

The parent writes REQUEST, starts the child in its own process group (`call_child`), and reads
REPLY, which the child writes atomically (`child_main`); when there is none, the parent gets
why instead: the timeout, or the exit code with the last lines of the child's output. Two
children speak it: `harness.worker` (a `Job` in, a ScenarioResult out) and
`harness.calibration` (the data, batch sizes and devices in, the calibration out), and, for
a multi-rank job under torchrun, `harness.ranks` (a `Job` in, rank 0 writes the merged
result).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import loaderbench
from loaderbench.errors import UsageError
from loaderbench.results.schema import ScenarioResult
from loaderbench.results.store import dumps, write_atomic
from loaderbench.scenarios.scenario import Scenario

LOG_TAIL_CHARS = 4000


@dataclass(frozen=True)
class Job:
    """One repeat of a scenario, as the worker receives it: the scenario (options resolved in
    full), the resolved data source, the fitted preprocessing, the class count and the version of
    loaderbench that planned it."""

    scenario: Scenario
    repeat: int
    source: dict[str, Any]  # DataSource.to_dict(): files, roles and label coding, resolved
    preprocessor: str
    n_classes: int
    tool_version: str = loaderbench.__version__

    def to_dict(self) -> dict[str, Any]:
        return {"scenario": self.scenario.to_dict(), "repeat": self.repeat,
                "source": self.source, "preprocessor": self.preprocessor,
                "n_classes": self.n_classes, "tool_version": self.tool_version}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Job:
        return cls(scenario=Scenario(**d["scenario"]), repeat=d["repeat"],
                   source=d["source"], preprocessor=d["preprocessor"],
                   n_classes=d["n_classes"], tool_version=d["tool_version"])


def base_result(s: Scenario, status: str, reason: str = "", **extra: Any) -> ScenarioResult:
    """The record of `s`: its options as resolved when the run was planned (defaults
    included), with the version of loaderbench that resolved them."""
    return ScenarioResult(name=s.name, loader=s.loader, device=s.device, status=status,
                          options=dict(s.options), reason=reason, step=s.step,
                          scenario={**s.to_dict(), "tool_version": loaderbench.__version__},
                          **extra)


@dataclass(frozen=True)
class Reply:
    """What a child answered (`data`), or why it did not (`error`)."""

    data: Any = None
    error: str | None = None
    timed_out: bool = False


def call_child(module: str, request: Any, *, timeout: float, workdir: Path,
               label: str = "child", via: tuple[str, list[str]] | None = None,
               python: str | None = None) -> Reply:
    """Run `python -m module REQUEST REPLY` with `request` as JSON; read its reply or error.
    `via` (a launcher module and its arguments, e.g. torchrun's) runs
    `python -m LAUNCHER ARGS -m module REQUEST REPLY` instead. `python` is another
    interpreter with its own loaderbench (a paired run's baseline side); default this one."""
    stem = f"{label}-{uuid.uuid4().hex[:12]}"
    request_path, reply_path = workdir / f"{stem}.in.json", workdir / f"{stem}.out.json"
    request_path.write_text(json.dumps(request))
    args = [str(request_path), str(reply_path)]
    if via is not None:
        module, args = via[0], [*via[1], "-m", module, *args]
    code, log = spawn(module, args, timeout, workdir / f"{stem}.log", fork=via is None,
                      python=python)
    if reply_path.exists():
        return Reply(data=json.loads(reply_path.read_text()))
    if code is None:
        return Reply(error=f"timed out after {timeout:g} s", timed_out=True)
    tail = " | ".join(log.strip().splitlines()[-3:])
    how = f"was killed by {signal.Signals(-code).name}" if code < 0 else f"exited with code {code}"
    return Reply(error=f"{how}: {tail}" if tail else how)


def child_main(argv: list[str] | None, handle: Callable[[Any], Any]) -> int:
    """The child's side: read REQUEST, answer it, write REPLY atomically (a child that
    answers only from one of several processes, like rank 0, uses the two halves below)."""
    if argv is None:
        die_with_parent()
    request_path, reply_path = sys.argv[1:] if argv is None else argv
    write_reply(reply_path, handle(read_request(request_path)))
    return 0


def die_with_parent() -> None:
    """On Linux, end this process if the run that started it is killed (even with -9)."""
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def read_request(path: str | Path) -> Any:
    return json.loads(Path(path).read_text())


def write_reply(path: str | Path, reply: Any) -> None:
    write_atomic(Path(path), dumps(reply))


def child_env(python: str | None = None) -> dict[str, str]:
    """The child must import this very loaderbench, installed or not; a child of another
    interpreter (`python`) imports its own, so its environment is left as it is."""
    env = dict(os.environ)
    if python is not None and python != sys.executable:
        env.setdefault("PYTHONUNBUFFERED", "1")
        return env
    root = str(Path(loaderbench.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


_fork_servers: dict[str, Any] = {}  # interpreter -> zygote.ForkServer inside `forking()`


@contextlib.contextmanager
def forking(enabled: bool = True, pythons: tuple[str, ...] = ()) -> Iterator[None]:
    """Inside this block, children (not torchrun launches) fork from one preloaded server
    per interpreter (`harness/zygote.py`: this one, and each of `pythons`) instead of
    starting a fresh interpreter."""
    if not enabled:
        yield
        return
    from loaderbench.harness.zygote import ForkServer

    wanted = dict.fromkeys((sys.executable, *pythons))
    previous = dict(_fork_servers)
    started = []
    try:
        for python in wanted:
            try:
                started.append(ForkServer(child_env(python), python=python))
            except RuntimeError as exc:
                raise UsageError(f"{exc} under {python}; run without --fork-server") from None
            _fork_servers[python] = started[-1]
        yield
    finally:
        _fork_servers.clear()
        _fork_servers.update(previous)
        for server in started:
            server.close()


def spawn(module: str, args: list[str], timeout: float, log_path: Path, fork: bool = False,
          python: str | None = None) -> tuple[int | None, str]:
    """Run `python -m module args` in its own process group (or, with `fork` inside
    `forking()`, `module.main(args)` forked from that interpreter's server), killed whole on
    timeout or on any exception here (Ctrl-C); (exit code or None on timeout, the output's
    tail)."""
    python = python or sys.executable
    server = _fork_servers.get(python) if fork else None
    if server is not None:
        return server.spawn(module, args, timeout, log_path), tail(log_path)
    with open(log_path, "w") as log:
        proc = subprocess.Popen([python, "-m", module, *args], stdout=log,
                                stderr=subprocess.STDOUT, env=child_env(python),
                                start_new_session=True)
        try:
            code: int | None = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            code = None
        except BaseException:
            _kill(proc)
            raise
        if code is None:
            _kill(proc)
    return code, tail(log_path)


def tail(log_path: Path) -> str:
    """The end of a child's output (none when it left no log)."""
    return log_path.read_text(errors="replace")[-LOG_TAIL_CHARS:] if log_path.exists() else ""


def _kill(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
