"""`gate` and `compare` end to end on constructed result files: step times are set, not
measured, so the verdicts do not depend on how busy the machine is (the statistics have
their own unit tests in tests/unit/test_gate.py)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from loaderbench.cli import main
from loaderbench.results.records import Timing
from loaderbench.results.schema import RunResult, ScenarioResult, StepSamples
from loaderbench.results.store import save


def steps(ms: float, wait_ms: float, seed: int, n: int = 200) -> StepSamples:
    """n steps of about `ms` (2% jitter), `wait_ms` of each waiting for data; 64 rows each."""
    times = ms / 1e3 * (1 + 0.02 * np.random.default_rng(seed).standard_normal(n))
    wait = np.minimum(times, wait_ms / 1e3)
    return StepSamples(tuple(wait), (0.0,) * n, tuple(times - wait), (64,) * n, (0,) * n,
                       (0,) * n, (False,) * n, (True,) + (False,) * (n - 1))


def scenario(name: str, ms: float, seed: int, device: str = "cpu",
             status: str = "ok") -> ScenarioResult:
    return ScenarioResult(name=name, loader="synthetic", device=device, status=status,
                          steps=steps(ms, ms / 2, seed), row_bytes=176,
                          reason="" if status == "ok" else "coverage: 5 duplicate rows",
                          timing=Timing(setup_s=(0.01,), loop_s=(1.0,), bookkeeping_s=(0.0,)))


def write(folder: Path, label: str, *scenarios: ScenarioResult, host: str = "ci") -> Path:
    path = folder / f"{label}.json"
    save(RunResult(created="2026-12-01T00:00:00+00:00", scenarios=scenarios,
                   env={"host": host, "cpu": "x86", "cores_logical": 2}), path)
    return path


@pytest.fixture
def files(tmp_path) -> dict[str, Path]:
    return {
        "base": write(tmp_path, "base", scenario("yardstick", 2.0, 1), scenario("other", 5.0, 2)),
        "again": write(tmp_path, "again", scenario("yardstick", 2.0, 3),
                       scenario("other", 5.0, 4)),
        "slow": write(tmp_path, "slow", scenario("yardstick", 4.0, 5), scenario("other", 5.0, 6),
                      host="laptop"),
        "fast": write(tmp_path, "fast", scenario("yardstick", 1.0, 7), scenario("other", 5.0, 8)),
        "failed": write(tmp_path, "failed", scenario("yardstick", 2.0, 9, status="failed"),
                        scenario("other", 5.0, 10)),
        "partial": write(tmp_path, "partial", scenario("yardstick", 2.0, 11)),
    }


def gate(files, capsys, base: str, cur: str, *extra: str) -> tuple[int, str, str]:
    code = main(["gate", str(files[base]), str(files[cur]), *extra])
    out = capsys.readouterr()
    return code, out.out, out.err


def verdicts(text: str) -> dict[str, str]:
    rows = [line.split("|") for line in text.splitlines() if line.startswith("| ")][1:]
    return {r[1].strip(): r[7].strip() for r in rows}


def test_gate_passes_on_the_same_step_times(files, capsys):
    code, out, err = gate(files, capsys, "base", "again")
    assert code == 0 and "gate: pass" in err
    assert verdicts(out) == {"yardstick": "same", "other": "same"}


def test_gate_fails_on_a_twice_slower_scenario(files, capsys):
    code, out, err = gate(files, capsys, "base", "slow")
    assert code == 1 and "REGRESSION" in err
    assert verdicts(out) == {"yardstick": "SLOWER", "other": "same"}
    assert "different machines" not in err  # another host name, the same machine type


def test_a_faster_scenario_passes(files, capsys):
    code, out, _ = gate(files, capsys, "base", "fast")
    assert code == 0 and verdicts(out)["yardstick"] == "faster"


def test_a_newly_failed_scenario_is_a_regression(files, capsys):
    code, out, _ = gate(files, capsys, "base", "failed")
    assert code == 1 and verdicts(out)["yardstick"] == "FAILED"


def test_a_missing_scenario_cannot_be_compared(files, capsys):
    code, out, err = gate(files, capsys, "base", "partial")
    assert code == 2 and "cannot compare" in err
    assert verdicts(out)["other"] == "missing"


def test_a_bad_threshold_exits_2(files, capsys):
    code, _, err = gate(files, capsys, "base", "slow", "--threshold", "150%")
    assert code == 2 and "--threshold must be between 0% and 100%" in err


def test_gate_cannot_compare_a_missing_file(files, capsys):
    assert main(["gate", str(files["base"]), str(files["base"].with_name("nope.json"))]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_gate_refuses_a_damaged_file_in_one_line(files, capsys):
    data = json.loads(files["again"].read_text())
    data["scenarios"][0]["steps"]["wait_s"][3] = "slow"
    files["again"].write_text(json.dumps(data))
    code, _, err = gate(files, capsys, "base", "again")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "scenarios[0].steps.wait_s[3]: expected a number, got 'slow'" in err


def test_gate_on_two_empty_files_cannot_compare(tmp_path, capsys):
    a, b = write(tmp_path, "a"), write(tmp_path, "b")
    assert main(["gate", str(a), str(b)]) == 2
    assert "nothing to compare" in capsys.readouterr().err


def test_one_step_a_side_is_insufficient_never_slower(tmp_path, capsys):
    one = [replace(scenario("yardstick", ms, seed), steps=steps(ms, ms / 2, seed, n=2))
           for ms, seed in ((2.0, 1), (20.0, 2))]
    code, out, _ = gate({"a": write(tmp_path, "a", one[0]), "b": write(tmp_path, "b", one[1])},
                        capsys, "a", "b")
    assert code == 2 and verdicts(out) == {"yardstick": "insufficient"}


def test_gate_refuses_different_machines_unless_allowed(files, tmp_path, capsys):
    other = {**files, "other": write(tmp_path, "other", scenario("yardstick", 2.0, 3),
                                     scenario("other", 5.0, 4))}
    data = json.loads(other["other"].read_text())
    data["env"]["cpu"] = "Other CPU"
    other["other"].write_text(json.dumps(data))
    code, _, err = gate(other, capsys, "base", "other")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "cpu: x86 -> Other CPU" in err and "--allow-different" in err
    code, out, err = gate(other, capsys, "base", "other", "--allow-different")
    assert code == 0 and "(different machines)" in out and "Other CPU" in err


def compare(files, capsys, *argv: str) -> tuple[int, str]:
    code = main(["compare", *argv])
    return code, capsys.readouterr().out


def test_compare_puts_runs_side_by_side(files, capsys):
    code, out = compare(files, capsys, str(files["base"]), str(files["slow"]),
                        "--labels", "2ms,4ms")
    assert code == 0
    rows = {line.split("|")[1].strip(): line for line in out.splitlines() if "| " in line}
    assert "(1x)" in rows["yardstick"] and "(0.5x)" in rows["yardstick"]  # samples/s halved
    assert "samples_per_s; (Nx) relative to 2ms" in out
    assert "2ms: ci, x86, 2 cores" in out and "4ms: laptop, x86, 2 cores" in out


def test_compare_by_name_and_another_metric(files, capsys):
    code, out = compare(files, capsys, str(files["base"]), str(files["fast"]), "--by", "name",
                        "--metric", "data_wait_fraction", "--format", "plain")
    assert code == 0
    line = next(x for x in out.splitlines() if x.startswith("yardstick"))
    assert "50% [cpu]" in line and "x)" not in line  # a share: no ratio


def test_compare_writes_csv_without_notes(files, capsys):
    code, out = compare(files, capsys, str(files["base"]), str(files["failed"]),
                        "--labels", "a,b", "--format", "csv")
    assert code == 0
    lines = out.strip().splitlines()
    assert lines[0] == "scenario,device,a,b" and len(lines) == 3
    assert lines[1].startswith("yardstick,cpu,") and lines[1].endswith(",failed")


@pytest.mark.parametrize(("argv", "message"), [
    (["--metric", "speed"], "unknown metric 'speed'; choose one of samples_per_s"),
    (["--labels", "only-one"], "--labels gives 1 names for 2 files"),
    (["--format", "fancy"], "unknown table format 'fancy'"),
])
def test_compare_bad_input_exits_2(files, capsys, argv, message):
    assert main(["compare", str(files["base"]), str(files["slow"]), *argv]) == 2
    assert message in capsys.readouterr().err
