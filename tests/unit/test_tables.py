"""The comparison table against a golden file (LOADERBENCH_UPDATE_GOLDEN=1 rewrites it)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from loaderbench.errors import UsageError
from loaderbench.results.schema import RunResult, ScenarioResult, StepSamples
from loaderbench.results.stats import step_metrics
from loaderbench.results.tables import render

GOLDEN = Path(__file__).parent.parent / "golden"


def scenario(name, loader, step_s, wait_s, rows=64, **extra):
    n = 20
    steps = StepSamples((wait_s,) * n, (0.0,) * n, (step_s - wait_s,) * n, (rows,) * n,
                        (0,) * n, (0,) * n, (False,) * n, (True,) + (False,) * (n - 1))
    checks = {"coverage": "exact", "values": "ok (50 rows)", "duplicates": 0, "missing": 0}
    return ScenarioResult(name=name, loader=loader, device="cpu", status="ok", steps=steps,
                          metrics=step_metrics(steps, 176), checks=checks, **extra)


def golden_run() -> RunResult:
    dup = scenario("sharded sharding=none", "sharded", 0.002, 0.001).with_(
        status="failed", reason="coverage: 3,000 duplicate rows",
        checks={"coverage": "exact", "duplicates": 3000, "missing": 0, "values": "ok"})
    return RunResult(created="2026-11-28T00:00:00+00:00", env={}, scenarios=(
        scenario("rowwise batch_size=64", "rowwise", 1.5, 1.49),
        scenario("vectorized batch_size=64", "vectorized", 0.0025, 0.0012),
        dup,
        ScenarioResult(name="vectorized batch_size=64", loader="vectorized", device="cuda",
                       status="skipped", reason="no CUDA device is visible"),
    ))


@pytest.mark.parametrize(("fmt", "baseline"), [("github", None), ("plain", "vectorized")])
def test_table_matches_golden(fmt, baseline):
    text = render(golden_run(), fmt, baseline) + "\n"
    path = GOLDEN / f"table-{fmt}-{baseline or 'slowest'}.txt"
    if os.environ.get("LOADERBENCH_UPDATE_GOLDEN"):
        path.write_text(text)
    assert text == path.read_text()


def test_unknown_baseline_is_a_usage_error():
    with pytest.raises(UsageError, match="--baseline 'nope'"):
        render(golden_run(), "github", "nope")


def test_long_set_up_times_are_a_footnote():
    slow = scenario("manual-slice batch_size=1024", "manual-slice", 0.002, 0.0001,
                    timing={"setup_s": 2.5})
    repeated = scenario("tensor-dataset", "tensor-dataset", 0.002, 0.001,
                        timing={"setup_s": [1.0, 3.0, 2.0]})
    quick = scenario("vectorized", "vectorized", 0.002, 0.001, timing={"setup_s": 0.01})
    text = render(RunResult(created="x", env={}, scenarios=(slow, repeated, quick)))
    assert "set-up, timed apart from the steps (not in the rates):\n" in text
    assert "  manual-slice batch_size=1024 [cpu]: 2.50 s" in text
    assert "  tensor-dataset [cpu]: 2.00 s" in text  # the median over repeats
    assert "vectorized [cpu]:" not in text
