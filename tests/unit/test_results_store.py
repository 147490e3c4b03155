from __future__ import annotations

import errno
import json
import os

import pytest

from loaderbench.errors import UsageError
from loaderbench.results import store
from loaderbench.results.records import Checks, Pinning, Timing, Transfer, ValueCheck
from loaderbench.results.schema import SCHEMA_VERSION, RunResult, ScenarioResult, StepSamples


def sample_run() -> RunResult:
    steps = StepSamples((0.1, 0.2), (0.0, 0.0), (0.3, 0.3), (4, 4), (0, 0), (0, 0),
                        (True, False), (True, False))
    ok = ScenarioResult(name="a", loader="vectorized", device="cpu", status="ok",
                        options={"batch_size": 4}, steps=steps, row_bytes=176,
                        checks=Checks(values=ValueCheck.OK, value_rows=2),
                        timing=Timing(setup_s=(0.5,), loop_s=(1.0,), bookkeeping_s=(0.1,)),
                        transfer=Transfer(Pinning.NOT_APPLICABLE, "none (already on cpu)"))
    skipped = ScenarioResult(name="b", loader="vectorized", device="cuda", status="skipped",
                             reason="no CUDA device is visible")
    return RunResult(created="2026-11-28T00:00:00+00:00", env={"host": "h"},
                     scenarios=(ok, skipped), suite="quick")


def test_round_trip(tmp_path):
    run = sample_run()
    store.save(run, tmp_path / "r.json")
    assert store.load(tmp_path / "r.json") == run


def test_a_saved_file_has_ordinary_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        store.save(sample_run(), tmp_path / "r.json")
    finally:
        os.umask(old)
    assert (tmp_path / "r.json").stat().st_mode & 0o777 == 0o644


def test_file_is_sorted_strict_json(tmp_path):
    instant = StepSamples((0.0,), (0.0,), (0.0,), (4,), (0,), (0,), (False,), (False,))
    run = sample_run().with_scenario(ScenarioResult(name="c", loader="x", device="cpu",
                                                    status="ok", steps=instant))
    assert run.scenarios[2].metrics.steps_per_s == float("inf")
    store.save(run, tmp_path / "r.json")
    text = (tmp_path / "r.json").read_text()
    data = json.loads(text)
    assert data["schema_version"] == SCHEMA_VERSION
    assert list(data) == sorted(data)
    assert data["scenarios"][2]["metrics"]["steps_per_s"] is None
    assert data["scenarios"][1]["status"] == "skipped"
    assert data["scenarios"][1]["reason"] == "no CUDA device is visible"


def test_a_failed_write_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "r.json"
    store.save(sample_run(), path)
    before = path.read_text()

    def boom(*args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(UsageError, match=r"cannot save results to .*r\.json \(No space left"):
        store.save(sample_run().with_scenario(sample_run().scenarios[0]), path)
    assert path.read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


@pytest.mark.parametrize(("content", "message"), [
    (None, "does not exist"),
    ("{not json", "not readable JSON"),
    ('{"a": 1}', "not a loaderbench result file"),
    ('{"schema_version": 99}', "schema version 99"),
])
def test_bad_files_are_usage_errors(tmp_path, content, message):
    path = tmp_path / "r.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(UsageError, match=message):
        store.load(path)
