"""Every loader targeting CUDA on a table of its own (no id column, Hive partitions, int /
string / dictionary / bool categoricals) with a float (regression) and a string label."""

from __future__ import annotations

import pytest

from loaderbench import loaders
from tests.gpu.test_loaders_cuda import checks_on_cuda, cuda_cases
from tests.loaders.test_own_data import contexts, odd_root  # noqa: F401 - fixtures

pytestmark = pytest.mark.gpu


@pytest.mark.parametrize("label", ["y_float", "y_str"])
@pytest.mark.parametrize(("name", "table"), list(cuda_cases()))
def test_own_data_on_cuda(name, table, label, contexts):  # noqa: F811 - the fixture
    checks = checks_on_cuda(name, {**table, "batch_size": 32}, contexts[label])
    if loaders.get(name).covers_dataset:
        assert checks.coverage == "exact"
