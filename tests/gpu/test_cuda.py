"""CUDA paths, on a real GPU (skipped with the reason where there is none).

The reference duration of GPU work comes from CUDA events around `torch.cuda._sleep`, a
kernel that spins a given number of cycles; the harness's host clock must agree with it, and
an unsynchronised clock must not.
"""

from __future__ import annotations

import statistics

import pytest
import torch

from loaderbench.harness import calibration, devices, worker
from loaderbench.harness.checks import Checker
from loaderbench.harness.loop import LoopPlan, run_loop
from loaderbench.loaders.base import Batch, Loader, LoaderOptions
from loaderbench.results.records import ValueCheck
from loaderbench.scenarios.scenario import Scenario
from loaderbench.scenarios.source import open_data
from tests.unit.test_checks import batches_of, corrupt_one_sampled_row, feed

pytestmark = pytest.mark.gpu
GPU_SLEEP_MS = 5.0


class CpuBatches(Loader):
    """`n` host batches, handed out at once."""

    name = "cpu-batches"

    def __init__(self, n: int = 30, rows: int = 256, features: int = 8) -> None:
        super().__init__(None, LoaderOptions(batch_size=rows))  # type: ignore[arg-type]
        self.batch = Batch(torch.randn(rows, features), torch.zeros(rows, dtype=torch.int64),
                           torch.arange(rows))
        self.n = n

    def epoch(self, index: int):
        for _ in range(self.n):
            yield self.batch


def event_ms(fn) -> float:
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    fn()
    end.record()
    torch.cuda.synchronize()
    return start.elapsed_time(end)


@pytest.fixture(scope="module")
def sleep_cycles() -> tuple[int, float]:
    """Cycles of torch.cuda._sleep lasting about GPU_SLEEP_MS, and their event-timed length."""
    torch.cuda._sleep(1000)  # load the kernel before timing it
    torch.cuda.synchronize()
    probe = 1_000_000
    per_ms = probe / event_ms(lambda: torch.cuda._sleep(probe))
    cycles = int(per_ms * GPU_SLEEP_MS)
    return cycles, statistics.median(event_ms(lambda: torch.cuda._sleep(cycles))
                                     for _ in range(5))


def gpu_loop(cycles: int, sync) -> tuple[list[float], list[float]]:
    """Host-clock transfer and compute times of the counted steps of a GPU-sleep step."""
    outcome = run_loop(CpuBatches(), LoopPlan(warmup=5, epochs=1), lambda b: b.to("cuda"),
                       lambda b: torch.cuda._sleep(cycles), sync, lambda b: None,
                       lambda e, c: None)
    torch.cuda.synchronize()
    idx = outcome.steps.counted()
    return ([outcome.steps.transfer_s[i] for i in idx],
            [outcome.steps.compute_s[i] for i in idx])


def test_synchronised_loop_measures_the_gpu_work(sleep_cycles):
    cycles, reference_ms = sleep_cycles
    _, synced = gpu_loop(cycles, devices.synchronizer("cuda"))
    assert statistics.median(synced) * 1e3 == pytest.approx(reference_ms, rel=0.10)


def test_unsynchronised_clock_misses_the_gpu_work(sleep_cycles):
    """Without the sync the kernel only launches in `compute`; the pageable copy of the next
    step waits for it, so the GPU time lands in `transfer` instead."""
    cycles, reference_ms = sleep_cycles
    transfer, naive = gpu_loop(cycles, lambda: None)
    assert statistics.median(naive) * 1e3 < 0.2 * reference_ms
    assert statistics.median(transfer) * 1e3 > 0.5 * reference_ms


def test_event_timer_agrees_with_the_host_clock(sleep_cycles):
    cycles, reference_ms = sleep_cycles
    timer = devices.EventTimer()
    move, train = timer.wrap(lambda b: b.to("cuda"), lambda b: torch.cuda._sleep(cycles))
    outcome = run_loop(CpuBatches(n=10), LoopPlan(epochs=1), move, train,
                       devices.synchronizer("cuda"), lambda b: timer.collect(),
                       lambda e, c: None)
    assert len(timer.compute_s) == len(outcome.steps) == 10
    host, device = outcome.steps.compute_s[1:], timer.compute_s[1:]
    assert statistics.median(device) * 1e3 == pytest.approx(reference_ms, rel=0.10)
    assert statistics.median(host) == pytest.approx(statistics.median(device), rel=0.05)
    # the events sit inside the host clock's span of each part
    assert all(0 < d <= h for d, h in zip(device, host, strict=True))
    assert all(0 < d <= h for d, h in zip(timer.transfer_s, outcome.steps.transfer_s,
                                          strict=True))


