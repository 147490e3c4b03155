"""Multi-rank runs end to end: `loaderbench run --nproc-per-node 2` launches real torchrun
ranks (gloo on cpu) on a tiny dataset; the result holds every rank's steps, the coverage
is judged across ranks, and the two classic bugs are flagged. Behaviour only, no speeds."""

from __future__ import annotations

import pytest

from loaderbench.results.store import load
from tests.conftest import run_suite

pytestmark = pytest.mark.slow

SUITE = """
[suite]
name = "ranks-tiny"
[suite.defaults]
device = "cpu"
step = "mlp"
warmup = 0
epochs = 2
timeout_s = 300
[[scenario]]
loader = "tensor-dataset"
[scenario.options]
batch_size = 256
shuffle = true
[[scenario]]
loader = "sharded"
name = "sharded ok"
[scenario.options]
batch_size = 256
num_workers = 1
[[scenario]]
loader = "sharded"
name = "sharded bug"
[scenario.options]
batch_size = 256
num_workers = 1
rank_sharding = "none"
[[scenario]]
loader = "tensor-dataset"
name = "set_epoch bug"
[scenario.options]
batch_size = 256
shuffle = true
set_epoch = false
[[scenario]]
loader = "vectorized"
"""


@pytest.fixture(scope="module")
def ranked(tmp_path_factory, tiny_root):
    proc, out = run_suite(tmp_path_factory.mktemp("ranks"), SUITE, tiny_root,
                          "--nproc-per-node", "2")
    assert proc.returncode == 0, proc.stderr
    return proc, {s.name: s for s in load(out).scenarios}


def test_every_rank_steps_are_kept_and_coverage_is_global(ranked):
    _, by_name = ranked
    s = next(v for k, v in by_name.items() if k.startswith("tensor-dataset"))
    assert s.ok, s.reason
    assert set(s.steps.rank) == {0, 1}
    assert s.ranks.world_size == 2 and s.ranks.backend == "gloo"
    assert [r.status for r in s.ranks.per_rank] == ["ok", "ok"]
    assert s.checks.coverage == "exact"
    assert [e.rows_seen for e in s.checks.epochs] == [3000, 3000]
    assert s.checks.ranks.order == "new each epoch"
    assert by_name["sharded ok"].ok, by_name["sharded ok"].reason


def test_ranks_that_do_not_shard_are_flagged(ranked):
    _, by_name = ranked
    bug = by_name["sharded bug"]
    assert bug.status == "failed"
    assert bug.checks.duplicates == 2 * 3000  # every row twice, in each of 2 epochs


def test_a_missing_set_epoch_is_flagged(ranked):
    _, by_name = ranked
    bug = by_name["set_epoch bug"]
    assert bug.status == "failed"
    assert bug.checks.ranks.order_repeated is True
    assert "set_epoch" in bug.reason


def test_a_loader_without_rank_sharding_is_skipped_with_the_reason(ranked):
    _, by_name = ranked
    s = by_name["vectorized"]
    assert s.status == "skipped" and "does not shard by rank" in s.reason


def test_the_table_prints_job_figures(ranked):
    proc, _ = ranked
    assert "2 ranks (gloo); job " in proc.stdout
