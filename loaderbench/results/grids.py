"""The grid axes a suite swept, found from the scenarios' options, for scaling curves.

An axis is a numeric option (num_workers, threads, batch_size, latency_ms, ...). A series is
the scenarios of one loader on one device whose other options are all equal and which take
at least two values on that axis: a curve of samples/s against the axis.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from loaderbench.results.access import Entry


@dataclass(frozen=True)
class Point:
    x: float
    samples_per_s: float
    ci: tuple[float, float] | None


@dataclass(frozen=True)
class Series:
    axis: str
    loader: str
    device: str
    fixed: str            # the other options, as `k=v` words: what the curve holds constant
    points: tuple[Point, ...]

    @property
    def label(self) -> str:
        return f"{self.loader} [{self.device}]" + (f" {self.fixed}" if self.fixed else "")


def _numeric(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def axes(entries: Sequence[Entry]) -> list[str]:
    """Numeric options in the order they first appear."""
    seen = (k for e in entries for k, v in e.options.items() if _numeric(v))
    return list(dict.fromkeys(seen))


def _fixed(options: dict[str, Any], axis: str) -> str:
    return " ".join(f"{k}={str(v).lower() if isinstance(v, bool) else v}"
                    for k, v in sorted(options.items()) if k != axis)


def series(entries: Sequence[Entry], axis: str) -> list[Series]:
    """Every curve along `axis`: ok scenarios with a rate, grouped by all else."""
    groups: dict[tuple[str, str, str], dict[float, Entry]] = {}
    for e in entries:
        value = e.options.get(axis)
        if not e.ok or e.samples_per_s is None or not _numeric(value):
            continue
        key = (e.loader, e.device, _fixed(dict(e.options), axis))
        groups.setdefault(key, {})[float(value)] = e
    out = []
    for (loader, device, fixed), by_x in groups.items():
        if len(by_x) < 2:
            continue
        points = tuple(Point(x, e.samples_per_s or 0.0, e.samples_ci)
                       for x, e in sorted(by_x.items()))
        out.append(Series(axis, loader, device, fixed, points))
    return out


def swept(entries: Sequence[Entry]) -> dict[str, list[Series]]:
    """Each axis that has at least one curve, with its curves."""
    found = {axis: series(entries, axis) for axis in axes(entries)}
    return {axis: curves for axis, curves in found.items() if curves}