@pytest.fixture(scope="module")
def saved_pre(tiny_pre, tmp_path_factory):
    path = tmp_path_factory.mktemp("fit") / "pre.json"
    tiny_pre.save(path)
    return str(path)


def cuda_run(tiny_root, saved_pre, loader: str, transfer: str = "auto", **options):
    s = Scenario(name=loader, loader=loader, device="cuda", step="mlp", steps=None, epochs=2,
                 warmup=2, transfer=transfer, options={"batch_size": 128, **options})
    result = worker.execute(worker.Job(s, 0, open_data(tiny_root).to_dict(), saved_pre, 4))
    assert result.status == "ok", result.reason
    return result


@pytest.mark.parametrize(("transfer", "pin", "pinning", "pinned"), [
    ("auto", True, "loader", True),       # the DataLoader pins
    ("pin", False, "trainer", False),     # the trainer pins: host batches arrive pageable
    ("auto", False, "none", False),       # pageable .to(device)
])
def test_transfer_paths_on_cuda(tiny_root, saved_pre, transfer, pin, pinning, pinned):
    result = cuda_run(tiny_root, saved_pre, "vectorized", transfer, pin_memory=pin)
    t, moved = result.timing, result.transfer
    assert moved.pinning == pinning and moved.pinned_batches is pinned
    assert moved.non_blocking is (pinning != "none")
    assert t.sync == "torch.cuda.synchronize" and t.device_timer == "torch.cuda.Event"
    assert len(result.steps.transfer_dev_s) == len(result.steps)
    assert result.metrics.h2d_gbps > 0 and result.metrics.compute_dev_ms_p50 is not None


@pytest.mark.parametrize("pin", [True, False])
def test_values_are_equal_after_the_copy_to_cuda(tiny_root, saved_pre, pin):
    checks = cuda_run(tiny_root, saved_pre, "vectorized", pin_memory=pin).checks
    assert checks.coverage == "exact" and checks.duplicates == 0
    assert checks.missing == 0 and checks.values == "ok"


def test_synthetic_pinned_batch_is_pinned(tiny_root, saved_pre):
    result = cuda_run(tiny_root, saved_pre, "synthetic", pin_memory=True, steps_per_epoch=20)
    assert result.transfer.pinned_batches is True and result.checks.values == "ok"


def test_calibration_measures_pinned_and_pageable(tiny_source):
    row = 4 * len(tiny_source.roles.features) + 16
    out = calibration.device_calibration("cuda", [128 * row, 1024 * row],
                                         len(tiny_source.roles.features))
    for kind in ("pinned", "pageable"):
        assert set(out[f"h2d_{kind}_gbps_by_bytes"]) == {str(128 * row), str(1024 * row)}
        assert out[f"h2d_{kind}_gbps_large"] > 0
    assert out["pin_memory_ms_batch"] > 0


def test_checks_read_cuda_batches_and_find_one_wrong_sampled_row(tiny_source, tiny_pre):
    """The checks read CUDA batches through copies queued behind events and read one batch
    later: a clean epoch passes, and one changed value in one sampled row is found and named
    (also when it is in the epoch's last batch, read at the epoch's end)."""
    good = [Batch(*(t.cuda() for t in b)) for b in
            batches_of(tiny_source, tiny_pre, torch.arange(tiny_source.rows).numpy())]
    clean = Checker(tiny_source, tiny_pre)
    feed(clean, good)
    checks, failure = clean.verdict()
    assert failure is None and checks.values is ValueCheck.OK and checks.missing == 0
    checker = Checker(tiny_source, tiny_pre)
    bad, row = corrupt_one_sampled_row(good, checker.stride)
    feed(checker, bad)
    checks, failure = checker.verdict()
    assert checks.values is ValueCheck.MISMATCH and f"at row_id {row}" in failure
    last_checker = Checker(tiny_source, tiny_pre)
    (last,), row = corrupt_one_sampled_row(good[-1:], last_checker.stride)
    feed(last_checker, [*good[:-1], last])
    assert f"at row_id {row}" in last_checker.verdict()[1]
