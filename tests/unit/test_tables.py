"""The comparison and details tables against golden files (LOADERBENCH_UPDATE_GOLDEN=1
rewrites them)."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

from loaderbench.errors import UsageError
from loaderbench.results.details import between_steps, pinned_ceiling, render_details
from loaderbench.results.records import (
    Checks,
    EpochCheck,
    Pinning,
    Resources,
    Timing,
    Transfer,
    ValueCheck,
)
from loaderbench.results.schema import RunResult, ScenarioResult, StepSamples
from loaderbench.results.tables import render

GOLDEN = Path(__file__).parent.parent / "golden"
ROW_BYTES = 176
BATCH_BYTES = 64 * ROW_BYTES


def scenario(name, loader, step_s, wait_s, rows=64, device="cpu", transfer_s=0.0, jitter=0.0,
             **extra):
    n = 20
    steps = StepSamples((wait_s,) * n, (transfer_s,) * n,
                        tuple(step_s - wait_s - transfer_s + jitter * (i % 4) for i in range(n)),
                        (rows,) * n, (0,) * n, (0,) * n, (False,) * n,
                        (True,) + (False,) * (n - 1))
    timing = Timing(setup_s=(0.25,), epoch_s=(0.5,), loop_s=(1.0,), bookkeeping_s=(0.01,),
                    sync="none (cpu work is synchronous)" if device == "cpu"
                    else "torch.cuda.synchronize", clock="time.perf_counter",
                    device_timer="none" if device == "cpu" else "torch.cuda.Event")
    timing = replace(timing, **extra.pop("timing", {}))
    transfer = Transfer(Pinning.NOT_APPLICABLE) if device == "cpu" else \
        Transfer(Pinning.LOADER, non_blocking=True)
    return ScenarioResult(name=name, loader=loader, device=device, status="ok", steps=steps,
                          row_bytes=ROW_BYTES, checks=exact_checks(), timing=timing,
                          transfer=transfer, resources=Resources(peak_rss_mib=(512.0,),
                                                                 cpu_cores_busy=(1.5,)),
                          **extra)


def exact_checks(duplicates: int = 0) -> Checks:
    return Checks(values=ValueCheck.OK, value_rows=50,
                  epochs=(EpochCheck(0, True, 1000 + duplicates, duplicates, 0),))


CALIBRATION = {"host_copy_gbps": 10.0, "scan_rows_per_s": 1_000_000.0, "devices": {"cuda": {
    "batch_bytes": BATCH_BYTES, "h2d_pinned_gbps_large": 25.0, "h2d_pageable_gbps_large": 10.0,
    "h2d_pinned_gbps_batch": 2.0, "h2d_pageable_gbps_batch": 1.0,
    "h2d_pinned_gbps_by_bytes": {str(BATCH_BYTES): 2.0}}}}


def golden_run() -> RunResult:
    dup = scenario("sharded sharding=none", "sharded", 0.002, 0.001).with_(
        status="failed", reason="coverage: 3,000 duplicate rows", checks=exact_checks(3000))
    # transfer of 64 rows x 176 B in 11.264 us = 1 GB/s: 50% of the 2 GB/s pinned ceiling
    gpu = scenario("vectorized batch_size=64", "vectorized", 0.001, 0.0002, device="cuda",
                   transfer_s=11.264e-6, timing={"bookkeeping_s": (0.2,)})
    return RunResult(created="2026-11-28T00:00:00+00:00", env={}, calibration=CALIBRATION,
                     scenarios=(
        scenario("rowwise batch_size=64", "rowwise", 1.5, 1.49),
        scenario("vectorized batch_size=64", "vectorized", 0.0025, 0.0012, jitter=0.0005),
        dup,
        gpu,
        ScenarioResult(name="vectorized batch_size=64", loader="vectorized", device="mps",
                       status="skipped", reason="MPS is not available on this machine"),
    ))


@pytest.mark.parametrize(("fmt", "baseline"), [("github", None), ("plain", "vectorized")])
def test_table_matches_golden(fmt, baseline):
    text = render(golden_run(), fmt, baseline) + "\n"
    assert_golden(text, f"table-{fmt}-{baseline or 'slowest'}.txt")


def test_details_table_matches_golden():
    assert_golden(render_details(golden_run(), "github") + "\n", "details-github.txt")


def assert_golden(text: str, name: str) -> None:
    path = GOLDEN / name
    if os.environ.get("LOADERBENCH_UPDATE_GOLDEN"):
        path.write_text(text)
    assert text == path.read_text()


def test_unstable_scenarios_are_marked_with_their_reason():
    run = golden_run()
    steady = run.scenarios[1]  # periodic step times (IQR 21% of the median), steady rate
    times = [0.0025 * (1 + i / 5) for i in range(len(steady.steps))]  # each step slower
    drifting = steady.with_(steps=replace(steady.steps, wait_s=tuple(times),
                                          transfer_s=(0.0,) * len(times),
                                          compute_s=(0.0,) * len(times)))
    text = render(RunResult(created=run.created, env={}, scenarios=(steady,)), "github")
    assert [c.strip() for c in text.splitlines()[2].split("|")][1:4] == \
        ["vectorized batch_size=64", "cpu", "304"]
    text = render(RunResult(created=run.created, env={}, scenarios=(drifting,)), "github")
    assert [c.strip() for c in text.splitlines()[2].split("|")][3].endswith(" ~")
    assert "~ vectorized batch_size=64 [cpu] unstable: steps/s 95% interval ±" in text


def test_details_show_shares_of_the_calibration():
    run = golden_run()
    rows = {(line.split("|")[1].strip(), line.split("|")[2].strip()): line.split("|")
            for line in render_details(run).splitlines()[2:] if line.startswith("|")}
    gpu = [c.strip() for c in rows[("vectorized batch_size=64", "cuda")]]
    assert gpu[9:12] == ["1", "50%", "loader pin, non_blocking"]  # GB/s, % pinned, transfer
    cpu = [c.strip() for c in rows[("vectorized batch_size=64", "cpu")]]
    assert cpu[8] == "1.9%"  # 19,456 rows/s of the scan's 1,000,000
    assert cpu[9:11] == ["-", "-"]  # no transfer on cpu
    assert pinned_ceiling(run, run.scenarios[3]) == 2.0


def test_unknown_baseline_is_a_usage_error():
    with pytest.raises(UsageError, match="--baseline 'nope'"):
        render(golden_run(), "github", "nope")


def test_long_set_up_times_are_a_footnote():
    slow = scenario("manual-slice batch_size=1024", "manual-slice", 0.002, 0.0001,
                    timing={"setup_s": (2.5,)})
    repeated = scenario("tensor-dataset", "tensor-dataset", 0.002, 0.001,
                        timing={"setup_s": (1.0, 3.0, 2.0)})
    quick = scenario("vectorized", "vectorized", 0.002, 0.001, timing={"setup_s": (0.01,)})
    text = render(RunResult(created="x", env={}, scenarios=(slow, repeated, quick)))
    assert "set-up, timed apart from the steps (not in the rates):\n" in text
    assert "  manual-slice batch_size=1024 [cpu]: 2.50 s" in text
    assert "  tensor-dataset [cpu]: 2.00 s" in text  # the median over repeats
    assert "vectorized [cpu]:" not in text


def test_csv_is_the_table_alone():
    lines = render(golden_run(), "csv").splitlines()
    assert lines[0] == "scenario,device,steps/s,samples/s,ms/step p50,p90,data wait,speedup,checks"
    assert len(lines) == 1 + len(golden_run().scenarios)  # no footnotes after CSV
    assert lines[3].startswith('sharded sharding=none,cpu,') and "DUPLICATES 3,000" in lines[3]


def test_unknown_format_lists_csv_among_the_choices():
    with pytest.raises(UsageError, match="unknown table format 'fancy'.*csv"):
        render(golden_run(), "fancy")


def test_the_checks_share_is_told_apart_from_the_harness_records():
    timing = Timing(setup_s=(0.25,), epoch_s=(0.5,), loop_s=(1.0,), bookkeeping_s=(0.2,),
                    checks_s=(0.05,))
    s = replace(scenario("syn", "synthetic", 0.01, 0.001), timing=timing)
    assert between_steps(s) == (f"{s.name} [{s.device}]: the checks took 5% and the harness's "
                                "own records between steps 15% of the loop's wall time "
                                "(outside the timed steps; workers ran on meanwhile)")
    older = replace(s, timing=replace(s.timing, checks_s=()))
    assert "checks between steps took 20%" in between_steps(older)
