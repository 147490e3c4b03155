"""Process faults for benchmarks/bad_inputs.py: signals mid-scenario, kill -9 of a scenario
process and of a DataLoader worker, two runs on one --out, a full disk. Each starts a real
`loaderbench run` and reports (exit code, what happened)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psutil
from bad_input_cases import Scratch

LONG_SUITE = """[suite]
name = "faults"
[suite.defaults]
device = "{device}"
warmup = 0
[[scenario]]
loader = "vectorized"
steps = 2
[scenario.options]
batch_size = 32
[[scenario]]
loader = "{loader}"
step = "sleep:20"
steps = 100000
[scenario.options]
batch_size = 32
{options}
"""
WAIT_S = 300.0
DEVICE = "cpu"  # bad_inputs.py --device cuda runs the faults on the GPU


def start(tmp: Path, s: Scratch, loader: str = "vectorized", options: str = "",
          out: Path | None = None) -> tuple[subprocess.Popen, Path]:
    suite = tmp / "long.toml"
    suite.write_text(LONG_SUITE.format(loader=loader, options=options, device=DEVICE))
    out = out or tmp / "out.json"
    proc = subprocess.Popen([sys.executable, "-m", "loaderbench", "run", "--suite", str(suite),
                             "--data", str(s.data), "--out", str(out), "--no-calibrate",
                             "--quiet"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)
    return proc, out


def wait_for(condition: Callable[[], object], what: str) -> object:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.2)
    raise TimeoutError(f"gave up waiting for {what}")


def scenarios_in(out: Path) -> int:
    try:
        return len(json.loads(out.read_text())["scenarios"])
    except (OSError, ValueError, KeyError):
        return 0


def second_scenario_running(proc: subprocess.Popen, out: Path, depth: int = 1) -> list:
    """The run's descendants once the long scenario has started (and has `depth` levels)."""
    def ready():
        if scenarios_in(out) < 1:
            return None
        kids = psutil.Process(proc.pid).children(recursive=True)
        levels = [k for k in kids if k.ppid() != proc.pid]
        return kids if kids and (depth == 1 or levels) else None
    return wait_for(ready, "the second scenario's processes")


def signal_mid_scenario(sig: int) -> Callable[[Path, Scratch], tuple[int, str]]:
    def run(tmp: Path, s: Scratch) -> tuple[int, str]:
        proc, out = start(tmp, s, "tensor-dataset", "num_workers = 1")
        kids = second_scenario_running(proc, out, depth=2)
        folders = {Path(a).parent for k in kids for a in k.cmdline() if a.endswith(".job.json")}
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=WAIT_S)
        time.sleep(0.5)
        alive = [k.pid for k in kids if k.is_running() and k.status() != psutil.STATUS_ZOMBIE]
        left = [str(f) for f in folders if f.exists()]
        return proc.returncode, (f"{scenarios_in(out)} scenario kept; {len(kids)} processes "
                                 f"before, {len(alive)} left; temp folders left: {left or 0}; "
                                 f"{err.strip().splitlines()[-1] if err.strip() else ''}")
    return run


def kill_nine(level: str) -> Callable[[Path, Scratch], tuple[int, str]]:
    def run(tmp: Path, s: Scratch) -> tuple[int, str]:
        proc, out = start(tmp, s, "tensor-dataset", "num_workers = 1")
        kids = second_scenario_running(proc, out, depth=2)
        victim = next(k for k in kids if (k.ppid() == proc.pid) == (level == "scenario"))
        victim.kill()
        proc.communicate(timeout=WAIT_S)
        data = json.loads(out.read_text())
        second = data["scenarios"][-1]
        return proc.returncode, f"scenario 2 {second['status']}: {second['reason'][:120]}"
    return run


def kill_run(tmp: Path, s: Scratch) -> tuple[int, str]:
    """kill -9 of the run itself: nothing can clean up, but no process may live on."""
    proc, out = start(tmp, s, "tensor-dataset", "num_workers = 1")
    kids = second_scenario_running(proc, out, depth=2)
    proc.kill()
    proc.communicate(timeout=WAIT_S)

    def all_gone():
        return not [k for k in kids if k.is_running() and k.status() != psutil.STATUS_ZOMBIE]
    try:
        wait_for(all_gone, "the run's processes to end")
        left = 0
    except TimeoutError:
        left = sum(k.is_running() for k in kids)
    return proc.returncode, (f"{scenarios_in(out)} scenario kept; {len(kids)} processes "
                             f"before, {left} left once they noticed")


def concurrent(tmp: Path, s: Scratch) -> tuple[int, str]:
    first, out = start(tmp, s)
    wait_for(lambda: (tmp / ".out.json.lock").exists(), "the first run's lock")
    second = subprocess.run([sys.executable, "-m", "loaderbench", "run", "--suite",
                             str(s.suite), "--data", str(s.data), "--out", str(out),
                             "--no-calibrate", "--quiet", "--resume"],
                            capture_output=True, text=True, timeout=WAIT_S)
    first.send_signal(signal.SIGTERM)
    first.communicate(timeout=WAIT_S)
    return second.returncode, (f"{second.stderr.strip().splitlines()[-1]} (first run: exit "
                               f"{first.returncode}, {scenarios_in(out)} scenario kept)")


def disk_full(tmp: Path, s: Scratch) -> tuple[int, str]:
    """A 64 KiB tmpfs when this process may mount one (root on Linux)."""
    mount = tmp / "small"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)],
                      capture_output=True).returncode != 0:
        return "-", "skipped: cannot mount a tmpfs here (tests/ inject a write failure instead)"
    try:
        (mount / "filler").write_bytes(b"\0" * (60 * 1024))
        out = mount / "out.json"
        proc = subprocess.run([sys.executable, "-m", "loaderbench", "run", "--suite",
                               str(s.suite), "--data", str(s.data), "--out", str(out),
                               "--no-calibrate", "--quiet"], capture_output=True, text=True,
                              timeout=WAIT_S)
        leftovers = sorted(p.name for p in mount.iterdir() if p.name != "filler")
        return proc.returncode, (f"{proc.stderr.strip().splitlines()[-1]} (left in the folder: "
                                 f"{leftovers or 'nothing'})")
    finally:
        subprocess.run(["umount", str(mount)], check=False)


@dataclass(frozen=True)
class Fault:
    what: str
    run: Callable[[Path, Scratch], tuple[int | str, str]]


FAULTS = [
    Fault("SIGTERM mid-scenario (DataLoader workers running)", signal_mid_scenario(signal.SIGTERM)),
    Fault("SIGHUP mid-scenario", signal_mid_scenario(signal.SIGHUP)),
    Fault("SIGINT (Ctrl-C) mid-scenario", signal_mid_scenario(signal.SIGINT)),
    Fault("kill -9 of the scenario process", kill_nine("scenario")),
    Fault("kill -9 of a DataLoader worker", kill_nine("worker")),
    Fault("kill -9 of the run itself", kill_run),
    Fault("a second run on the same --out while the first runs", concurrent),
    Fault("disk full (64 KiB tmpfs) while saving", disk_full),
]
