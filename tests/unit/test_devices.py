from __future__ import annotations

import pytest
import torch

from loaderbench.errors import UsageError
from loaderbench.harness import devices, worker
from loaderbench.scenarios.scenario import Scenario


def test_cpu_is_always_available():
    assert devices.probe("cpu").available
    assert devices.synchronizer("cpu")() is None


def test_missing_cuda_is_recorded_as_skipped_with_its_reason(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    job = worker.Job(Scenario(name="v", loader="vectorized", device="cuda"), 0, "/nowhere",
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
