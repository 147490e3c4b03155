"""`loaderbench run --data DIR --label COL` and `loaderbench inspect` on a table of its own
(arbitrary names, no id column, Hive partitions, nulls), end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from loaderbench.cli import main
from tests.loaders.test_own_data import write_hive


@pytest.fixture(scope="module")
def own_dir(tmp_path_factory):
    return write_hive(tmp_path_factory.mktemp("own"))


@pytest.fixture(scope="module")
def nulls_dir(tmp_path_factory):
    return write_hive(tmp_path_factory.mktemp("own-nulls"), null_labels=3)


@pytest.mark.parametrize(("label", "task"), [("y_str", "classification (3 classes)"),
                                             ("y_float", "regression (MSE head)")])
def test_run_with_only_data_and_label(own_dir, tmp_path, label, task):
    out = tmp_path / "r.json"
    proc = subprocess.run([sys.executable, "-m", "loaderbench", "run", "--suite", "every",
                           "--loaders", "arrow-native", "--data", str(own_dir), "--label", label,
                           "--no-calibrate", "--out", str(out)],
                          capture_output=True, text=True, timeout=600, env=dict(os.environ))
    assert proc.returncode == 0, proc.stderr
    assert f"label '{label}': {task}" in proc.stdout
    assert "rows identified by position in the files" in proc.stdout
    assert "categorical: " in proc.stderr and "(large_string; inferred)" not in proc.stderr
    scenarios = json.loads(out.read_text())["scenarios"]
    assert [s["status"] for s in scenarios] == ["ok"]


def test_null_label_is_one_line_and_exit_2(nulls_dir, capsys):
    assert main(["run", "--data", str(nulls_dir), "--label", "y_int"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "label 'y_int' is null in 12 rows" in err and "--drop-null-labels" in err


def test_inspect_prints_roles_before_any_timing(nulls_dir, capsys):
    assert main(["inspect", str(nulls_dir), "--label", "y_int", "--categorical", "code"]) == 0
    out = capsys.readouterr().out
    assert "classification, 3 classes (3, 10, 1000)" in out
    assert "12 rows have a null label: refused by run unless --drop-null-labels" in out
    lines = {line.split()[0]: line for line in out.splitlines()[2:] if line.startswith("  ")}
    assert "categorical" in lines["code"] and "given" in lines["code"]
    assert "categorical" in lines["region"] and "inferred" in lines["region"]
    assert "unused" in lines["when"]
    assert "numeric" in lines["count"] and "a code?" in lines["count"]  # 9 integer values
    assert "position in the files" in out
