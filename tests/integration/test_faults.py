"""Fault tests with real processes (benchmarks/faults.py drives them): SIGTERM mid-scenario
leaves no process and keeps the finished scenario; kill -9 of the scenario process or of a
DataLoader worker fails that scenario only; a second run on the same --out is refused."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import faults
from bad_input_cases import GOOD_SUITE, Scratch

pytestmark = pytest.mark.slow


@pytest.fixture
def scratch(tmp_path, tiny_root) -> Scratch:
    suite = tmp_path / "good.toml"
    suite.write_text(GOOD_SUITE)
    return Scratch(tiny_root, suite, tmp_path / "unused.json")


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143)])
def test_a_signal_mid_scenario_leaves_no_process_and_keeps_what_finished(tmp_path, scratch, sig,
                                                                         code):
    rc, said = faults.signal_mid_scenario(sig)(tmp_path, scratch)
    assert rc == code, said
    assert "1 scenario kept" in said
    assert ", 0 left; temp folders left: 0" in said
    assert "stopped by SIGTERM" in said


@pytest.mark.parametrize(("level", "said"), [("scenario", "killed by SIGKILL"),
                                             ("worker", "failed: ")])
def test_kill_9_fails_that_scenario_only(tmp_path, scratch, level, said):
    rc, text = faults.kill_nine(level)(tmp_path, scratch)
    assert rc == 0, text
    assert "scenario 2 failed: " in text and said in text


def test_a_second_run_on_the_same_out_is_refused(tmp_path, scratch):
    rc, said = faults.concurrent(tmp_path, scratch)
    assert rc == 2
    assert "another loaderbench run is writing" in said
    assert "first run: exit 143" in said
