"""Planning a run, before anything runs: every name resolved and every value checked, so bad
input exits 2 at once. The harness resolves loader and step names in their registries
(`scenarios` never imports them) and records each scenario's options in full."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

from loaderbench import steps
from loaderbench.harness import devices
from loaderbench.loaders import get as get_loader
from loaderbench.loaders.base import build_options, resolved
from loaderbench.scenarios.dataset import batch_row_bytes
from loaderbench.scenarios.scenario import Scenario


def resolve(scenarios: Sequence[Scenario]) -> tuple[Scenario, ...]:
    """The scenarios with their steps checked, options resolved and devices picked."""
    for spec in sorted({s.step for s in scenarios}):
        steps.check(spec)
    return tuple(resolve_devices(resolve_options(scenarios)))


def resolve_options(scenarios: Sequence[Scenario]) -> list[Scenario]:
    """Each scenario with every option of its loader, defaults included: an unknown loader,
    option or bad value is a UsageError here."""
    return [replace(s, options=resolved(build_options(get_loader(s.loader).Options, s.options,
                                                      s.loader)))
            for s in scenarios]


def resolve_devices(scenarios: Sequence[Scenario]) -> list[Scenario]:
    return [replace(s, device=devices.resolve(s.device)) for s in scenarios]


def batch_bytes(scenarios: Sequence[Scenario], n_features: int) -> list[int]:
    """The bytes of a batch at each batch size the run uses, the most common first (options
    are resolved: each scenario has its loader's real batch size)."""
    sizes = Counter(int(s.options["batch_size"]) for s in scenarios)
    return [size * batch_row_bytes(n_features) for size, _ in sizes.most_common()]
