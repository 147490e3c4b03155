"""The peer loaders (hf-datasets, torchdata-nodes, polars): order, shuffles, pinning, clean
shutdown, and what happens on a machine without their optional packages."""

from __future__ import annotations

import inspect

import numpy as np
import psutil
import pytest
import torch

from loaderbench import loaders
from loaderbench.errors import UsageError
from loaderbench.harness import worker
from loaderbench.loaders._support.extras import install_hint, missing
from loaderbench.loaders.base import Loader, LoaderContext, build_options
from loaderbench.results.environment import library_versions
from loaderbench.scenarios.scenario import Scenario
from tests.conftest import epochs_of, make_loader, row_order

HF = pytest.mark.skipif(missing(loaders.get("hf-datasets")) is not None,
                        reason=str(missing(loaders.get("hf-datasets"))))
NODES = pytest.mark.skipif(missing(loaders.get("torchdata-nodes")) is not None,
                           reason=str(missing(loaders.get("torchdata-nodes"))))
POLARS = pytest.mark.skipif(missing(loaders.get("polars")) is not None,
                            reason=str(missing(loaders.get("polars"))))


class NeedsAbsentPackage(Loader):
    name = "needs-absent"
    requires = ("loaderbench_no_such_package",)
    extra = "peers"

    def epoch(self, index):
        raise AssertionError("never reached: the scenario is skipped first")


def test_missing_names_the_package_and_the_install_command():
    assert missing(loaders.get("vectorized")) is None
    reason = missing(NeedsAbsentPackage)
    assert reason == ("needs-absent needs loaderbench_no_such_package, not installed: "
                      + install_hint("peers"))
    assert "pip install 'loaderbench[peers]'" in reason


def test_a_scenario_whose_extra_is_missing_is_skipped_with_the_hint(monkeypatch):
    monkeypatch.setattr(worker, "get_loader", lambda name: NeedsAbsentPackage)
    job = worker.Job(Scenario(name="x", loader="needs-absent"), 0, "unused", "unused", 2)
    result = worker.execute(job)
    assert result.status == "skipped"
    assert result.reason == missing(NeedsAbsentPackage)


class BrokenImport(NeedsAbsentPackage):
    name = "broken-import"


def test_a_module_that_fails_to_import_makes_the_scenario_skipped(monkeypatch, tmp_path):
    (tmp_path / "broken_peer_lib.py").write_text("raise ImportError('needs pyarrow>=99')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(BrokenImport, "requires", ("broken_peer_lib",))
    monkeypatch.setattr(worker, "get_loader", lambda name: BrokenImport)
    result = worker.execute(worker.Job(Scenario(name="x", loader="b"), 0, "unused", "unused", 2))
    assert result.status == "skipped"
    assert "cannot import broken_peer_lib (ImportError: needs pyarrow>=99)" in result.reason
    assert install_hint("peers") in result.reason


def test_the_environment_records_the_peer_libraries():
    versions = library_versions()
    assert {"datasets", "torchdata", "polars"} <= set(versions)


@pytest.mark.parametrize(("name", "table"), [
    pytest.param("hf-datasets", {"batch_size": 256}, marks=HF),
    pytest.param("hf-datasets", {"batch_size": 256, "format": "pandas", "num_workers": 2},
                 marks=HF),
    pytest.param("torchdata-nodes", {"batch_size": 256, "num_workers": 2}, marks=NODES),
    pytest.param("torchdata-nodes", {"batch_size": 256, "method": "process"}, marks=NODES),
    pytest.param("polars", {"batch_size": 256}, marks=POLARS),
])
def test_unshuffled_peers_keep_the_file_order(name, table, tiny_context):
    (batches,) = epochs_of(name, table, tiny_context)
    assert np.array_equal(row_order(batches), np.arange(tiny_context.source.rows))
    assert all(b.rows == 256 for b in batches[:-1])


@pytest.mark.parametrize(("name", "table"), [
    pytest.param("hf-datasets", {"batch_size": 256, "shuffle": True}, marks=HF),
    pytest.param("hf-datasets", {"batch_size": 256, "mode": "iterable", "shuffle": True,
                                 "shuffle_buffer": 300}, marks=HF),
    pytest.param("torchdata-nodes", {"batch_size": 256, "shuffle_files": True}, marks=NODES),
    pytest.param("polars", {"batch_size": 256, "shuffle": "permutation"}, marks=POLARS),
])
def test_peer_shuffles_change_the_order_every_epoch(name, table, tiny_context):
    first, second = (row_order(b) for b in epochs_of(name, table, tiny_context, epochs=2))
    assert not np.array_equal(first, second)
    assert not np.array_equal(first, np.arange(len(first)))
    assert np.array_equal(np.sort(first), np.sort(second))


@HF
def test_hf_pandas_format_needs_map_mode():
    cls = loaders.get("hf-datasets")
    with pytest.raises(UsageError, match="needs mode = \"map\""):
        build_options(cls.Options, {"mode": "iterable", "format": "pandas"}, "hf-datasets")


@pytest.mark.parametrize("name", [pytest.param("hf-datasets", marks=HF),
                                  pytest.param("torchdata-nodes", marks=NODES)])
def test_peer_pin_memory_is_for_cuda_only(name, tiny_context):
    cls = loaders.get(name)
    options = build_options(cls.Options, {"pin_memory": True}, name)
    assert cls(tiny_context, options).pins_memory() is False
    cuda = LoaderContext(tiny_context.source, tiny_context.preprocessor, "cuda")
    assert cls(cuda, options).pins_memory() is True


@NODES
def test_torchdata_close_stops_the_mapper_processes(tiny_context):
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    loader = make_loader("torchdata-nodes", {"batch_size": 256, "method": "process"}, tiny_context)
    next(iter(loader.epoch(0)))  # stop mid-epoch, as the harness does at its step count
    started = [p for p in psutil.Process().children(recursive=True) if p.pid not in before]
    assert started, "the process mapper should run in child processes"
    loader.close()
    _gone, alive = psutil.wait_procs(started, timeout=10)
    assert not alive


@NODES
def test_keep_torch_threads_sets_the_count_again_before_each_batch(monkeypatch):
    from loaderbench.loaders.torchdata_nodes import keep_torch_threads

    calls = []
    monkeypatch.setattr(torch, "set_num_threads", calls.append)

    def library_batches():  # as torchdata's worker threads do, between batches
        for item in range(3):
            torch.set_num_threads(1)
            yield item

    assert list(keep_torch_threads(library_batches(), 4)) == [0, 1, 2]
    assert calls == [1, 4, 1, 4, 1, 4]


@NODES
@pytest.mark.parametrize(("setting", "wrapped"), [("keep", True), ("library", False)])
def test_torch_threads_decides_whether_batches_are_wrapped(setting, wrapped, tiny_context):
    loader = make_loader("torchdata-nodes", {"batch_size": 256, "torch_threads": setting},
                  tiny_context)
    try:
        assert inspect.isgenerator(loader.epoch(0)) is wrapped
    finally:
        loader.close()
