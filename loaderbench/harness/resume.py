"""`run --resume`: continue an earlier result file only when the new run measures the same
thing — same suite, scenario definitions, dataset, machine and loaderbench version — so one
file never mixes runs that cannot be compared."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from loaderbench.errors import UsageError
from loaderbench.results.schema import RunResult
from loaderbench.scenarios.scenario import Scenario

# Fields of a scenario that do not change what it measures.
IGNORED_FIELDS = ("timeout_s", "tool_version")  # the version is checked run-wide
DATASET_KEYS = ("fingerprint", "key", "rows", "files", "numeric", "categorical", "n_classes")
ENV_KEYS = ("host", "cpu", "machine", "gpu")


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, sort_keys=True, default=str))


def definition(scenario: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in _plain(scenario).items() if k not in IGNORED_FIELDS}


def remaining(previous: RunResult, scenarios: Sequence[Scenario], where: str
              ) -> tuple[Scenario, ...]:
    """The scenarios `previous` lacks; exit 2 when one it has was defined differently."""
    done = {(s.name, s.device): s for s in previous.scenarios}
    for s in scenarios:
        old = done.get((s.name, s.device))
        if old is None or not old.scenario:
            continue
        before, now = definition(old.scenario), definition(s.to_dict())
        if before != now:
            diff = ", ".join(f"{k} {before.get(k)!r} -> {now.get(k)!r}"
                             for k in sorted(set(before) | set(now)) if before.get(k) != now.get(k))
            raise UsageError(f"cannot resume {where}: scenario {s.name!r} [{s.device}] was run "
                             f"with a different definition ({diff}); use --force or another --out")
    return tuple(s for s in scenarios if (s.name, s.device) not in done)


def _differences(label: str, before: dict, now: dict, keys: Sequence[str]) -> list[str]:
    return [f"{label} {k} {before[k]!r} -> {now[k]!r}" for k in keys
            if k in before and k in now and _plain(before[k]) != _plain(now[k])]


def check_compatible(previous: RunResult, fresh: RunResult, where: str) -> None:
    """Exit 2 naming what differs between the file's run and this one."""
    diffs = []
    if previous.suite != fresh.suite:
        diffs.append(f"suite {previous.suite!r} -> {fresh.suite!r}")
    diffs += _differences("dataset", previous.dataset, fresh.dataset, DATASET_KEYS)
    diffs += _differences("machine", previous.env, fresh.env, ENV_KEYS)
    diffs += _differences("loaderbench", previous.tool, fresh.tool, ("version",))
    if diffs:
        raise UsageError(f"cannot resume {where}: {'; '.join(diffs)}; run again with --force "
                         "to replace it, or choose another --out")
