"""The training-step registry, beside the loader registry: a plain dict of built-ins plus the
entry-point group ``loaderbench.steps`` (``name = "package.module:StepClass"``).

A suite names a step as `NAME` or `NAME:ARGUMENT` (`mlp`, `sleep:5`). The harness resolves
the name here when it plans a run, so a bad step exits 2 before anything runs; `scenarios`
only checks the spelling. Modules are imported only when a step is asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from loaderbench.errors import UsageError
from loaderbench.registry import entry_point_table, load

if TYPE_CHECKING:
    from loaderbench.steps.base import StepContext, TrainingStep

ENTRY_POINT_GROUP = "loaderbench.steps"

BUILTIN: dict[str, str] = {
    "mlp": "loaderbench.steps.mlp:MLPStep",
    "none": "loaderbench.steps.none:NoStep",
    "sleep": "loaderbench.steps.sleep:SleepStep",
    "spin": "loaderbench.steps.spin:SpinStep",
}


def registry() -> dict[str, str]:
    """Every step name and where it lives; built-ins win over a plugin of the same name."""
    return {**entry_point_table(ENTRY_POINT_GROUP), **BUILTIN}


def get(name: str) -> type[TrainingStep]:
    if name not in registry():
        raise UsageError(f"unknown training step {name!r}; known steps: {', '.join(usage())}")
    return load(name, registry(), "training step")


def usage() -> list[str]:
    """How each step is written in a suite: `mlp`, `sleep:MS`, ..."""
    out = []
    for name in registry():
        argument = get(name).argument
        out.append(f"{name}:{argument}" if argument else name)
    return out


def check(spec: str) -> str:
    """`spec` names a known step with a valid argument (a UsageError says why not)."""
    name, _, argument = spec.partition(":")
    get(name).parse(argument or None, spec)
    return spec


def build(spec: str, context: StepContext) -> TrainingStep:
    """The step a suite names, ready to call on batches."""
    name, _, argument = spec.partition(":")
    cls = get(name)
    return cls(context, cls.parse(argument or None, spec))
