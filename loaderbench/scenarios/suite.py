"""Suites: TOML files of scenarios with parameter grids, expanded into Scenario objects.

    [suite]                      name, description
    [suite.defaults]             any Scenario field (device, step, steps, warmup, ...)
    [dataset]                    DatasetSpec fields for the generated dataset
    [data]                       your own data instead: path (folder, file or glob; relative
                                 to the current folder), label, id, numeric, categorical,
                                 exclude, task, drop_null_labels, fit_rows (roles.py); the
                                 command line's --data and role options override it. Role keys
                                 written in [dataset] are read as [data] keys.
    [[scenario]]                 loader = "...", Scenario fields, and an [scenario.options]
                                 table; a list value anywhere is a grid axis

`batch_size = [256, 4096]` in an options table gives two scenarios; lists in several places
give their cartesian product.
"""

from __future__ import annotations

import itertools
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field, fields, replace
from importlib import resources
from pathlib import Path
from typing import Any

from loaderbench.errors import UsageError
from loaderbench.scenarios.dataset import DatasetSpec
from loaderbench.scenarios.roles import RoleRequest
from loaderbench.scenarios.scenario import Scenario

SCENARIO_FIELDS = {f.name for f in fields(Scenario)} - {"name", "loader", "options"}
DATA_KEYS = {f.name for f in fields(RoleRequest)} | {"path"}


@dataclass(frozen=True)
class Suite:
    name: str
    description: str
    dataset: DatasetSpec
    scenarios: tuple[Scenario, ...]
    data: str | None = None
    roles: RoleRequest = field(default_factory=RoleRequest)


def shipped() -> dict[str, str]:
    """Shipped suite names and their one-line descriptions."""
    out = {}
    for item in sorted(resources.files("loaderbench.scenarios").joinpath("suites").iterdir(),
                       key=lambda p: p.name):
        if item.name.endswith(".toml"):
            data = tomllib.loads(item.read_text(encoding="utf-8"))
            out[item.name[:-5]] = data.get("suite", {}).get("description", "")
    return out


def load(name_or_path: str) -> Suite:
    """A shipped suite by name, or a user's TOML file by path (a folder that happens to bear
    a shipped suite's name, like ./ci, does not hide the suite)."""
    path = Path(name_or_path)
    if path.suffix == ".toml" or path.is_file() or (path.exists()
                                                     and name_or_path not in shipped()):
        text, label = read_suite_file(path), str(path)
    elif name_or_path in shipped():
        res = resources.files("loaderbench.scenarios").joinpath("suites", f"{name_or_path}.toml")
        text, label = res.read_text(encoding="utf-8"), name_or_path
    else:
        raise UsageError(f"unknown suite {name_or_path!r}; shipped suites: "
                         f"{', '.join(shipped())} (or give the path of a .toml file)")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise UsageError(f"suite {label} is not valid TOML: {err}") from None
    return parse(data, label)


def read_suite_file(path: Path) -> str:
    if not path.exists():
        raise UsageError(f"suite file {path} does not exist")
    if not path.is_file():
        raise UsageError(f"suite {path} is not a file; give the path of a .toml file")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise UsageError(f"suite file {path} is not UTF-8 text (byte {err.start}); save it as "
                         "UTF-8") from None
    except OSError as err:
        raise UsageError(f"cannot read suite file {path} ({err.strerror})") from None


def toml_table(data: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    """`data[key]` when it is a TOML table (empty when absent)."""
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise UsageError(f"suite {where}: {key} must be a table ([{key}]), got {value!r}")
    return value


def text_field(head: dict[str, Any], key: str, default: str, label: str) -> str:
    value = head.get(key, default)
    if not isinstance(value, str):
        raise UsageError(f"suite {label}: [suite] {key} must be a string, got {value!r}")
    return value


def parse(data: dict[str, Any], label: str) -> Suite:
    head = toml_table(data, "suite", label)
    defaults = toml_table(head, "defaults", f"{label} [suite]")
    _check_fields(defaults, f"{label} [suite.defaults]")
    entries = data.get("scenario", [])
    if isinstance(entries, dict):
        raise UsageError(f"suite {label}: write each scenario as [[scenario]] (an array of "
                         "tables), not [scenario]")
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise UsageError(f"suite {label}: scenario must be [[scenario]] tables")
    if not entries:
        raise UsageError(f"suite {label} has no [[scenario]] entries")
    scenarios = [s for entry in entries for s in expand(entry, defaults, label)]
    spec, table = _data_tables(data, label)
    return Suite(text_field(head, "name", Path(label).stem, label),
                 text_field(head, "description", "", label),
                 DatasetSpec.from_dict(spec), unique_names(scenarios), table.get("path"),
                 RoleRequest.from_dict(table, f"{label} [data]"))


def _data_tables(data: dict[str, Any], label: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """([dataset] for the generator, [data] for your own data): role keys in [dataset]
    move to [data]."""
    spec = dict(toml_table(data, "dataset", label))
    table = dict(toml_table(data, "data", label))
    for key in [k for k in spec if k in DATA_KEYS]:
        table.setdefault(key, spec.pop(key))
    path = table.get("path")
    if path is not None and not isinstance(path, str):
        raise UsageError(f"suite {label} [data] path must be a string, got {path!r}")
    return spec, table


def _check_fields(table: dict[str, Any], where: str) -> None:
    unknown = sorted(set(table) - SCENARIO_FIELDS)
    if unknown:
        raise UsageError(f"{where}: unknown field(s) {', '.join(unknown)}; known: "
                         f"{', '.join(sorted(SCENARIO_FIELDS))}")


def grid(values: dict[str, Any], where: str = "suite") -> list[dict[str, Any]]:
    """Cartesian product over the list-valued entries of `values`."""
    keys = list(values)
    axes = [v if isinstance(v, list) else [v] for v in values.values()]
    for key, axis in zip(keys, axes, strict=True):
        if not axis:
            raise UsageError(f"{where}: {key} = [] is an empty grid axis; give at least one value")
        bad = next((v for v in axis if isinstance(v, list | dict)), None)
        if bad is not None:
            raise UsageError(f"{where}: {key} holds {bad!r}; a grid axis is a list of plain "
                             "values")
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*axes)]


