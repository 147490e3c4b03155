"""Who wins where: each scenario relative to a reference loader inside its own run.

`compare --normalize LOADER` divides each scenario's samples/s by that of the fastest ok
LOADER scenario on the same device in the same run, and ranks the scenarios within each run.
Machines of different speed then line up on the ranking, which is the first question users
ask ("on each machine, which loader wins, and by how much?"). The machine-to-machine ratio
stays in the last column (last run over first, raw samples/s), and the environment fields
that differ between the runs are listed under the table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from loaderbench.errors import UsageError
from loaderbench.results.access import Entry, RunView
from loaderbench.results.columns import fmt
from loaderbench.results.formats import table

Key = tuple[str, str]
ENV_FIELDS = ("cpu", "cores_logical", "memory_gib", "gpu", "cuda_driver", "os", "python")


def key(e: Entry, by: str) -> Key:
    return (e.name, "" if by == "name" else e.device)


def references(run: RunView, loader: str) -> dict[str, float]:
    """Per device, the fastest ok samples/s of `loader` in this run."""
    out: dict[str, float] = {}
    for e in run.entries:
        if e.ok and e.loader == loader and e.samples_per_s:
            out[e.device] = max(out.get(e.device, 0.0), e.samples_per_s)
    if not out:
        raise UsageError(f"--normalize {loader}: run {run.label!r} has no ok {loader!r} "
                         "scenario; choose a loader that ran in every file")
    return out


def ranks(run: RunView, by: str) -> dict[Key, int]:
    """1 = fastest samples/s in this run, over its ok scenarios with a rate."""
    rated = sorted((e for e in run.entries if e.ok and e.samples_per_s),
                   key=lambda e: -(e.samples_per_s or 0.0))
    return {key(e, by): i + 1 for i, e in enumerate(rated)}


def relative(runs: Sequence[RunView], loader: str, by: str
             ) -> tuple[list[Key], list[dict[Key, float]], list[dict[Key, int]]]:
    """Scenario keys in order, and per run each key's ratio to the reference and its rank."""
    keys = list(dict.fromkeys(key(e, by) for r in runs for e in r.entries))
    ratios, places = [], []
    for r in runs:
        ref = references(r, loader)
        ratios.append({key(e, by): e.samples_per_s / ref[e.device] for e in r.entries
                       if e.ok and e.samples_per_s and e.device in ref})
        places.append(ranks(r, by))
    return keys, ratios, places


def _cell(run: RunView, k: Key, ratio: Mapping[Key, float], place: Mapping[Key, int],
          by: str) -> str:
    e = next((x for x in run.entries if key(x, by) == k), None)
    if e is None:
        return "-"
    if k not in ratio:
        return e.status if not e.ok else "-"
    where = f" [{e.device}]" if by == "name" else ""
    return f"{fmt(ratio[k])}x #{place[k]}{where}"


def machine_ratio(first: RunView, last: RunView, k: Key, by: str) -> str:
    a = next((e.samples_per_s for e in first.entries if key(e, by) == k and e.ok), None)
    b = next((e.samples_per_s for e in last.entries if key(e, by) == k and e.ok), None)
    return f"{fmt(b / a)}x" if a and b else "-"


def render(runs: Sequence[RunView], loader: str, fmt_name: str = "github",
           by: str = "name+device") -> str:
    keys, ratios, places = relative(runs, loader, by)
    labels = [r.label for r in runs]
    rows = []
    for k in keys:
        cells = [_cell(r, k, ratios[i], places[i], by) for i, r in enumerate(runs)]
        extra = [machine_ratio(runs[0], runs[-1], k, by)] if len(runs) > 1 else []
        rows.append([k[0], *([k[1]] if by != "name" else []), *cells, *extra])
    headers = ["scenario", *(["device"] if by != "name" else []), *labels,
               *([f"{labels[-1]} / {labels[0]}"] if len(runs) > 1 else [])]
    notes = [f"Nx: samples/s over the fastest `{loader}` scenario on the same device in the "
             "same run; #N: rank by samples/s within that run (1 = fastest)"]
    if len(runs) > 1:
        notes.append(f"{labels[-1]} / {labels[0]}: the machine-to-machine ratio of raw "
                     "samples/s")
    return table(fmt_name, headers, rows, notes=[*notes, *env_differences(runs)])


def env_fields(env: Mapping[str, Any]) -> dict[str, str]:
    out = {name: str(env.get(name)) for name in ENV_FIELDS if env.get(name) is not None}
    for lib, version in sorted((env.get("libraries") or {}).items()):
        out[lib] = str(version)
    return out


def env_differences(runs: Sequence[RunView]) -> list[str]:
    """One line per environment field whose value differs between the runs."""
    if len(runs) < 2:
        return []
    per_run = [env_fields(r.env) for r in runs]
    names = list(dict.fromkeys(n for fields in per_run for n in fields))
    lines = []
    for name in names:
        values = [fields.get(name, "-") for fields in per_run]
        if len(set(values)) > 1:
            pairs = "; ".join(f"{r.label}: {v}" for r, v in zip(runs, values, strict=True))
            lines.append(f"  {name}: {pairs}")
    return ["environment differences:", *lines] if lines else ["same environment fields"]


def figure(runs: Sequence[RunView], by: str, loader: str | None) -> Any:
    """The compare plot: relative to `loader` in each run when given, else raw samples/s."""
    from loaderbench.results.plots import compare_figure

    keys = list(dict.fromkeys(key(e, by) for r in runs for e in r.entries))
    loaders = {key(e, by): e.loader for r in runs for e in r.entries}
    if loader:
        _, values, _ = relative(runs, loader, by)
        label = f"× the fastest `{loader}` scenario in the same run (line: 1×)"
    else:
        values = [{key(e, by): e.samples_per_s for e in r.entries if e.ok and e.samples_per_s}
                  for r in runs]
        label = "samples/s (rows per second)"
    return compare_figure(runs, values, keys, loaders, label + " (log scale)", bool(loader))
