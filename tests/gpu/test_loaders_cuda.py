"""Every loader in the registry, targeting CUDA: its batches, moved to the GPU as the harness
moves them (pinned ones non_blocking), hold the reference values for every sampled row_id and
cover every row once. Skipped with the reason where there is no CUDA device."""

from __future__ import annotations

import dataclasses

import pytest

from loaderbench import loaders
from loaderbench.harness.checks import Checker
from loaderbench.loaders._support.extras import missing
from loaderbench.loaders.base import build_options
from tests.loaders.test_contract import CONTEXT, DEFAULT, VARIANTS

pytestmark = pytest.mark.gpu


def cuda_cases():
    for name in loaders.names():
        table = dict(VARIANTS.get(name, DEFAULT)[0])
        fields = {f.name for f in dataclasses.fields(loaders.get(name).Options)}
        for extra in ({"pin_memory": True}, {"resident": "device"}):
            if set(extra) <= fields:
                table.update(extra)
        absent = missing(loaders.get(name))
        yield pytest.param(name, table, id=name,
                           marks=[pytest.mark.skip(reason=absent)] if absent else [])


@pytest.mark.parametrize(("name", "table"), list(cuda_cases()))
def test_values_and_coverage_on_cuda(name, table, request):
    context = request.getfixturevalue(CONTEXT.get(name, "tiny_context"))
    checks_on_cuda(name, table, context)


def checks_on_cuda(name: str, table: dict, context) -> dict:
    """One epoch of `name` targeting CUDA, every batch moved as the harness moves it; the
    checks' record (the test fails on any failed check)."""
    context = dataclasses.replace(context, device="cuda")
    cls = loaders.get(name)
    loader = cls(context, build_options(cls.Options, table, name))
    checker = Checker(context.source, context.preprocessor, cls.covers_dataset,
                      loader.allowed_missing())
    loader.setup()
    try:
        for batch in loader.epoch(0):
            if loader.pins_memory():
                assert batch.is_pinned() or batch.features.is_cuda
            checker.observe(batch.to("cuda", non_blocking=batch.features.is_pinned()))
        checker.end_epoch(0, True)
    finally:
        loader.close()
    checks, failure = checker.verdict()
    assert failure is None, failure
    assert checks.values == "ok"
    return checks
