from __future__ import annotations

import pytest

from loaderbench.errors import UsageError
from loaderbench.scenarios import suite as suites


def parse(text: str):
    import tomllib

    return suites.parse(tomllib.loads(text), "test.toml")


def test_grids_expand_to_the_cartesian_product():
    s = parse("""
[suite.defaults]
steps = 3
[[scenario]]
loader = "vectorized"
step = ["none", "mlp"]
[scenario.options]
batch_size = [64, 4096]
encode = "map"
""")
    names = [x.name for x in s.scenarios]
    assert names == ["vectorized batch_size=64 encode=map step=none",
                     "vectorized batch_size=4096 encode=map step=none",
                     "vectorized batch_size=64 encode=map step=mlp",
                     "vectorized batch_size=4096 encode=map step=mlp"]
    assert all(x.steps == 3 for x in s.scenarios)


def test_shipped_suites_load():
    for name in suites.shipped():
        assert suites.load(name).scenarios


def test_unknown_suite_lists_the_shipped_ones():
    with pytest.raises(UsageError, match="unknown suite 'nope'.*quick"):
        suites.load("nope")


def test_missing_suite_file():
    with pytest.raises(UsageError, match="does not exist"):
        suites.load("missing.toml")


def test_unknown_scenario_field():
    with pytest.raises(UsageError, match="unknown field.*stepz"):
        parse('[[scenario]]\nloader = "x"\nstepz = 3\n')


def test_bad_toml(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[[scenario]\n")
    with pytest.raises(UsageError, match="not valid TOML"):
        suites.load(str(path))


def test_select_filters_expands_devices_and_overrides():
    s = parse('[[scenario]]\nloader = "a"\n[[scenario]]\nloader = "b"\n')
    chosen = suites.select(s.scenarios, ["b"], ["cpu", "cuda"], steps=7)
    assert [(x.loader, x.device, x.steps) for x in chosen] == [("b", "cpu", 7), ("b", "cuda", 7)]
    with pytest.raises(UsageError, match="no scenario for loader"):
        suites.select(s.scenarios, ["c"])


def test_epochs_override_clears_steps():
    s = parse('[[scenario]]\nloader = "a"\n')
    (x,) = suites.select(s.scenarios, epochs=2)
    assert (x.steps, x.epochs) == (None, 2)


def test_bad_step_and_device():
    with pytest.raises(UsageError, match="NAME or NAME:ARGUMENT"):
        parse('[[scenario]]\nloader = "a"\nstep = "sleep 5"\n')
    with pytest.raises(UsageError, match="device must be one of cpu"):
        parse('[[scenario]]\nloader = "a"\ndevice = "tpu"\n')


def test_a_scenario_epochs_replace_the_default_steps():
    s = parse('[suite.defaults]\nsteps = 9\n[[scenario]]\nloader = "a"\nepochs = 1\n'
              '[[scenario]]\nloader = "b"\n')
    assert [(x.steps, x.epochs) for x in s.scenarios] == [(None, 1), (9, None)]


def test_default_epochs_replace_scenario_default_steps():
    s = parse('[suite.defaults]\nepochs = 2\n[[scenario]]\nloader = "a"\n'
              '[[scenario]]\nloader = "b"\nsteps = 4\n')
    assert [(x.steps, x.epochs) for x in s.scenarios] == [(None, 2), (4, None)]


def test_default_suite_runs_every_builtin_loader_and_the_unsharded_bug():
    from loaderbench import loaders
    from loaderbench.harness.planning import resolve_options
    from loaderbench.loaders import BUILTIN

    s = suites.load("default")
    resolve_options(s.scenarios)
    core = {name for name in BUILTIN if not loaders.get(name).requires}
    assert core <= {x.loader for x in s.scenarios}  # the peers have their own suite
    assert all(x.device == "cpu" for x in s.scenarios)
    (bug,) = [x for x in s.scenarios if x.options.get("sharding") == "none"]
    assert bug.options["num_workers"] == 2 and bug.epochs == 1
    encodes = {x.options.get("encode") for x in s.scenarios if x.loader == "vectorized"}
    shuffles = {x.options.get("shuffle") for x in s.scenarios if x.loader == "vectorized"}
    assert {"map", "apply"} <= encodes and {"permutation", "df-sample"} <= shuffles


def test_adaptive_length_is_checked_and_an_explicit_length_replaces_it():
    from loaderbench.errors import UsageError
    from loaderbench.scenarios.scenario import Scenario
    from loaderbench.scenarios.suite import select

    s = Scenario(name="a", loader="vectorized", steps=20, max_time_s=5.0)
    with pytest.raises(UsageError, match="min_time_s <= max_time_s"):
        Scenario(name="a", loader="vectorized", steps=20, min_time_s=9.0, max_time_s=5.0)
    with pytest.raises(UsageError, match="needs steps"):
        Scenario(name="a", loader="vectorized", steps=None, epochs=1, max_time_s=5.0)
    (chosen,) = select([s], steps=40)
    assert chosen.max_time_s is None and chosen.steps == 40


def test_every_suite_runs_each_builtin_loader_once():
    from loaderbench import loaders

    chosen = suites.load("every").scenarios
    core = [n for n in loaders.BUILTIN if not loaders.get(n).requires]  # peers: their suite
    assert sorted(s.loader for s in chosen) == sorted(core)
    assert all(s.step == "none" for s in chosen)


def test_peers_suite_runs_every_peer_beside_vectorized_and_arrow_native():
    from loaderbench import loaders
    from loaderbench.harness.planning import resolve_options
    from loaderbench.loaders import BUILTIN

    s = suites.load("peers")
    resolve_options(s.scenarios)
    peers = {name for name in BUILTIN if loaders.get(name).requires}
    assert peers == {"hf-datasets", "torchdata-nodes", "polars"}
    for name in peers | {"vectorized", "arrow-native"}:
        assert {x.step for x in s.scenarios if x.loader == name} == {"none", "mlp"}, name
    assert all(x.device == "cpu" for x in s.scenarios)  # --device cuda replaces it


def test_a_folder_named_like_a_shipped_suite_does_not_hide_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ci").mkdir()  # e.g. a CI checkout folder next to where the run starts
    assert suites.load("ci").name == "ci"
    (tmp_path / "mine").mkdir()
    with pytest.raises(UsageError, match="is not a file"):
        suites.load("mine")
