"""--out safety: nothing at the path is destroyed, non-regular files are refused, one run at a
time per file, files get the umask's mode, and a failed save keeps what was saved."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest

from loaderbench.errors import UsageError
from loaderbench.harness import runner
from loaderbench.harness.worker import base_result
from loaderbench.results import outfile, store
from loaderbench.results.schema import RunResult
from loaderbench.scenarios.scenario import Scenario


def a_result(path: Path, scenarios: int = 1) -> Path:
    run = RunResult(created="now", env={"host": "h"}, suite="s")
    for i in range(scenarios):
        run = run.with_scenario(base_result(Scenario(f"s{i}", "x"), "skipped", "test"))
    store.save(run, path)
    return path


def test_an_unrelated_file_is_refused_and_left_byte_identical(tmp_path):
    path = tmp_path / "notes.json"
    path.write_bytes(b"my notes\x00\xff")
    for resume, force in ((False, False), (True, False), (False, True)):
        with pytest.raises(UsageError, match="not a loaderbench result"), \
                outfile.claim(path, resume, force):
            pass
    assert path.read_bytes() == b"my notes\x00\xff"


def test_an_earlier_result_needs_resume_or_force(tmp_path):
    path = a_result(tmp_path / "r.json")
    with pytest.raises(UsageError, match="--resume to continue it, --force to replace it"), \
            outfile.claim(path):
        pass
    for resume, force in ((True, False), (False, True)):
        with outfile.claim(path, resume, force) as existing:
            assert existing


@pytest.mark.parametrize("make", ["folder", "symlink", "fifo", "devnull"])
def test_what_is_not_a_regular_file_is_refused(tmp_path, make):
    path = {"folder": tmp_path, "symlink": tmp_path / "link.json", "fifo": tmp_path / "p.json",
            "devnull": Path("/dev/null")}[make]
    if make == "symlink":
        path.symlink_to(a_result(tmp_path / "r.json"))
    if make == "fifo":
        os.mkfifo(path)
    with pytest.raises(UsageError, match="not a regular file"), outfile.claim(path, True, True):
        pass


def test_a_second_claim_on_the_same_file_is_refused_until_the_first_ends(tmp_path):
    path = tmp_path / "r.json"
    with outfile.claim(path) as existing:
        assert not existing
        assert outfile.lock_path(path).exists()
        with pytest.raises(UsageError, match="another loaderbench run is writing"), \
                outfile.claim(path):
            pass
    assert not outfile.lock_path(path).exists()
    with outfile.claim(path):
        pass


def test_a_folder_that_cannot_be_made_is_named_before_any_work(tmp_path):
    (tmp_path / "a-file").write_text("x")
    with pytest.raises(UsageError, match="a file of that name exists"), \
            outfile.claim(tmp_path / "a-file" / "r.json"):
        pass


@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_result_files_get_the_mode_the_umask_gives(tmp_path, mask, mode):
    old = os.umask(mask)
    try:
        path = a_result(tmp_path / "r.json")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == mode


def test_numbered_finds_a_free_name(tmp_path):
    first = tmp_path / "run.json"
    assert outfile.numbered(first) == first
    first.write_text("{}")
    (tmp_path / "run-2.json").write_text("{}")
    assert outfile.numbered(first) == tmp_path / "run-3.json"


def test_a_full_disk_mid_run_keeps_the_finished_scenarios(tmp_path, monkeypatch):
    """The second save fails (ENOSPC): one line naming the file, which still holds the first
    scenario, and no temporary file is left beside it."""
    out = tmp_path / "r.json"
    scenarios = [Scenario("a", "x"), Scenario("b", "x")]
    monkeypatch.setattr(runner, "run_scenario",
                        lambda s, *args, **kw: base_result(s, "skipped", "test"))
    real, calls = store.write_atomic, []

    def fill_up(path, text):
        calls.append(path)
        if len(calls) > 1:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(path, text)

    monkeypatch.setattr(store, "write_atomic", fill_up)
    with pytest.raises(UsageError, match=r"cannot save results to .*No space left"):
        runner.run_all(RunResult(created="now", env={}), scenarios, None, out=out,
                       calibrate_first=False)
    assert [s.name for s in store.load(out).scenarios] == ["a"]
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]
