"""--resume continues a file only when the new run measures the same thing."""

from __future__ import annotations

from dataclasses import replace

import pytest

from loaderbench.errors import UsageError
from loaderbench.harness import resume
from loaderbench.harness.worker import base_result
from loaderbench.results.schema import RunResult
from loaderbench.scenarios.scenario import Scenario

DONE = Scenario("a", "vectorized", {"batch_size": 64}, steps=10)
TODO = Scenario("b", "vectorized", {"batch_size": 128}, steps=10)


def previous(**changes) -> RunResult:
    run = RunResult(created="then", env={"host": "h", "cpu": "c"}, suite="tiny",
                    dataset={"fingerprint": "f1", "rows": 10}, tool={"version": "1"})
    return replace(run.with_scenario(base_result(DONE, "ok")), **changes)


def test_only_the_missing_scenarios_remain():
    assert resume.remaining(previous(), (DONE, TODO), "r.json") == (TODO,)


def test_a_timeout_change_does_not_block_a_resume():
    assert resume.remaining(previous(), (replace(DONE, timeout_s=5.0), TODO), "r.json") == (TODO,)


@pytest.mark.parametrize(("change", "said"), [
    ({"steps": 20}, "steps 10 -> 20"),
    ({"step": "none"}, "step 'mlp' -> 'none'"),
    ({"options": {"batch_size": 8}}, "options"),
    ({"repeats": 3}, "repeats 1 -> 3"),
    ({"check_values": False}, "check_values True -> False"),
])
def test_a_scenario_run_differently_is_refused(change, said):
    with pytest.raises(UsageError, match=f"cannot resume r.json: .*{said}"):
        resume.remaining(previous(), (replace(DONE, **change), TODO), "r.json")


@pytest.mark.parametrize(("field", "value", "said"), [
    ("suite", "other", "suite 'tiny' -> 'other'"),
    ("dataset", {"fingerprint": "f2", "rows": 10}, "dataset fingerprint 'f1' -> 'f2'"),
    ("env", {"host": "elsewhere", "cpu": "c"}, "machine host 'h' -> 'elsewhere'"),
    ("tool", {"version": "2"}, "loaderbench version '1' -> '2'"),
])
def test_a_run_of_other_data_machine_suite_or_version_is_refused(field, value, said):
    fresh = replace(previous(scenarios=()), **{field: value})
    with pytest.raises(UsageError, match=f"cannot resume r.json: {said}"):
        resume.check_compatible(previous(), fresh, "r.json")
    resume.check_compatible(previous(), previous(scenarios=()), "r.json")
