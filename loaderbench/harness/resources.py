"""Memory and CPU of the scenario's process and its workers, sampled between steps."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

import psutil

POLL_EVERY_S = 0.2


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
        self._start_cpu = self._own_cpu()
        self.poll(force=True)

    def _own_cpu(self) -> float:
        t = self.process.cpu_times()
        return t.user + t.system + t.children_user + t.children_system

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

    def summary(self) -> dict[str, float | int]:
        self.poll(force=True)
        wall = time.perf_counter() - self._start_wall
        # Reaped children are inside _own_cpu (children_user/system); add only live ones.
        alive = {c.pid for c in self.process.children(recursive=True)}
        live = sum(v for pid, v in self._children_cpu.items() if pid in alive)
        cpu = self._own_cpu() - self._start_cpu + live
        return {"peak_rss_mib": round(self.peak_rss / 2**20, 1),
                "max_worker_processes": self.peak_children,
                "cpu_seconds": round(cpu, 3), "wall_seconds": round(wall, 3),
                "cpu_cores_busy": round(cpu / wall, 2) if wall > 0 else None}
