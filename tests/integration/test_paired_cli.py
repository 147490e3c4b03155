"""A paired job end to end (`run --baseline-out`): real worker processes on both sides, the
baseline under another interpreter (a wrapper script), forked from one server per side; then
`gate` judges the two files round by round. The verdicts' statistics are tested on set step
times in tests/unit/test_gate_paired.py, so nothing here depends on how busy the machine is."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import loaderbench
from loaderbench.cli import main
from loaderbench.harness import paired

SUITE = """
[suite]
name = "pair"
[suite.defaults]
device = "cpu"
step = "none"
warmup = 1
steps = 20
repeats = 3
[[scenario]]
loader = "synthetic"
[scenario.options]
batch_size = 16
latency_ms = 1.0
[[scenario]]
loader = "vectorized"
repeats = 2
[scenario.options]
batch_size = 64
"""


@pytest.fixture(scope="module")
def wrapper(tmp_path_factory) -> Path:
    """Another interpreter path: a script that runs this Python on this checkout."""
    root = Path(loaderbench.__file__).resolve().parents[1]
    path = tmp_path_factory.mktemp("py") / "baseline-python"
    path.write_text(f'#!/bin/sh\nPYTHONPATH={root} exec {sys.executable} "$@"\n')
    path.chmod(0o755)
    return path


@pytest.fixture(scope="module")
def job(tmp_path_factory, tiny_root, wrapper):
    folder = tmp_path_factory.mktemp("paired")
    suite = folder / "pair.toml"
    suite.write_text(SUITE)
    proc = subprocess.run([sys.executable, "-m", "loaderbench", "run", "--suite", str(suite),
                           "--data", str(tiny_root), "--no-calibrate", "--fork-server",
                           "--out", str(folder / "cur.json"), "--baseline-out",
                           str(folder / "base.json"), "--baseline-python", str(wrapper),
                           "--inject-slowdown", "50%"],
                          capture_output=True, text=True, timeout=600, env=dict(os.environ))
    return proc, folder


def sides(folder: Path) -> tuple[dict, dict]:
    return (json.loads((folder / "base.json").read_text()),
            json.loads((folder / "cur.json").read_text()))


@pytest.mark.slow
def test_both_sides_are_written_and_say_they_are_one_pair(job, wrapper):
    proc, folder = job
    assert proc.returncode == 0, proc.stderr
    assert "baseline and current interleaved, round by round" in proc.stderr
    base, cur = sides(folder)
    assert base["tool"]["paired"]["id"] == cur["tool"]["paired"]["id"]
    assert (base["tool"]["paired"]["side"], cur["tool"]["paired"]["side"]) == \
        ("baseline", "current")
    assert base["tool"]["paired"]["python"] == str(wrapper)
    assert cur["tool"]["paired"]["python"] == sys.executable
    for data in (base, cur):
        assert [s["status"] for s in data["scenarios"]] == ["ok", "ok"]
        assert all(s["checks"]["values"] == "ok" for s in data["scenarios"])
        assert [len(s["timing"]["loop_s"]) for s in data["scenarios"]] == [3, 2]


@pytest.mark.slow
def test_the_slowdown_is_injected_into_the_current_side_only(job):
    base, cur = sides(job[1])
    assert {s["scenario"]["slowdown"] for s in base["scenarios"]} == {0.0}
    assert {s["scenario"]["slowdown"] for s in cur["scenarios"]} == {0.5}
    assert [s["options"] for s in base["scenarios"]] == [s["options"] for s in cur["scenarios"]]


@pytest.mark.slow
def test_gate_judges_the_pair_round_by_round(job, capsys):
    folder = job[1]
    code = main(["gate", str(folder / "base.json"), str(folder / "cur.json")])
    out = capsys.readouterr().out
    assert "paired, 3 rounds" in out and "insufficient" in out  # vectorized: 2 rounds
    assert "each round's ratio" in out
    assert code in (1, 2)
    assert main(["gate", str(folder / "base.json"), str(folder / "cur.json"), "--retry"]) == 2
    assert "--retry cannot add rounds to a paired job" in capsys.readouterr().err
    assert main(["export", str(folder / "cur.json"), "--to", "markdown", "--gate",
                 str(folder / "base.json")]) == 0
    assert "paired, 3 rounds" in capsys.readouterr().out


def test_rounds_alternate_which_side_goes_first():
    assert [paired.round_order(r) for r in range(4)] == [
        ("baseline", "current"), ("current", "baseline"),
        ("baseline", "current"), ("current", "baseline")]


def one_line(argv: list[str], capsys) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    return err


def test_bad_paired_requests_are_one_line_and_exit_2(tmp_path, capsys):
    no_loaderbench = tmp_path / "bare-python"
    no_loaderbench.write_text("#!/bin/sh\necho \"ModuleNotFoundError: No module named "
                              "'loaderbench'\" >&2\nexit 1\n")
    no_loaderbench.chmod(0o755)
    base = ["run", "--suite", "ci", "--out", str(tmp_path / "c.json")]
    assert "needs --baseline-out" in one_line([*base, "--baseline-python", "python3"], capsys)
    assert "name the same file" in one_line(
        [*base, "--baseline-out", str(tmp_path / "c.json")], capsys)
    assert "cannot continue a paired job" in one_line(
        [*base, "--baseline-out", str(tmp_path / "b.json"), "--resume"], capsys)
    assert "cannot run it" in one_line(
        [*base, "--baseline-out", str(tmp_path / "b.json"), "--baseline-python",
         str(tmp_path / "nowhere")], capsys)
    err = one_line([*base, "--baseline-out", str(tmp_path / "b.json"), "--baseline-python",
                    str(no_loaderbench)], capsys)
    assert "cannot run loaderbench (ModuleNotFoundError" in err and "pip install -e" in err
    assert not (tmp_path / "c.json").exists() and not (tmp_path / "b.json").exists()
