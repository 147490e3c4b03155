"""arrow-shm's own cases: exact batches assembled from several workers, an epoch abandoned
half-way, a worker's failure reaching the consumer, and the slot lifetime."""

from __future__ import annotations

import os

import numpy as np
import pytest

from loaderbench.harness.checks import Checker
from loaderbench.loaders import arrow_shm
from loaderbench.loaders.arrow_shm import ArrowShmLoader, ArrowShmOptions


def make(context, **options) -> ArrowShmLoader:
    loader = ArrowShmLoader(context, ArrowShmOptions(**options))
    loader.setup()
    return loader


def test_batches_are_whole_across_workers_and_keep_the_file_order(tiny_context):
    loader = make(tiny_context, batch_size=96, workers=3, slots=4, chunk_rows=50)
    try:
        batches = [b.row_id.numpy().copy() for b in loader.epoch(0)]
    finally:
        loader.close()
    rows = tiny_context.source.rows
    assert [len(b) for b in batches[:-1]] == [96] * (len(batches) - 1)
    assert np.array_equal(np.concatenate(batches), np.arange(rows))


def test_an_abandoned_epoch_is_skipped_and_the_next_is_whole(tiny_context):
    loader = make(tiny_context, batch_size=64, workers=2, slots=3)
    checker = Checker(tiny_context.source, tiny_context.preprocessor)
    try:
        first = loader.epoch(0)
        next(first)
        next(first)
        for batch in loader.epoch(1):
            checker.observe(batch)
        checker.end_epoch(1, True)
    finally:
        loader.close()
    checks, failure = checker.verdict()
    assert failure is None, failure
    assert checks.coverage == "exact" and checks.values == "ok"


def test_a_batch_stays_valid_until_the_next_is_asked_for(tiny_context):
    loader = make(tiny_context, batch_size=32, workers=2, slots=2)
    try:
        for batch in loader.epoch(0):
            ids = batch.row_id.numpy().copy()
            assert np.array_equal(batch.row_id.numpy(), ids)
            assert np.all(np.diff(ids) == 1)  # no slot refilled while held
    finally:
        loader.close()


@pytest.mark.skipif(not hasattr(os, "getpriority"), reason="process priorities are Unix's")
def test_workers_run_at_the_niceness_asked_for(tiny_context):
    loader = make(tiny_context, batch_size=64, workers=2, nice=3)
    try:
        next(iter(loader.epoch(0)))  # the workers have set themselves up
        mine = os.getpriority(os.PRIO_PROCESS, 0)
        theirs = [os.getpriority(os.PRIO_PROCESS, p.pid) for p in loader.pool.procs]
    finally:
        loader.close()
    assert theirs == [min(19, mine + 3)] * 2


def test_a_worker_failure_reaches_the_consumer(tiny_context, monkeypatch):
    def broken(pieces, options):
        raise OSError("disk gone")

    monkeypatch.setattr(arrow_shm, "_make_source", broken)  # forked workers inherit it
    loader = make(tiny_context, batch_size=64, workers=2)
    try:
        with pytest.raises(RuntimeError, match="disk gone"):
            next(iter(loader.epoch(0)))
    finally:
        loader.close()
