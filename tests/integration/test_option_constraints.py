"""Every constraint declared on any loader's options, over the whole registry: a suite that
breaks it exits 2 from `loaderbench run` with one line naming the option, before anything
runs (no dataset, no calibration, no scenario process)."""

from __future__ import annotations

import pytest

from loaderbench import loaders
from loaderbench.cli import main
from loaderbench.harness import session
from loaderbench.loaders.options import Constraint, constraints


def bad_value(rule: Constraint, default: object) -> object | None:
    """A value that breaks `rule`, of the option's own type; None if it declares nothing."""
    if rule.choices is not None:
        return "not-a-choice"
    if rule.minimum is None:
        return None
    return rule.minimum - (1 if isinstance(default, int) or default is None else 0.5)


def cases():
    for name in loaders.names():
        options = loaders.get(name).Options
        defaults = {f: getattr(options(), f) for f in constraints(options)}
        for field, rule in constraints(options).items():
            value = bad_value(rule, defaults[field])
            if value is not None:
                yield pytest.param(name, field, value, id=f"{name}.{field}={value}")


def toml(value: object) -> str:
    return f'"{value}"' if isinstance(value, str) else repr(value)


@pytest.mark.parametrize(("loader", "field", "value"), list(cases()))
def test_every_declared_constraint_exits_2_before_anything_runs(loader, field, value, tmp_path,
                                                                monkeypatch, capsys):
    def must_not_run(*args, **kwargs):
        raise AssertionError("the run started before its options were checked")

    monkeypatch.setattr(session, "prepare", must_not_run)
    suite = tmp_path / "bad.toml"
    suite.write_text(f'[[scenario]]\nloader = "{loader}"\n[scenario.options]\n'
                     f"{field} = {toml(value)}\n")
    out = tmp_path / "out.json"
    assert main(["run", "--quiet", "--suite", str(suite), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert f"{loader}.{field}" in err
    assert not out.exists()


def test_inherited_constraints_survive_a_changed_default():
    rules = constraints(loaders.get("sharded").Options)
    assert rules["num_workers"].minimum == 0  # redeclared as `num_workers: int = 2`
    assert rules["prefetch_factor"].minimum == 1  # from WorkerOptions, the second base
    assert rules["chunk_rows"].minimum == 1  # from VectorizedOptions, the first base
    assert rules["sharding"].choices == ("worker-info", "worker-init-fn", "none")


def test_list_prints_each_constraint_and_the_steps(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "num_workers = 2" in out and ">= 0" in out
    assert "sharding = worker-info" in out and "worker-info | worker-init-fn | none" in out
    assert "training steps:" in out and "sleep:MS" in out
