"""`gate --retry`: measure the undecided scenarios once more, as asv retries, and pool the new
repeats with the old ones, so the gate judges them on more data.

The scenarios are rebuilt from the current result file's own records (each keeps its
resolved Scenario), on the same data (its folder, recorded in the file), in fresh processes.
"""

from __future__ import annotations

import tempfile
from collections.abc import Collection
from dataclasses import fields, replace
from pathlib import Path

from loaderbench.errors import UsageError
from loaderbench.harness.prepare import prepare
from loaderbench.harness.runner import merge, run_scenario
from loaderbench.results.schema import RunResult, ScenarioResult
from loaderbench.scenarios.dataset import DatasetSpec
from loaderbench.scenarios.scenario import Scenario


def pooled(old: ScenarioResult, new: ScenarioResult) -> ScenarioResult:
    """`old` with `new`'s repeats appended (renumbered after old's); metrics follow from the
    pooled steps when read."""
    offset = max(old.steps.repeat, default=-1) + 1
    added = replace(new.steps, repeat=tuple(r + offset for r in new.steps.repeat))
    return merge([old, new.with_(steps=added)])


def planned(record: dict) -> Scenario:
    """The Scenario a result records (keys Scenario does not know, such as the tool's
    version, left out)."""
    known = {f.name for f in fields(Scenario)}
    return Scenario(**{k: v for k, v in record.items() if k in known})


def remeasure(current: RunResult, keys: Collection[tuple[str, str]]) -> RunResult:
    """`current` with the scenarios of `keys` (name, device) measured once more and pooled."""
    data = current.dataset or {}
    spec = data.get("spec")
    if spec is None and not data.get("root"):
        raise UsageError("--retry needs the current file's dataset folder; it records none")
    prepared = prepare(DatasetSpec.from_dict(spec)) if spec else \
        prepare(DatasetSpec(), Path(data["root"]))
    out = []
    with tempfile.TemporaryDirectory(prefix="loaderbench-") as tmp:
        for s in current.scenarios:
            if (s.name, s.device) in keys and s.ok and s.scenario:
                new = run_scenario(planned(s.scenario), prepared, Path(tmp))
                s = pooled(s, new) if new.ok else s
            out.append(s)
    return replace(current, scenarios=tuple(out))
