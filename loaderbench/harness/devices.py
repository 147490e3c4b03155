"""Devices: which exist here, how to wait for them, and what to call them in a result.

A clock is read only after the device has finished the work queued so far: CUDA through
`torch.cuda.synchronize()`, MPS through `torch.mps.synchronize()` (torch#152199 shows an
unsynchronised MPS timer reading 22.75 us for work that takes 245 us). MPS cannot run on the
machines this was built on: its path is unit-tested with availability patched and is
unverified on Apple hardware.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from loaderbench.errors import UsageError

KNOWN = ("cpu", "cuda", "mps")


@dataclass(frozen=True)
class DeviceStatus:
    name: str
    available: bool
    reason: str = ""

    @property
    def sync_method(self) -> str:
        return {"cuda": "torch.cuda.synchronize", "mps": "torch.mps.synchronize"}.get(
            self.name, "none (cpu work is synchronous)")


def probe(name: str) -> DeviceStatus:
    """Is `name` usable here? If not, say why in words a user can act on."""
    if name == "cpu":
        return DeviceStatus("cpu", True)
    if name == "cuda":
        if not torch.backends.cuda.is_built():
            return DeviceStatus("cuda", False, f"this torch ({torch.__version__}) is built "
                                               "without CUDA")
        if not torch.cuda.is_available():
            return DeviceStatus("cuda", False, "no CUDA device is visible "
                                               "(torch.cuda.is_available() is False)")
        return DeviceStatus("cuda", True)
    if name == "mps":
        if not torch.backends.mps.is_built():
            return DeviceStatus("mps", False, "this torch is built without MPS (Apple only)")
        if not torch.backends.mps.is_available():
            return DeviceStatus("mps", False, "MPS is not available on this machine")
        return DeviceStatus("mps", True)
    raise UsageError(f"unknown device {name!r}; use cpu, cuda, mps or auto")


def resolve(name: str) -> str:
    """`auto` becomes the best device here (cuda, then mps, then cpu); others stay."""
    if name != "auto":
        return name
    for candidate in ("cuda", "mps"):
        if probe(candidate).available:
            return candidate
    return "cpu"


def parse_list(text: str) -> list[str]:
    """`--device cpu,cuda` -> ["cpu", "cuda"], each checked."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    for n in names:
        if n not in (*KNOWN, "auto"):
            raise UsageError(f"unknown device {n!r}; use cpu, cuda, mps or auto "
                             "(several separated by commas)")
    if not names:
        raise UsageError("--device needs at least one of cpu, cuda, mps, auto")
    return names


def synchronizer(name: str) -> Callable[[], None]:
    """The function that waits for the device's queued work."""
    if name == "cuda":
        return torch.cuda.synchronize
    if name == "mps":
        return torch.mps.synchronize
    return _no_sync


def _no_sync() -> None:
    return None


def describe() -> dict:
    """What only torch can tell about the accelerators here, for the result's env."""
    out: dict = {"cuda_available": torch.cuda.is_available(),
                 "cuda_version": torch.version.cuda,
                 "mps_available": bool(torch.backends.mps.is_available()),
                 "torch_threads": torch.get_num_threads()}
    if out["cuda_available"]:
        props = torch.cuda.get_device_properties(0)
        out.update({"gpu": torch.cuda.get_device_name(0), "gpu_count": torch.cuda.device_count(),
                    "gpu_memory_gib": round(props.total_memory / 2**30, 1),
                    "gpu_capability": f"{props.major}.{props.minor}",
                    "cuda_driver": _driver_version()})
    return out


def _driver_version() -> str | None:
    import subprocess

    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip().splitlines()[0] if out.returncode == 0 and out.stdout else None


class EventTimer:
    """CUDA events around the transfer and the training step, read after the step's final
    synchronize: the device's own time for each part, kept beside the host clock's.

    Each wrapper records an event before and after its part on the current stream (about a
    microsecond each, inside the timed step); `collect()` runs between steps.
    """

    method = "torch.cuda.Event"

    def __init__(self) -> None:
        self._events = [torch.cuda.Event(enable_timing=True) for _ in range(4)]
        self.transfer_s: list[float] = []
        self.compute_s: list[float] = []

    def wrap(self, transfer: Callable, train: Callable) -> tuple[Callable, Callable]:
        e0, e1, e2, e3 = self._events

        def timed_transfer(batch):
            e0.record()
            out = transfer(batch)
            e1.record()
            return out

        def timed_train(batch):
            e2.record()
            train(batch)
            e3.record()

        return timed_transfer, timed_train

    def collect(self) -> None:
        """After the step's synchronize: both spans are complete, elapsed_time is in ms."""
        e0, e1, e2, e3 = self._events
        self.transfer_s.append(e0.elapsed_time(e1) / 1e3)
        self.compute_s.append(e2.elapsed_time(e3) / 1e3)


def event_timer(name: str) -> EventTimer | None:
    """Device-side timing where it is verified: CUDA only (MPS events are left out: no Mac)."""
    return EventTimer() if name == "cuda" else None
