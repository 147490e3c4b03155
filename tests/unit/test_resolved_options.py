"""Options are resolved once, when the run is planned, and results that ran different
configurations are told apart by `gate` and `compare`."""

from __future__ import annotations

import numpy as np

from loaderbench.harness.planning import batch_bytes
from loaderbench.harness.session import RunRequest, plan
from loaderbench.results import gate
from loaderbench.results.compare import compare
from loaderbench.results.options import option_differences
from loaderbench.results.schema import RunResult, ScenarioResult, StepSamples
from loaderbench.scenarios.dataset import batch_row_bytes

SUITE = """
[[scenario]]
loader = "arrow-native"
[[scenario]]
loader = "rowwise"
[scenario.options]
chunk_rows = 128
"""


def test_plan_records_every_option_with_its_default(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(SUITE)
    _, (arrow, rowwise) = plan(RunRequest(suite=str(path)))
    assert arrow.options["threads"] == 2 and arrow.options["batch_size"] == 4096
    assert rowwise.options["chunk_rows"] == 128 and rowwise.options["batch_size"] == 32
    assert arrow.name == "arrow-native" and rowwise.name == "rowwise chunk_rows=128"
    assert batch_bytes((rowwise, rowwise, arrow), 10) == [32 * batch_row_bytes(10),
                                                          4096 * batch_row_bytes(10)]


def test_differences_name_each_option_recorded_on_both_sides():
    assert option_differences({"threads": 2, "batch_size": 64}, {"threads": 4,
                                                                 "batch_size": 64}) == [
        "threads: 2 -> 4"]
    assert option_differences({"batch_size": 64}, {"batch_size": 64, "threads": 2}) == []


def result(options: dict, ms: float = 2.0) -> ScenarioResult:
    times = tuple(ms / 1e3 * (1 + 0.01 * np.sin(np.arange(200))))
    n = len(times)
    s = StepSamples(times, (0.0,) * n, (0.0,) * n, (64,) * n, (0,) * n, (0,) * n,
                    (False,) * n, (False,) * n)
    return ScenarioResult(name="arrow-native", loader="arrow-native", device="cpu",
                          status="ok", options=options, steps=s, row_bytes=176)


def run(*scenarios: ScenarioResult) -> RunResult:
    return RunResult(created="2026-12-02", env={}, scenarios=scenarios)


def test_gate_cannot_compare_different_configurations():
    base = run(result({"batch_size": 64, "threads": 2}))
    cur = run(result({"batch_size": 64, "threads": 4}))
    (v,) = gate.gate(base, cur)
    assert v.verdict == "different" and "threads: 2 -> 4" in v.note
    assert gate.exit_code([v]) == 2


def test_compare_marks_a_different_configuration_and_names_the_option():
    text = compare([run(result({"threads": 2})), run(result({"threads": 4}))], ["a", "b"])
    assert "≠" in text
    assert "≠ b / arrow-native: options differ from a: threads: 2 -> 4" in text
    same = compare([run(result({"threads": 2})), run(result({"threads": 2}))], ["a", "b"])
    assert "≠" not in same and "(1x)" in same
