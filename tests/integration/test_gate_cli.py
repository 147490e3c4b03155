"""compare and gate end to end, checked against the synthetic yardstick: a loader whose data
wait is set exactly, run for real in worker processes."""

from __future__ import annotations

import pytest

from loaderbench.cli import main

SUITE = """
[suite.defaults]
step = "{step}"
warmup = 5
steps = 150
[[scenario]]
name = "yardstick"
loader = "synthetic"
[scenario.options]
batch_size = 64
latency_ms = 2.0
"""


@pytest.fixture(scope="module")
def runs(tmp_path_factory, tiny_root):
    folder = tmp_path_factory.mktemp("gate")
    out = {}
    # the same options throughout (a changed option makes them incomparable); the slow run's
    # step holds the GIL for 2 ms more
    for label, step in (("base", "none"), ("again", "none"), ("slow", "spin:2")):
        suite = folder / f"{label}.toml"
        suite.write_text(SUITE.format(step=step))
        out[label] = folder / f"{label}.json"
        code = main(["run", "--quiet", "--suite", str(suite), "--data", str(tiny_root),
                     "--out", str(out[label]), "--no-calibrate"])
        assert code == 0
    return out


def test_gate_passes_on_the_same_latency(runs, capsys):
    assert main(["gate", str(runs["base"]), str(runs["again"])]) == 0
    captured = capsys.readouterr()
    assert "| yardstick" in captured.out and "gate: pass" in captured.err


def test_gate_fails_on_a_twice_slower_loader(runs, capsys):
    assert main(["gate", str(runs["base"]), str(runs["slow"])]) == 1
    captured = capsys.readouterr()
    assert "SLOWER" in captured.out and "REGRESSION" in captured.err


def test_gate_cannot_compare_a_missing_file(runs, capsys):
    assert main(["gate", str(runs["base"]), str(runs["base"].with_name("nope.json"))]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_compare_puts_runs_side_by_side(runs, capsys):
    assert main(["compare", str(runs["base"]), str(runs["slow"]), "--labels", "2ms,4ms"]) == 0
    out = capsys.readouterr().out
    assert "| yardstick" in out and "2ms" in out and "4ms" in out
    assert "(1x)" in out  # the first run relative to itself
