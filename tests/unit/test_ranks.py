"""Multi-rank pieces without processes: padding arithmetic, file shares, the cross-rank
judgement of coverage and order, the job figures, and the torchrun command line."""

from __future__ import annotations

import numpy as np
import pytest

from loaderbench.harness import runner
from loaderbench.harness.rank_checks import RankChecker, judge
from loaderbench.harness.worker import Job
from loaderbench.loaders._support.distributed import file_share, padding
from loaderbench.results.ranks import rank_figures
from loaderbench.results.schema import StepSamples
from loaderbench.scenarios.scenario import Scenario


def test_padding_matches_distributed_sampler():
    from torch.utils.data import DistributedSampler

    for rows, world, drop in [(10, 3, False), (10, 3, True), (12, 4, False), (7, 1, False)]:
        seen = [i for r in range(world) for i in
                DistributedSampler(range(rows), world, r, shuffle=False, drop_last=drop)]
        pad, dropped = padding(rows, world, drop)
        assert len(seen) - len(set(seen)) == pad
        assert rows - len(set(seen)) == dropped


def test_file_shares_are_disjoint_and_complete_over_ranks_and_workers():
    files = list(range(13))
    taken = []
    for rank in range(2):
        for worker in range(3):
            index, count = file_share(worker, 3, rank, 2, shard=True)
            taken += files[index::count]
    assert sorted(taken) == files
    assert file_share(1, 3, 1, 2, shard=False) == (1, 3)


def _part(epochs, values="ok", value_rows=1, error=None):
    return {"contract": None, "values": values, "value_error": error, "value_rows": value_rows,
            "epochs": epochs}


@pytest.fixture
def checker(tiny_source, tiny_pre):
    return RankChecker(tiny_source, tiny_pre, shuffles=True)


def test_union_of_ranks_covers_the_dataset(checker):
    ids = np.random.default_rng(0).permutation(checker.source.rows)
    a, b = ids[::2], ids[1::2]
    parts = [_part([(0, True, a), (1, True, a[::-1])]), _part([(0, True, b), (1, True, b)])]
    out, failure = judge(parts, checker)
    assert failure is None
    assert out.coverage == "exact" and out.duplicates == 0 and out.missing == 0
    assert out.values_text == "ok (2 rows)"
    assert out.ranks.order == "new each epoch"


def test_ranks_reading_everything_count_duplicates(checker):
    ids = np.arange(checker.source.rows)
    out, failure = judge([_part([(0, True, ids)]), _part([(0, True, ids)])], checker)
    assert out.duplicates == checker.source.rows
    assert failure.startswith("coverage:")


def test_padding_is_allowed_and_reported(checker):
    ids = np.arange(checker.source.rows)
    checker.padding = 1
    padded = np.concatenate([ids, ids[:1]])
    out, failure = judge([_part([(0, True, padded[::2])]), _part([(0, True, padded[1::2])])],
                         checker)
    assert failure is None and out.duplicates == 0
    assert out.ranks.padding_per_epoch == 1


def test_the_same_order_every_epoch_fails_a_shuffling_loader(checker):
    ids = np.random.default_rng(1).permutation(checker.source.rows)
    a, b = ids[::2], ids[1::2]
    parts = [_part([(0, True, a), (1, True, a)]), _part([(0, True, b), (1, True, b)])]
    out, failure = judge(parts, checker)
    assert out.ranks.order_repeated is True
    assert "set_epoch" in failure


def test_job_figures_use_the_slowest_rank():
    steps = StepSamples(wait_s=(0.0,) * 4, transfer_s=(0.0,) * 4, compute_s=(1.0, 1.0, 1.0, 3.0),
                        rows=(10,) * 4, epoch=(0,) * 4, repeat=(0,) * 4, warmup=(False,) * 4,
                        first=(False,) * 4, rank=(0, 0, 1, 1))
    job = rank_figures(steps)
    assert [r.samples_per_s for r in job.ranks] == [10.0, 5.0]
    assert job.slowest.rank == 1
    assert job.samples_per_s == 40 / 4
    assert job.imbalance == pytest.approx(1.0)
    assert rank_figures(StepSamples()) is None


def test_torchrun_launch_line(monkeypatch):
    job = Job(Scenario("s", "sharded", nproc_per_node=2), 0, "d", "p", 2)
    module, args = runner.launcher(job)
    assert module == "torch.distributed.run"
    assert args == ["--standalone", "--nproc-per-node", "2"]
    monkeypatch.setenv(runner.TORCHRUN_ARGS_ENV, "--nnodes 2 --rdzv-endpoint h:29400")
    _, args = runner.launcher(job)
    assert args[:4] == ["--nnodes", "2", "--rdzv-endpoint", "h:29400"]
    assert runner.launcher(Job(Scenario("s", "sharded"), 0, "d", "p", 2)) is None


def test_loaders_without_rank_sharding_are_skipped():
    assert "does not shard by rank" in runner.rank_skip(Scenario("s", "vectorized",
                                                                 nproc_per_node=2))
    assert runner.rank_skip(Scenario("s", "sharded", nproc_per_node=2)) is None
    assert runner.rank_skip(Scenario("s", "vectorized")) is None


def test_a_queued_last_batch_stays_in_its_epoch(checker):
    """On CUDA the checks read each batch one step late (harness/checks.py); the rank
    checker's epoch end reads the one still queued, so no batch slips into the next epoch."""
    from tests.unit.test_checks import QueuedMirror, batches_of

    checker._mirror = QueuedMirror()
    batches = list(batches_of(checker.source, checker.preprocessor,
                              np.arange(checker.source.rows)))
    for epoch in range(2):
        for b in batches:
            checker.observe(b)
        checker.end_epoch(epoch, True)
    assert [len(ids) for _, _, ids in checker._epoch_ids] == [checker.source.rows] * 2
