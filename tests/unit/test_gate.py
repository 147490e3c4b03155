"""The gate on constructed step times: known changes give known verdicts and exit codes."""

from __future__ import annotations

import numpy as np
import pytest

from loaderbench.errors import UsageError
from loaderbench.results import gate
from loaderbench.results.schema import RunResult, ScenarioResult, StepSamples


def steps(ms: float, n: int = 300, jitter: float = 0.02, seed: int = 0, repeats: int = 1):
    rng = np.random.default_rng(seed)
    times = ms / 1e3 * (1 + jitter * rng.standard_normal(n * repeats))
    k = n * repeats
    return StepSamples(tuple(times), (0.0,) * k, (0.0,) * k, (1,) * k, (0,) * k,
                       tuple(r for r in range(repeats) for _ in range(n)), (False,) * k,
                       (False,) * k)


def run(*scenarios: ScenarioResult) -> RunResult:
    return RunResult(created="2026-11-28", env={}, scenarios=scenarios)


def ok(name: str, s: StepSamples) -> ScenarioResult:
    return ScenarioResult(name=name, loader="synthetic", device="cpu", status="ok", steps=s)


@pytest.mark.parametrize(("current_ms", "verdict"), [
    (2.0, "same"), (2.4, "slower"), (1.6, "faster"), (2.05, "noisy")])
def test_verdicts_follow_the_interval(current_ms, verdict):
    jitter = 0.5 if current_ms == 2.05 else 0.02
    base = run(ok("s", steps(2.0, seed=1, jitter=jitter)))
    cur = run(ok("s", steps(current_ms, seed=2, jitter=jitter)))
    (v,) = gate.gate(base, cur, threshold=0.05)
    assert v.verdict == verdict
    assert v.low <= v.ratio <= v.high
    assert gate.exit_code([v]) == (1 if verdict == "slower" else 0)


def test_repeats_are_resampled_as_units():
    base = run(ok("s", steps(2.0, repeats=3, seed=3)))
    cur = run(ok("s", steps(2.0, repeats=3, seed=4)))
    (v,) = gate.gate(base, cur)
    assert v.verdict == "same"


def test_one_step_a_side_is_insufficient_never_slower():
    base = run(ok("s", steps(2.0, n=1)))
    cur = run(ok("s", steps(20.0, n=1, seed=1)))
    (v,) = gate.gate(base, cur)
    assert v.verdict == "insufficient" and "1 counted steps" in v.note
    assert gate.exit_code([v]) == 2


def test_nothing_to_compare_cannot_pass():
    assert gate.gate(run(), run()) == []
    assert gate.exit_code([]) == 2


def test_noisy_says_what_would_decide_it_and_the_policy_sets_the_exit():
    base = run(ok("s", steps(2.0, seed=1, jitter=0.5)))
    cur = run(ok("s", steps(2.05, seed=2, jitter=0.5)))
    (v,) = gate.gate(base, cur, threshold=0.05)
    assert v.verdict == "noisy" and "as many counted steps would decide it" in v.note
    assert gate.exit_code([v], noisy="pass") == 0
    assert gate.exit_code([v], noisy="fail") == 1


def test_the_same_samples_give_the_same_interval():
    base, cur = run(ok("s", steps(2.0, seed=1))), run(ok("s", steps(2.2, seed=2)))
    assert gate.gate(base, cur) == gate.gate(base, cur)


def test_different_options_cannot_be_compared():
    a = ok("s", steps(2.0)).with_(options={"batch_size": 64})
    b = ok("s", steps(2.0, seed=1)).with_(options={"batch_size": 128})
    (v,) = gate.gate(run(a), run(b))
    assert v.verdict == "different" and "batch_size" in v.note
    assert gate.exit_code([v]) == 2


def test_failed_current_is_a_regression_missing_cannot_compare():
    base = run(ok("a", steps(2.0)), ok("b", steps(2.0)))
    failed = ScenarioResult(name="a", loader="x", device="cpu", status="failed",
                            reason="coverage: 10 duplicate rows")
    verdicts = gate.gate(base, run(failed))
    assert [(v.name, v.verdict) for v in verdicts] == [("a", "failed"), ("b", "missing")]
    assert gate.exit_code(verdicts) == 1
    verdicts = gate.gate(base, run(ok("a", steps(2.0, seed=5))))
    assert gate.exit_code(verdicts) == 2


def test_skipped_cannot_be_compared():
    skipped = ScenarioResult(name="a", loader="x", device="cuda", status="skipped",
                             reason="no CUDA device is visible")
    (v,) = gate.gate(run(skipped), run(skipped))
    assert v.verdict == "skipped" and gate.exit_code([v]) == 2


@pytest.mark.parametrize(("text", "value"), [("5%", 0.05), ("0.1", 0.1), ("12", 0.12)])
def test_threshold_parsing(text, value):
    assert gate.parse_threshold(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["fast", "0", "150%"])
def test_bad_threshold(text):
    with pytest.raises(UsageError, match="--threshold"):
        gate.parse_threshold(text)