def expand(entry: dict[str, Any], defaults: dict[str, Any], label: str) -> list[Scenario]:
    entry = dict(entry)
    loader = entry.pop("loader", None)
    if not isinstance(loader, str):
        raise UsageError(f"suite {label}: every [[scenario]] needs loader = \"name\"")
    where = f"suite {label} scenario {loader!r}"
    options = toml_table(entry, "options", f"{label} scenario {loader!r}")
    entry.pop("options", None)
    given_name = entry.pop("name", None)
    if given_name is not None and not isinstance(given_name, str):
        raise UsageError(f"{where}: name must be a string, got {given_name!r}")
    _check_fields(entry, f"{label} scenario {loader!r}")
    varied = [k for k, v in entry.items() if isinstance(v, list)]
    base = _without_other_length(defaults, entry)
    out = []
    for fields_ in grid(entry, where):
        for opts in grid(options, f"{where} options"):
            name = given_name or scenario_name(loader, opts, {k: fields_[k] for k in varied})
            out.append(Scenario(name=name, loader=loader, options=opts, **{**base, **fields_}))
    return out


def _without_other_length(defaults: dict[str, Any], entry: dict[str, Any]) -> dict[str, Any]:
    """`epochs` replaces `steps` and the other way round: in the defaults (over Scenario's own
    default of steps) and in a scenario (over the defaults)."""
    base = dict(defaults)
    for table in (defaults, entry):
        for mine, other in (("epochs", "steps"), ("steps", "epochs")):
            if mine in table and other not in table:
                base[other] = None
    return base


def scenario_name(loader: str, options: dict[str, Any], varied: dict[str, Any]) -> str:
    parts = [loader] + [f"{k}={_short(v)}" for k, v in {**options, **varied}.items()]
    return " ".join(parts)


def _short(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def unique_names(scenarios: list[Scenario]) -> tuple[Scenario, ...]:
    seen: dict[str, int] = {}
    out = []
    for s in scenarios:
        key = f"{s.name}@{s.device}"
        seen[key] = seen.get(key, 0) + 1
        out.append(s if seen[key] == 1 else replace(s, name=f"{s.name} #{seen[key]}"))
    return tuple(out)


def select(scenarios: Sequence[Scenario], loaders: Sequence[str] | None = None,
           devices: Sequence[str] | None = None, **overrides: Any) -> tuple[Scenario, ...]:
    """Keep the scenarios of `loaders`, run each on every one of `devices`, apply overrides.

    `steps` and `epochs` replace each other: giving one clears the other.
    """
    chosen = list(scenarios)
    if loaders:
        present = {s.loader for s in chosen}
        absent = [n for n in loaders if n not in present]
        if absent:
            raise UsageError(f"this suite has no scenario for loader(s) {', '.join(absent)}; "
                             f"its loaders: {', '.join(sorted(present))}")
        chosen = [s for s in chosen if s.loader in loaders]
    if devices:
        chosen = [replace(s, device=d) for s in chosen for d in devices]
    changes = {k: v for k, v in overrides.items() if v is not None}
    if "steps" in changes:
        changes["epochs"] = None
    elif "epochs" in changes:
        changes["steps"] = None
    if "steps" in changes or "epochs" in changes:
        changes["max_time_s"] = None  # an explicit length replaces an adaptive one
    return unique_names([replace(s, **changes) for s in chosen]) if changes or devices \
        else tuple(chosen)
