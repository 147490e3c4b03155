"""The seeds' silent failure, caught on the real path: `loaderbench run` with an unsharded
IterableDataset over 2 worker processes marks the scenario failed with every row counted twice,
while the sharded one next to it passes."""

from __future__ import annotations

import pytest

from loaderbench.results.store import load
from tests.conftest import run_suite

pytestmark = pytest.mark.slow  # real scenario processes

SUITE = """
[suite]
name = "duplication"
[suite.defaults]
device = "cpu"
step = "none"
warmup = 0
epochs = 1
[[scenario]]
loader = "sharded"
[scenario.options]
batch_size = 256
num_workers = 2
sharding = ["none", "worker-info"]
"""


@pytest.fixture(scope="module")
def run(tmp_path_factory, tiny_root):
    proc, out = run_suite(tmp_path_factory.mktemp("dup"), SUITE, tiny_root, "--strict")
    return proc, load(out)


def test_unsharded_workers_fail_with_every_row_twice(run, tiny_source):
    _proc, data = run
    none, sharded = data.scenarios
    assert none.status == "failed"
    assert none.checks.duplicates == tiny_source.rows
    assert none.checks.missing == 0 and none.checks.coverage == "exact"
    assert sum(none.steps.rows) == 2 * tiny_source.rows
    assert f"{tiny_source.rows:,} duplicate rows" in none.reason
    assert sharded.status == "ok" and sharded.checks.duplicates == 0
    assert sharded.checks.missing == 0


def test_the_table_says_so_loudly_and_strict_exits_1(run, tiny_source):
    proc, _ = run
    assert proc.returncode == 1, proc.stderr
    line = next(x for x in proc.stdout.splitlines() if "sharding=none" in x)
    assert f"FAILED: DUPLICATES {tiny_source.rows:,}" in line
    assert "1 ok, 1 failed" in proc.stderr
