"""Reader of schema-1 files: their JSON rewritten into schema 2's shape, then validated as
any schema-2 file is.

Schema 1 kept phrases where schema 2 keeps facts; this module is the only place that reads
those phrases (`pinning: "n/a (the loader copies)"`, `coverage: "n/a (...)"`, `values: "ok
(2,000 rows)"`), and only to turn them into the typed fields once. Its stored metrics carry
no counting rule, so they are ignored and derived again from the raw steps.
"""

from __future__ import annotations

import re
from typing import Any

from loaderbench.results.codec import wrong

TRANSFER_KEYS = ("transfer_mode", "pinning", "non_blocking", "pinned_batches")
PER_REPEAT = ("setup_s", "loop_s", "bookkeeping_s")


def upgrade(data: dict[str, Any]) -> dict[str, Any]:
    """A schema-1 run as a schema-2 dict (not yet validated)."""
    scenarios = data.get("scenarios", [])
    if not isinstance(scenarios, list):
        raise wrong("scenarios", "a list", scenarios)
    return {**data, "schema_version": 2,
            "scenarios": [scenario(s, f"scenarios[{i}]") for i, s in enumerate(scenarios)]}


def _object(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise wrong(where, "an object", value)
    return value


def scenario(s: Any, where: str) -> dict[str, Any]:
    s = _object(s, where)
    timing = _object(s.get("timing"), f"{where}.timing")
    metrics = _object(s.get("metrics"), f"{where}.metrics")
    out = {k: v for k, v in s.items() if k not in ("timing", "checks", "resources", "metrics")}
    out["row_bytes"] = metrics.get("row_bytes") or 0
    out["timing"] = upgrade_timing(timing)
    if "traceback" in timing:
        out["traceback"] = timing["traceback"]
    if "pinning" in timing:
        out["transfer"] = transfer(timing)
    checks = _object(s.get("checks"), f"{where}.checks")
    if checks:
        out["checks"] = upgrade_checks(checks, f"{where}.checks")
    resources = _object(s.get("resources"), f"{where}.resources")
    out["resources"] = {k: [v] for k, v in resources.items()}
    return out


def upgrade_timing(timing: dict[str, Any]) -> dict[str, Any]:
    """Schema 1 kept a single repeat's setup/loop/bookkeeping as scalars: now lists."""
    out = {k: v for k, v in timing.items() if k not in (*TRANSFER_KEYS, "traceback")}
    for key in PER_REPEAT:
        value = out.get(key)
        if not isinstance(value, list):
            out[key] = [] if value is None else [value]
    return out


def pinning(phrase: Any) -> Any:
    if not isinstance(phrase, str):
        return phrase  # left for the schema-2 validation to name
    if phrase.startswith("n/a (the loader"):
        return "in-loader"
    return "n/a" if phrase.startswith("n/a") else phrase


def transfer(timing: dict[str, Any]) -> dict[str, Any]:
    return {"pinning": pinning(timing["pinning"]), "mode": timing.get("transfer_mode", ""),
            "non_blocking": timing.get("non_blocking"),
            "pinned_batches": timing.get("pinned_batches")}


VALUE_ROWS = re.compile(r"ok \(([\d,]+) rows\)")


def upgrade_checks(checks: dict[str, Any], where: str) -> dict[str, Any]:
    coverage, values = checks.get("coverage", ""), checks.get("values", "")
    if not isinstance(coverage, str) or not isinstance(values, str):
        raise wrong(where, "coverage and values as words", (coverage, values))
    contract = checks.get("contract")
    rows = VALUE_ROWS.fullmatch(values)
    return {
        "covers_dataset": not coverage.startswith("n/a"),
        "contract_error": None if contract in (None, "ok") else contract,
        "values": "ok" if values.startswith("ok") else "mismatch" if values == "mismatch"
        else "skipped" if values.startswith("skipped") else "not checked",
        "value_rows": int(rows.group(1).replace(",", "")) if rows else 0,
        "allowed_missing": checks.get("allowed_missing") or 0,
        "epochs": checks.get("epochs", []),
    }
