"""Whether two results ran the same configuration: their resolved options, compared.

A scenario records every option of its loader as resolved when the run was planned
(defaults included), so a changed default shows up here. Files written before loaderbench
recorded resolved options hold only the options the suite set: an option recorded on one side
only cannot be compared and is left out, rather than flagged on every old file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def option_differences(base: Mapping[str, Any], current: Mapping[str, Any]) -> list[str]:
    """`name: old -> new` for each option recorded on both sides with different values."""
    return [f"{name}: {base[name]!r} -> {current[name]!r}"
            for name in sorted(set(base) & set(current)) if base[name] != current[name]]
