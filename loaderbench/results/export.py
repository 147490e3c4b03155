"""Result files in the formats CI tools already read.

pytest-benchmark   the JSON that `pytest-benchmark compare` and `--benchmark-compare` load:
                   one benchmark per ok scenario, its rounds the counted step times (seconds,
                   one iteration each), so min/mean/median/IQR are step-time statistics
github-action-benchmark
                   customBiggerIsBetter: samples/s per scenario, `range` the half-width of its
                   95% bootstrap interval
github-action-benchmark-time
                   customSmallerIsBetter: mean ms per step, the same interval as a range
"""

from __future__ import annotations

import json
import statistics
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from typing import Any

from loaderbench.results.access import Entry, RunView
from loaderbench.results.columns import fmt

PYTEST_BENCHMARK_VERSION = "5.1.0"  # the file layout written, readable by pytest-benchmark 4+


def quartiles(data: Sequence[float]) -> tuple[float, float]:
    """Q1 and Q3 as pytest-benchmark computes them (its stats.py: Wikipedia's methods 2/3)."""
    d, n = sorted(data), len(data)
    if n == 1:
        return d[0], d[0]
    if n % 2 == 0:
        return statistics.median(d[: n // 2]), statistics.median(d[n // 2:])
    k, q = n // 4, n % 4
    if q == 1:
        return 0.25 * d[k - 1] + 0.75 * d[k], 0.75 * d[3 * k] + 0.25 * d[3 * k + 1]
    return 0.75 * d[k] + 0.25 * d[k + 1], 0.25 * d[3 * k + 1] + 0.75 * d[3 * k + 2]


def step_stats(data: Sequence[float]) -> dict[str, Any]:
    """pytest-benchmark's `stats` block for these step times (seconds)."""
    d = sorted(data)
    mean = statistics.mean(d)
    sd = statistics.stdev(d) if len(d) > 1 else 0.0
    q1, q3 = quartiles(d)
    iqr = q3 - q1
    low, high = q1 - 1.5 * iqr, q3 + 1.5 * iqr
    iqr_out = sum(x < low or x > high for x in d)
    sd_out = sum(x < mean - sd or x > mean + sd for x in d)
    return {"min": d[0], "max": d[-1], "mean": mean, "stddev": sd, "rounds": len(d),
            "median": statistics.median(d), "iqr": iqr, "q1": q1, "q3": q3,
            "iqr_outliers": iqr_out, "stddev_outliers": sd_out,
            "outliers": f"{sd_out};{iqr_out}", "ld15iqr": d[bisect_left(d, low)],
            "hd15iqr": d[bisect_right(d, high) - 1], "ops": 1.0 / mean if mean else 0.0,
            "total": sum(d), "data": list(data), "iterations": 1}


def _extra(e: Entry) -> dict[str, Any]:
    return {"loader": e.loader, "device": e.device, "samples_per_s": e.samples_per_s,
            "data_wait_fraction": e.wait_fraction, "transfer_fraction": e.transfer_fraction,
            "checks": e.checks, "unstable": e.unstable}


def benchmark(run: RunView, e: Entry) -> dict[str, Any]:
    return {"group": f"loaderbench {run.suite} [{e.device}]", "name": f"{e.name} [{e.device}]",
            "fullname": f"loaderbench::{run.suite}::{e.name} [{e.device}]",
            "params": dict(e.options), "param": e.device, "extra_info": _extra(e),
            "options": {"timer": "perf_counter", "disable_gc": False, "warmup": True,
                        "min_rounds": len(e.step_times_s), "max_time": None,
                        "min_time": None},
            "stats": step_stats(e.step_times_s)}


def machine_info(env: dict[str, Any]) -> dict[str, Any]:
    return {"node": env.get("host"), "processor": env.get("cpu"), "machine": env.get("machine"),
            "python_implementation": "CPython", "python_version": env.get("python"),
            "system": env.get("os"), "release": "", "python_compiler": "",
            "cpu": {"brand_raw": env.get("cpu"), "count": env.get("cores_logical")},
            "gpu": env.get("gpu"), "libraries": env.get("libraries", {})}


def pytest_benchmark(run: RunView) -> dict[str, Any]:
    """A pytest-benchmark save file of the run's ok scenarios."""
    commit = run.env.get("git_commit")
    return {"machine_info": machine_info(dict(run.env)),
            "commit_info": {"id": commit or "unknown", "time": run.created,
                            "author_time": run.created, "dirty": False, "project": "loaderbench",
                            "branch": "unknown"},
            "benchmarks": [benchmark(run, e) for e in run.entries
                           if e.ok and len(e.step_times_s) >= 1],
            "datetime": run.created, "version": PYTEST_BENCHMARK_VERSION}


def _half_width(low: float, high: float) -> str:
    return f"± {fmt((high - low) / 2)}"


def _samples(e: Entry) -> tuple[float | None, tuple[float, float] | None]:
    return e.samples_per_s, e.samples_ci


def _step_ms(e: Entry) -> tuple[float | None, tuple[float, float] | None]:
    """Mean ms per step, and the steps/s interval turned into ms."""
    ci = e.steps_ci
    return e.step_ms_mean, (1e3 / ci[1], 1e3 / ci[0]) if ci and ci[0] > 0 else None


def github_list(run: RunView, unit: str, measure: Callable[[Entry], tuple[float | None,
                tuple[float, float] | None]]) -> list[dict[str, Any]]:
    """github-action-benchmark's custom list: one item per ok scenario, `range` the half-width
    of its 95% interval."""
    out = []
    for e in run.entries:
        value, ci = measure(e)
        if not (e.ok and value):
            continue
        item = {"name": f"{e.name} [{e.device}]", "unit": unit, "value": value,
                "extra": f"loader {e.loader}; {e.checks}"}
        if ci:
            item["range"] = _half_width(*ci)
        out.append(item)
    return out


def github_bigger(run: RunView) -> list[dict[str, Any]]:
    """customBiggerIsBetter: samples/s."""
    return github_list(run, "samples/s", _samples)


def github_smaller(run: RunView) -> list[dict[str, Any]]:
    """customSmallerIsBetter: mean ms per step."""
    return github_list(run, "ms/step", _step_ms)


FORMATS = {"pytest-benchmark": pytest_benchmark, "github-action-benchmark": github_bigger,
           "github-action-benchmark-time": github_smaller}


def export_json(run: RunView, to: str) -> str:
    return json.dumps(FORMATS[to](run), indent=2, allow_nan=False, ensure_ascii=False)
