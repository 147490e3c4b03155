"""The nccl path of a multi-rank run on real GPUs: torchrun ranks (one GPU each, as many as
the machine has, at most 2), DDP-wrapped mlp step on CUDA, checks judged across ranks."""

from __future__ import annotations

import json

import pytest
import torch

from loaderbench.harness import runner
from loaderbench.harness.prepare import prepare
from loaderbench.harness.worker import Job
from loaderbench.results.schema import ScenarioResult
from loaderbench.scenarios.scenario import Scenario

pytestmark = [pytest.mark.gpu, pytest.mark.slow]


@pytest.mark.parametrize("loader,options", [("tensor-dataset", {"shuffle": True}),
                                            ("sharded", {"num_workers": 1})])
def test_nccl_ranks_cover_the_dataset(tiny_root, tmp_path, loader, options):
    ranks = max(1, min(2, torch.cuda.device_count()))
    s = Scenario("s", loader, {"batch_size": 256, **options}, device="cuda", steps=None,
                 epochs=2, warmup=0, nproc_per_node=ranks, timeout_s=300)
    prepared = prepare(None, tiny_root)
    job = Job(s, 0, prepared.source.to_dict(), str(prepared.preprocessor_path),
              prepared.n_classes)
    job_path, out = tmp_path / "job.json", tmp_path / "out.json"
    job_path.write_text(json.dumps(job.to_dict()))
    done = runner.spawn("torch.distributed.run",
                        ["--standalone", "--nproc-per-node", str(ranks), "-m",
                         "loaderbench.harness.ranks", str(job_path), str(out)], 300,
                        tmp_path / "log")
    assert out.exists(), done.log
    result = ScenarioResult.from_dict(json.loads(out.read_text()))
    assert result.ok, result.reason
    assert result.ranks.backend == "nccl"
    assert set(result.steps.rank) == set(range(ranks))
    assert result.checks.coverage == "exact"
