"""A pytest plugin (entry point `pytest11`): the `loaderbench_scenario` fixture runs one
loaderbench scenario under pytest-benchmark's `benchmark`, so `--benchmark-autosave`,
`--benchmark-compare` and `--benchmark-compare-fail=mean:10%` gate it like any benchmark.

    def test_arrow_native(loaderbench_scenario):
        loaderbench_scenario("arrow-native", batch_size=4096, threads=2, steps=50)

Each benchmark round is one training step exactly as the harness runs it: wait for the
loader's next batch, copy it to the device, run the training step, synchronising the device
between parts. Warmup rounds are not counted. The coverage and value checks run between
rounds, untimed, and a failed check fails the test. Unlike `loaderbench run`, the scenario
runs in the test's own process (no fresh process per scenario).

This module imports nothing heavy at import time: pytest loads it into every test run of
an environment where loaderbench is installed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest


@dataclass(frozen=True)
class ScenarioRun:
    """What one `loaderbench_scenario(...)` call measured, beside pytest-benchmark's stats."""

    loader: str
    options: Mapping[str, Any]
    device: str
    rows_per_step: int
    checks: Any  # the checks record, as in a result file


def _prepare(data: Path | None, dataset: Mapping[str, Any] | None) -> Any:
    from loaderbench.harness.prepare import prepare
    from loaderbench.scenarios.dataset import DatasetSpec

    return prepare(DatasetSpec(**(dataset or {})), data)


def _epochs(loader: Any, end_epoch: Callable[[int, bool], None], at: list[int]
            ) -> Iterator[Any]:
    """Batches across epochs, as a training loop that runs until told to stop; `at` holds
    the epoch under way."""
    while True:
        yield from loader.epoch(at[0])
        end_epoch(at[0], True)
        at[0] += 1


def _steps(job: Any, loader: Any, checker: Any
           ) -> tuple[Callable[[], None], Callable[[], None], Callable[[], None]]:
    """The timed step, the untimed check of the previous step's batch, and the end."""
    import torch

    from loaderbench.harness import devices
    from loaderbench.harness import transfer as transfer_mod
    from loaderbench.steps import build as build_step
    from loaderbench.steps.base import StepContext

    s = job.scenario
    move = transfer_mod.plan(s.device, s.transfer, loader_pins=loader.pins_memory(),
                             non_blocking=s.non_blocking,
                             pin_option=bool(getattr(loader.options, "pin_memory", False)),
                             on_device=loader.yields_on_device).function()
    train = build_step(s.step, StepContext(checker.preprocessor.n_features, job.n_classes,
                                           torch.device(s.device), s.seed))
    sync, at = devices.synchronizer(s.device), [0]
    batches = _epochs(loader, checker.end_epoch, at)
    last: list[Any] = []

    def step() -> None:
        batch = next(batches)
        sync()
        on_device = move(batch)
        sync()
        train(on_device)
        sync()
        last[:] = [on_device]

    def check() -> None:
        if last:
            checker.observe(last.pop())

    def finish() -> None:
        check()
        batches.close()  # stops the epoch's iterator (and a DataLoader's workers)
        checker.end_epoch(at[0], False)

    return step, check, finish


def run_under(benchmark: Any, loader_name: str, options: Mapping[str, Any], device: str = "cpu",
              step: str = "none", steps: int = 50, warmup: int = 5, data: Path | None = None,
              dataset: Mapping[str, Any] | None = None) -> ScenarioRun:
    """Build the scenario as the harness does and time its steps with `benchmark`."""
    from loaderbench.harness.planning import resolve
    from loaderbench.harness.protocol import Job
    from loaderbench.harness.worker import build_loader
    from loaderbench.scenarios.scenario import Scenario

    prepared = _prepare(data, dataset)
    (scenario,) = resolve([Scenario(name=f"{loader_name} (pytest)", loader=loader_name,
                                    options=dict(options), device=device, step=step,
                                    steps=steps, warmup=warmup)])
    job = Job(scenario=scenario, repeat=0, source=prepared.source.to_dict(),
              preprocessor=str(prepared.preprocessor_path), n_classes=prepared.n_classes)
    loader, checker = build_loader(job)
    loader.setup()
    try:
        timed, check, finish = _steps(job, loader, checker)
        benchmark.pedantic(timed, setup=check, rounds=steps, warmup_rounds=warmup,
                           iterations=1)
        finish()
    finally:
        loader.close()
    checks, failure = checker.verdict()
    if failure:
        pytest.fail(f"loaderbench checks failed for {loader_name}: {failure}", pytrace=False)
    rows = int(options.get("batch_size", getattr(loader.options, "batch_size", 0)))
    benchmark.extra_info.update({"loader": loader_name, "options": dict(options),
                                 "device": scenario.device, "step": step,
                                 "rows_per_step": rows})
    return ScenarioRun(loader_name, dict(options), scenario.device, rows, checks)


@pytest.fixture
def loaderbench_scenario(request: pytest.FixtureRequest) -> Callable[..., ScenarioRun]:
    """`loaderbench_scenario(LOADER, device=, step=, steps=, warmup=, data=, dataset=,
    **loader_options)`: run one scenario under pytest-benchmark (one round per step)."""
    try:
        benchmark = request.getfixturevalue("benchmark")
    except pytest.FixtureLookupError:
        pytest.fail("loaderbench_scenario needs pytest-benchmark: pip install pytest-benchmark",
                    pytrace=False)

    def run(loader: str, *, device: str = "cpu", step: str = "none", steps: int = 50,
            warmup: int = 5, data: Path | None = None, dataset: Mapping[str, Any] | None = None,
            **options: Any) -> ScenarioRun:
        return run_under(benchmark, loader, options, device, step, steps, warmup, data, dataset)

    return run
