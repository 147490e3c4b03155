"""One scenario through real worker processes: what the result records about its timing."""

from __future__ import annotations

import subprocess
import sys

import psutil
import pytest

from loaderbench.harness import runner
from loaderbench.harness.prepare import Prepared
from loaderbench.harness.resources import ResourceMonitor
from loaderbench.results.records import Pinning
from loaderbench.scenarios.scenario import Scenario

pytestmark = pytest.mark.slow  # real processes


@pytest.fixture(scope="module")
def prepared(tiny_source, tiny_pre, tmp_path_factory) -> Prepared:
    path = tmp_path_factory.mktemp("fit") / "pre.json"
    tiny_pre.save(path)
    return Prepared(tiny_source, path, 4)


def test_repeats_run_in_fresh_processes_and_merge(prepared, tmp_path):
    s = Scenario(name="syn", loader="synthetic", step="none", steps=30, warmup=3, repeats=2,
                 options={"batch_size": 32, "steps_per_epoch": 20})
    result = runner.run_scenario(s, prepared, tmp_path)
    assert result.status == "ok", result.reason
    t, m = result.timing, result.metrics
    assert set(result.steps.repeat) == {0, 1} and len(result.steps) == 2 * 33
    assert len(t.setup_s) == 2 and len(t.loop_s) == 2 and len(t.epoch_s) == 2
    assert t.sync == "none (cpu work is synchronous)" and t.clock == "time.perf_counter"
    assert result.transfer.pinning is Pinning.NOT_APPLICABLE and t.device_timer == "none"
    assert m.counted_steps == 2 * 30  # later epochs' first steps count; warmup does not
    assert m.steps_per_s_ci_low <= m.steps_per_s <= m.steps_per_s_ci_high
    assert m.first_batch_s is not None and m.setup_s > 0 and m.epochs_complete == 2
    assert 0 <= m.bookkeeping_fraction < 1 and m.repeats == 2
    assert len(t.checks_s) == 2 and all(0 < c < loop for c, loop in zip(t.checks_s, t.loop_s,
                                                                      strict=True))
    assert 0 < m.checks_fraction < 1  # the checks' own part of the work between steps
    res = result.resources
    assert len(res.peak_rss_mib) == 2 and res.peak_rss >= max(res.main_peak_rss_mib) > 0


def test_resources_count_the_workers_memory(tmp_path):
    monitor = ResourceMonitor()
    child = subprocess.Popen(
        [sys.executable, "-c", "import sys; b = bytearray(64 * 2**20); "
                               "b[::4096] = b'x' * len(b[::4096]); "
                               "print('ready', flush=True); sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "ready"
        own = psutil.Process().memory_info().rss / 2**20
        summary = monitor.summary()
    finally:
        child.communicate("")
    assert summary["max_worker_processes"] >= 1
    assert summary["peak_rss_mib"] >= own + 64  # this process and its child, together


def test_merge_keeps_one_value_per_repeat():
    from loaderbench.results.records import Resources, Timing
    from loaderbench.results.schema import ScenarioResult, StepSamples

    def repeat(r: int, setup: float, status: str = "ok") -> ScenarioResult:
        steps = StepSamples((0.01,) * 3, (0.0,) * 3, (0.01,) * 3, (8,) * 3, (0,) * 3,
                            (r,) * 3, (False,) * 3, (True, False, False))
        return ScenarioResult(name="s", loader="x", device="cpu", status=status, steps=steps,
                              timing=Timing(setup_s=(setup,), loop_s=(1.0,),
                                            bookkeeping_s=(0.1,), epoch_s=(0.5,)),
                              resources=Resources(peak_rss_mib=(100.0 + r,),
                                                  cpu_cores_busy=(1.0 + r,)))

    merged = runner.merge([repeat(0, 0.2), repeat(1, 0.4), repeat(2, 0.3, "failed")])
    assert merged.status == "failed" and len(merged.steps) == 9
    assert merged.timing.setup_s == (0.2, 0.4, 0.3) and merged.timing.epoch_s == (0.5,) * 3
    assert merged.resources.peak_rss == 102.0 and merged.resources.cores_busy == 2.0
    assert merged.metrics.repeats == 3 and merged.metrics.setup_s == pytest.approx(0.3)


def test_repeats_forked_from_the_fork_server_run_and_merge(prepared, tmp_path):
    from loaderbench.harness.protocol import forking

    s = Scenario(name="syn", loader="synthetic", step="none", steps=20, warmup=2, repeats=2,
                 options={"batch_size": 32, "steps_per_epoch": 10})
    with forking():
        result = runner.run_scenario(s, prepared, tmp_path)
    assert result.status == "ok", result.reason
    assert set(result.steps.repeat) == {0, 1} and result.checks.values == "ok"
    assert len(result.timing.loop_s) == 2 and result.metrics.counted_steps == 40
