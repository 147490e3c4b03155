"""The CLI end to end on a tiny generated dataset: real Parquet files, real worker processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from loaderbench.cli import main
from loaderbench.results.metrics import COUNTING_RULE

SUITE = """
[suite]
name = "tiny"
[suite.defaults]
device = "cpu"
warmup = 1
steps = 6
[[scenario]]
loader = "rowwise"
steps = 2
[scenario.options]
batch_size = 16
[[scenario]]
loader = "vectorized"
[scenario.options]
batch_size = 64
"""


@pytest.fixture(scope="module")
def suite_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("suite") / "tiny.toml"
    path.write_text(SUITE)
    return path


@pytest.fixture(scope="module")
def finished_run(suite_file, tiny_root, tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "run.json"
    proc = subprocess.run([sys.executable, "-m", "loaderbench", "run", "--suite", str(suite_file),
                           "--data", str(tiny_root), "--out", str(out), "--device", "cpu,cuda"],
                          capture_output=True, text=True, timeout=600, env=dict(os.environ))
    return proc, out


@pytest.mark.slow
def test_run_prints_the_table_and_writes_the_result(finished_run):
    proc, out = finished_run
    assert proc.returncode == 0, proc.stderr
    assert "| rowwise batch_size=16" in proc.stdout
    assert "| vectorized batch_size=64" in proc.stdout
    data = json.loads(out.read_text())
    assert data["schema_version"] == 2
    assert {"host", "cpu", "python", "libraries"} <= set(data["env"])
    assert data["calibration"]["scan_rows_per_s"] > 0
    cpu = [s for s in data["scenarios"] if s["device"] == "cpu"]
    assert [s["status"] for s in cpu] == ["ok", "ok"]
    assert cpu[1]["options"]["chunk_rows"] == 4096  # a default, recorded as resolved
    assert cpu[1]["scenario"]["tool_version"] == data["tool"]["version"]
    for s in cpu:
        assert {"steps_per_s", "samples_per_s", "step_ms_p50", "step_ms_p90",
                "data_wait_fraction"} <= set(s["metrics"])
        assert set(s["steps"]) >= {"wait_s", "transfer_s", "compute_s"}
        assert s["metrics"]["counting_rule"] == COUNTING_RULE
        assert all(e["duplicates"] == 0 for e in s["checks"]["epochs"])
        assert s["checks"]["values"] == "ok" and s["checks"]["value_rows"] > 0


@pytest.mark.slow
def test_unavailable_device_is_skipped_with_its_reason(finished_run):
    _, out = finished_run
    cuda = [s for s in json.loads(out.read_text())["scenarios"] if s["device"] == "cuda"]
    assert len(cuda) == 2
    import torch

    if not torch.cuda.is_available():
        assert all(s["status"] == "skipped" and "CUDA" in s["reason"] for s in cuda)


@pytest.mark.slow
def test_report_prints_the_saved_table(finished_run, capsys):
    proc, out = finished_run
    assert main(["report", str(out)]) == 0
    assert capsys.readouterr().out.strip() == proc.stdout.strip()


def bad(argv, capsys) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    return err


@pytest.mark.parametrize(("argv", "message"), [
    (["run", "--suite", "nope"], "unknown suite 'nope'"),
    (["run", "--loaders", "nope"], "unknown loader 'nope'"),
    (["run", "--device", "tpu"], "unknown device 'tpu'"),
    (["run", "--data", "/no/such/folder"], "does not exist"),
    (["run", "--format", "fancy"], "unknown table format"),
    (["run", "--steps", "0"], "--steps must be at least 1"),
    (["report", "/no/such/file.json"], "does not exist"),
])
def test_bad_input_is_one_line_and_exit_2(argv, message, capsys):
    assert message in bad(argv, capsys)


def test_data_folder_missing_a_column(tmp_path, tiny_source, capsys, suite_file):
    import pyarrow.parquet as pq

    table = pq.read_table(tiny_source.files[0])
    pq.write_table(table, tmp_path / "a.parquet")
    pq.write_table(table.drop_columns(["row_id"]), tmp_path / "b.parquet")
    err = bad(["run", "--suite", str(suite_file), "--data", str(tmp_path)], capsys)
    assert "lacks column(s) row_id" in err


def test_out_that_cannot_be_written(tmp_path, capsys, suite_file, tiny_root):
    (tmp_path / "file").write_text("x")
    err = bad(["run", "--suite", str(suite_file), "--data", str(tiny_root),
               "--out", str(tmp_path / "file" / "r.json")], capsys)
    assert "cannot use folder" in err and "a file of that name exists" in err


def test_argparse_errors_are_one_line_too(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["run", "--repeats", "many"])
    assert stop.value.code == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_list_names_loaders_and_suites(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "rowwise" in out and "vectorized" in out and "quick" in out


def test_data_generates_once_and_prints_the_folder(capsys, tmp_path):
    argv = ["data", "--rows", "500", "--dates", "1", "--files-per-date", "1", "--filler", "2",
            "--root", str(tmp_path)]
    assert main(argv) == 0
    folder = Path(capsys.readouterr().out.strip())
    assert folder.parent == tmp_path and list(folder.rglob("*.parquet"))
    assert main(argv) == 0
    assert Path(capsys.readouterr().out.strip()) == folder


@pytest.mark.slow
def test_report_details_shows_the_second_table(finished_run, capsys):
    _, out = finished_run
    assert main(["report", str(out), "--details", "--format", "plain"]) == 0
    text = capsys.readouterr().out
    assert "steps/s (95% CI)" in text and "first batch s" in text and "% scan" in text
    assert "calibration: host copy" in text and "raw Parquet scan" in text
    assert "timed on cpu: time.perf_counter" in text
    data = json.loads(out.read_text())
    ok = [s for s in data["scenarios"] if s["status"] == "ok"]
    for s in ok:
        assert s["timing"]["sync"] and s["transfer"]["pinning"] == "n/a"
        assert s["metrics"]["setup_s"] is not None and s["resources"]["cpu_cores_busy"][0] > 0


class ClosedPipe:
    """stdout whose reader has left (`... | head`). This machine's sandbox never reports a
    closed pipe to the writer, so the error is raised here as the kernel would."""

    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    def flush(self) -> None:
        raise BrokenPipeError(32, "Broken pipe")


def test_a_reader_that_leaves_early_gets_no_traceback(monkeypatch, capsys):
    from loaderbench.cli import main

    monkeypatch.setattr("sys.stdout", ClosedPipe())
    assert main(["list"]) == 141  # as a shell reports SIGPIPE
    assert capsys.readouterr().err == ""


@pytest.mark.slow
def test_a_run_through_the_fork_server_says_so_and_passes_its_checks(suite_file, tiny_root,
                                                                     tmp_path):
    out = tmp_path / "run.json"
    proc = subprocess.run([sys.executable, "-m", "loaderbench", "run", "--suite", str(suite_file),
                           "--data", str(tiny_root), "--out", str(out), "--no-calibrate",
                           "--fork-server", "--repeats", "2"],
                          capture_output=True, text=True, timeout=600, env=dict(os.environ))
    assert proc.returncode == 0, proc.stderr
    data = json.loads(out.read_text())
    assert data["tool"]["children"] == "forked from a fork server"
    assert [s["status"] for s in data["scenarios"]] == ["ok", "ok"]
    assert all(s["checks"]["values"] == "ok" for s in data["scenarios"])
    assert all(len(s["timing"]["loop_s"]) == 2 for s in data["scenarios"])
