"""`gate --retry` end to end: an insufficient scenario is measured once more, for real, and
its new repeats pooled with the old ones."""

from __future__ import annotations

from loaderbench.cli import main
from loaderbench.results.store import load

SUITE = """
[suite.defaults]
step = "none"
warmup = 2
steps = {steps}
[[scenario]]
name = "yardstick"
loader = "synthetic"
[scenario.options]
batch_size = 64
latency_ms = 1.0
"""


def test_retry_remeasures_an_insufficient_scenario_and_pools_it(tiny_root, tmp_path, capsys):
    files = {}
    for label, steps in (("base", 40), ("short", 12)):
        suite = tmp_path / f"{label}.toml"
        suite.write_text(SUITE.format(steps=steps))
        files[label] = str(tmp_path / f"{label}.json")
        assert main(["run", "--quiet", "--suite", str(suite), "--data", str(tiny_root),
                     "--out", files[label], "--no-calibrate"]) == 0
    assert main(["gate", files["base"], files["short"]]) == 2  # 12 steps: insufficient
    assert "insufficient" in capsys.readouterr().out
    # the verdict after the retry depends on the machine's load of the moment; that it is
    # one (not insufficient) and that the repeats were pooled does not
    assert main(["gate", files["base"], files["short"], "--retry"]) in (0, 1)
    captured = capsys.readouterr()
    assert "re-measuring 1 undecided" in captured.err and "insufficient" not in captured.out
    (pooled,) = load(files["short"]).scenarios
    assert set(pooled.steps.repeat) == {0, 1} and pooled.metrics.counted_steps == 24
