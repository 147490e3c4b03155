"""The overlapped loop on a real side stream: ring-buffer loaders (pinned slots refilled as
soon as their copy is done) still deliver every row once with the reference values, and the
device times are recorded for every step."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from loaderbench import loaders
from loaderbench.harness.checks import Checker
from loaderbench.harness.loop import LoopPlan, run_loop
from loaderbench.harness.overlap import Streams, overlapped
from loaderbench.loaders.base import build_options

pytestmark = pytest.mark.gpu


@pytest.mark.parametrize(("name", "table"), [
    ("arrow-shm", {"batch_size": 256, "workers": 2, "slots": 3, "pin_memory": True}),
    ("arrow-native", {"batch_size": 256, "pin_memory": True, "buffers": 2}),
])
def test_overlapped_loop_keeps_values_and_coverage(name, table, tiny_context):
    context = dataclasses.replace(tiny_context, device="cuda")
    cls = loaders.get(name)
    loader = cls(context, build_options(cls.Options, table, name))
    checker = Checker(context.source, context.preprocessor, True, loader.allowed_missing())
    streams = Streams.for_device("cuda")
    loader.setup()
    try:
        outcome = run_loop(loader, LoopPlan(epochs=2),
                           lambda b: b.to("cuda", non_blocking=True),
                           lambda b: torch.mm(b.features.T, b.features), torch.cuda.synchronize,
                           checker.observe, checker.end_epoch, one_epoch=overlapped(streams))
    finally:
        loader.close()
    checks, failure = checker.verdict()
    assert failure is None, failure
    assert checks.coverage == "exact" and checks.values == "ok"
    assert len(streams.compute_dev_s) == len(outcome.steps) > 0
    assert all(t > 0 for t in streams.transfer_dev_s)
