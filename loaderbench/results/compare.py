"""Several result files side by side: the same scenarios on different machines or commits.

Rows are scenarios (matched by name and device, or by name alone with `by="name"`, to put a
laptop's cpu next to a server's cuda); columns are runs; each cell shows a metric and its
ratio to the first run. Footnotes say what each run was (host, CPU, cores, GPU, versions).
A scenario whose resolved options differ from the first run's is a different configuration:
its cell gets no ratio, a `≠`, and a note naming the options that differ.
"""

from __future__ import annotations

from collections.abc import Sequence

from loaderbench.errors import UsageError
from loaderbench.results.columns import FIGURES, Column, fmt
from loaderbench.results.formats import table
from loaderbench.results.options import option_differences
from loaderbench.results.schema import RunResult, ScenarioResult


def describe_env(env: dict) -> str:
    libs = env.get("libraries", {})
    parts = [env.get("host", "?"), env.get("cpu", "?"), f"{env.get('cores_logical', '?')} cores"]
    if env.get("gpu"):
        parts.append(f"{env['gpu']} (driver {env.get('cuda_driver', '?')})")
    parts.append(f"torch {libs.get('torch', '?')}, Python {env.get('python', '?')}")
    return ", ".join(str(p) for p in parts)


def _key(s: ScenarioResult, by: str) -> tuple[str, str]:
    return (s.name, "" if by == "name" else s.device)


def _cell(s: ScenarioResult | None, column: Column, first: float | None, by: str,
          ref: ScenarioResult | None) -> str:
    if s is None:
        return "-"
    if not s.ok:
        return str(s.status)
    value = s.metrics.get(column.metric)
    if value is None:
        return "-"
    where = f" [{s.device}]" if by == "name" else ""
    if ref is not None and option_differences(ref.options, s.options):
        return f"{column.show(value)} ≠{where}"
    ratio = f" ({fmt(value / first)}x)" if first and column.ratio else ""
    return column.show(value) + ratio + where


def differing(tables: Sequence[dict], labels: Sequence[str]) -> list[str]:
    """One note per scenario and run whose resolved options differ from the first run's."""
    notes = []
    for label, scenarios in zip(labels[1:], tables[1:], strict=True):
        for key, s in scenarios.items():
            ref = tables[0].get(key)
            diff = option_differences(ref.options, s.options) if ref is not None else []
            if diff:
                notes.append(f"≠ {label} / {key[0]}: options differ from {labels[0]}: "
                             f"{'; '.join(diff)}")
    return notes


def compare(runs: Sequence[RunResult], labels: Sequence[str], metric: str = "samples_per_s",
            fmt_name: str = "github", by: str = "name+device") -> str:
    if metric not in FIGURES:
        raise UsageError(f"unknown metric {metric!r}; choose one of {', '.join(FIGURES)}")
    if by not in ("name", "name+device"):
        raise UsageError("--by must be name or name+device")
    tables = [{_key(s, by): s for s in run.scenarios} for run in runs]
    keys = list(dict.fromkeys(k for t in tables for k in t))
    rows = []
    for k in keys:
        first = tables[0].get(k)
        base = first.metrics.get(metric) if first is not None and first.ok else None
        rows.append([k[0], *([k[1]] if by != "name" else []),
                     *(_cell(t.get(k), FIGURES[metric], base, by, first) for t in tables)])
    headers = ["scenario", *(["device"] if by != "name" else []), *labels]
    notes = [f"{label}: {describe_env(run.env)}" for label, run in zip(labels, runs, strict=True)]
    return table(fmt_name, headers, rows, notes=[f"{metric}; (Nx) relative to {labels[0]}",
                                                  *differing(tables, labels), *notes])
