"""Memory and CPU of the scenario's process and its workers, sampled between steps.

peak_rss_mib        the largest sum of RSS over this process and its live children seen at a
                    poll (every 0.2 s and at the end), or this process's own exact peak if
                    larger: pages shared after fork count once per process, so it is an upper
                    bound on what the workers really add
main_peak_rss_mib   this process alone, exact (the kernel's high-water mark)
cpu_cores_busy      CPU seconds of this process and its children (live or reaped) over the
                    wall time of the step loop: 1.0 is one core busy all the time
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field

import psutil

POLL_EVERY_S = 0.2


def main_peak_rss_bytes() -> int | None:
    try:
        import resource
    except ImportError:  # Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # macOS: bytes, Linux: KiB


@dataclass
class ResourceMonitor:
    """Peak RSS of this process plus its live children, and CPU time used over wall time."""

    process: psutil.Process = field(default_factory=lambda: psutil.Process(os.getpid()))
    peak_rss: int = 0
    peak_children: int = 0
    _last: float = 0.0
    _start_wall: float = field(default_factory=time.perf_counter)
    _start_cpu: float = 0.0
    _children_cpu: dict[int, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.start()

    def start(self) -> None:
        """Begin the CPU-utilisation window here (the step loop); the RSS peak keeps running."""
        self.poll(force=True)
        self._start_wall = time.perf_counter()
        self._start_cpu = self._own_cpu() + self._live_children_cpu()

    def _own_cpu(self) -> float:
        t = self.process.cpu_times()
        return t.user + t.system + t.children_user + t.children_system

    def _live_children_cpu(self) -> float:
        alive = {c.pid for c in self.process.children(recursive=True)}
        return sum(v for pid, v in self._children_cpu.items() if pid in alive)

    def poll(self, force: bool = False) -> None:
        now = time.perf_counter()
        if not force and now - self._last < POLL_EVERY_S:
            return
        self._last = now
        rss = self.process.memory_info().rss
        children = self.process.children(recursive=True)
        for child in children:
            try:
                rss += child.memory_info().rss
                t = child.cpu_times()
                self._children_cpu[child.pid] = t.user + t.system
            except psutil.Error:
                continue
        self.peak_rss = max(self.peak_rss, rss)
        self.peak_children = max(self.peak_children, len(children))

    def summary(self) -> dict[str, float | int | None]:
        self.poll(force=True)
        wall = time.perf_counter() - self._start_wall
        # Reaped children are inside _own_cpu (children_user/system); add only live ones.
        cpu = self._own_cpu() + self._live_children_cpu() - self._start_cpu
        main_peak = main_peak_rss_bytes()
        peak = max(self.peak_rss, main_peak or 0)
        return {"peak_rss_mib": round(peak / 2**20, 1),
                "main_peak_rss_mib": None if main_peak is None else round(main_peak / 2**20, 1),
                "max_worker_processes": self.peak_children,
                "cpu_seconds": round(cpu, 3), "wall_seconds": round(wall, 3),
                "cpu_cores_busy": round(cpu / wall, 2) if wall > 0 else None}
