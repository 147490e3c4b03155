from __future__ import annotations

import pytest
import torch

from loaderbench.errors import UsageError
from loaderbench.harness import devices, worker
from loaderbench.results.records import Pinning, Transfer
from loaderbench.scenarios.scenario import Scenario


def test_cpu_is_always_available():
    assert devices.probe("cpu").available
    assert devices.synchronizer("cpu")() is None


def test_missing_cuda_is_recorded_as_skipped_with_its_reason(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    job = worker.Job(Scenario(name="v", loader="vectorized", device="cuda"), 0, {},
                     "/nowhere.json", 2)
    result = worker.execute(job)
    assert result.status == "skipped"
    assert "CUDA" in result.reason
    assert result.name == "v" and result.device == "cuda"


def test_mps_path_with_availability_patched(monkeypatch):
    monkeypatch.setattr(torch.backends.mps, "is_built", lambda: True)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    status = devices.probe("mps")
    assert status.available and status.sync_method == "torch.mps.synchronize"
    assert devices.resolve("auto") == "mps"
    assert devices.synchronizer("mps") is torch.mps.synchronize


def test_auto_falls_back_to_cpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert devices.resolve("auto") == "cpu"


def test_device_lists():
    assert devices.parse_list("cpu, cuda") == ["cpu", "cuda"]
    with pytest.raises(UsageError, match="unknown device 'tpu'"):
        devices.parse_list("cpu,tpu")


def test_pinning_is_not_applicable_on_cpu_and_mps():
    from loaderbench.harness import transfer

    for device in ("cpu", "mps"):
        plan = transfer.plan(device, "pin", loader_pins=False, non_blocking=None,
                             pin_option=True)
        assert plan.pinning is Pinning.NOT_APPLICABLE and not plan.pin_in_trainer
        assert f"pinning n/a on {device}" in plan.mode
        assert plan.record().non_blocking in (None, False)
    assert transfer.plan("mps", "auto", False, None).mode == "pageable"


def test_cuda_transfer_modes_are_recorded():
    from loaderbench.harness import transfer

    assert transfer.plan("cuda", "auto", True, None).record(pinned_batches=True) == Transfer(
        Pinning.LOADER, "loader pin, non_blocking=True", non_blocking=True, pinned_batches=True)
    trainer = transfer.plan("cuda", "pin", False, None)
    assert trainer.pin_in_trainer and trainer.pinning is Pinning.TRAINER and trainer.non_blocking
    pageable = transfer.plan("cuda", "auto", False, None)
    assert pageable.pinning is Pinning.NONE and pageable.non_blocking is False


def test_pin_probe_looks_at_the_first_batch_only():
    from loaderbench.harness.transfer import PinProbe
    from loaderbench.loaders.base import Batch

    seen = []
    probe = PinProbe(lambda b: seen.append(b) or b)
    batch = Batch(torch.zeros(2, 3), torch.zeros(2, dtype=torch.int64), torch.arange(2))
    probe(batch)
    probe(batch)
    assert probe.pinned is False and len(seen) == 2


@pytest.fixture
def mps_patched(monkeypatch):
    """MPS 'available', its synchronize counted; the copy to mps stood in for by identity."""
    from loaderbench.harness import transfer

    calls = []
    monkeypatch.setattr(torch.backends.mps, "is_built", lambda: True)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    monkeypatch.setattr(torch.mps, "synchronize", lambda: calls.append(1))
    monkeypatch.setattr(transfer.TransferPlan, "function", lambda self: lambda b: b)
    return calls


def test_mps_scenario_synchronises_through_torch_mps(mps_patched, tiny_source, tiny_pre,
                                                     tmp_path):
    pre = tmp_path / "pre.json"
    tiny_pre.save(pre)
    s = Scenario(name="m", loader="synthetic", device="mps", step="none", steps=6, warmup=2,
                 options={"batch_size": 16, "steps_per_epoch": 100, "pin_memory": True})
    result = worker.execute(worker.Job(s, 0, tiny_source.to_dict(), str(pre), 4))
    assert result.status == "ok", result.reason
    assert result.timing.sync == "torch.mps.synchronize"
    assert result.transfer.pinning is Pinning.NOT_APPLICABLE
    assert result.timing.device_timer == "none" and result.steps.transfer_dev_s == ()
    assert len(mps_patched) == 3 * len(result.steps) == 3 * 8  # before t1, t2 and t3
    assert devices.event_timer("mps") is None


def test_a_loader_that_copies_itself_leaves_the_harness_no_transfer():
    from loaderbench.harness import transfer

    plan = transfer.plan("cuda", "auto", loader_pins=False, non_blocking=None, on_device=True)
    assert plan.function()("batch") == "batch"
    record = plan.record()
    assert record.pinning is Pinning.IN_LOADER and not record.by_harness
    assert record.non_blocking is None and "inside next()" in record.mode
