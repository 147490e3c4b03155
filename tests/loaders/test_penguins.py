"""A real public table, not generated here: Palmer penguins as shipped in the `palmerpenguins`
package on PyPI (the raw table: 344 rows, 17 columns named "Culmen Length (mm)", "Date Egg",
..., nulls in numbers and strings, free-text comments). Every loader passes its checks on it
with roles given by name and with roles inferred."""

from __future__ import annotations

from importlib import resources

import pandas as pd
import pytest

from loaderbench.loaders.base import LoaderContext
from loaderbench.scenarios.preprocess import Preprocessor
from loaderbench.scenarios.roles import RoleRequest
from loaderbench.scenarios.source import open_data
from tests.loaders.test_own_data import assert_passes, loader_params

GIVEN = RoleRequest(label="Species", numeric=("Culmen Length (mm)", "Culmen Depth (mm)",
                                              "Flipper Length (mm)", "Body Mass (g)"),
                    categorical=("Island", "Sex", "Clutch Completion"),
                    exclude=("Individual ID", "Comments", "Date Egg"))


@pytest.fixture(scope="module")
def penguins_dir(tmp_path_factory):
    """The raw table as two Parquet files (CSV rows 0-199 and 200-343)."""
    path = resources.files("palmerpenguins").joinpath("data", "penguins-raw.csv")
    with resources.as_file(path) as csv:
        frame = pd.read_csv(csv)
    root = tmp_path_factory.mktemp("penguins")
    frame.iloc[:200].to_parquet(root / "part-0.parquet", index=False)
    frame.iloc[200:].to_parquet(root / "part-1.parquet", index=False)
    return root


@pytest.fixture(scope="module")
def contexts(penguins_dir):
    out = {}
    for how, request in (("given", GIVEN), ("inferred", RoleRequest(label="Species"))):
        source = open_data(penguins_dir, request)
        out[how] = LoaderContext(source, Preprocessor.fit(source, 200), "cpu", seed=0)
    return out


def test_roles_inferred_from_the_real_table(contexts):
    source = contexts["inferred"].source
    assert source.rows == 344
    assert source.target.classes[0].startswith("Adelie")
    assert len(source.target.classes) == 3
    assert "Culmen Length (mm)" in source.roles.numeric
    assert {"Island", "Sex", "Comments"} <= set(source.roles.categorical)
    assert not source.roles.has_id


@pytest.mark.parametrize("how", ["given", "inferred"])
@pytest.mark.parametrize("name", list(loader_params()))
def test_every_loader_passes_on_penguins(name, how, contexts):
    assert_passes(name, contexts[how])
