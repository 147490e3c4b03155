"""The pytest plugin: a user's test runs a loaderbench scenario under pytest-benchmark, and
`--benchmark-compare-fail` gates it. Each pytest runs in its own process, as a user's would."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.conftest import TINY

ROOT = Path(__file__).resolve().parents[2]
USER_TEST = '''
import os

def test_synthetic(loaderbench_scenario):
    run = loaderbench_scenario("synthetic", batch_size=64, steps=12, warmup=2,
                               latency_ms=float(os.environ["LATENCY_MS"]), dataset={dataset})
    assert run.rows_per_step == 64 and run.device == "cpu"
'''


def user_pytest(folder: Path, latency_ms: float, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "LATENCY_MS": str(latency_ms), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
           "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "pytest", "-p", "pytest_benchmark.plugin", "-p",
               "loaderbench.pytest_plugin", "-p", "no:cacheprovider", "-q",
               f"--rootdir={folder}", f"--benchmark-storage={folder / 'storage'}", *args,
               str(folder / "test_user.py")]
    return subprocess.run(command, capture_output=True, text=True, cwd=folder, env=env,
                          timeout=300, check=False)


@pytest.mark.slow
def test_compare_fail_gates_a_loaderbench_scenario(tmp_path):
    spec = dataclasses.asdict(TINY)
    (tmp_path / "test_user.py").write_text(USER_TEST.format(dataset=spec))
    first = user_pytest(tmp_path, 0.0, "--benchmark-autosave")
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    saved = list((tmp_path / "storage").rglob("0001_*.json"))
    assert len(saved) == 1
    bench = json.loads(saved[0].read_text())["benchmarks"][0]
    assert bench["stats"]["rounds"] == 12 and bench["extra_info"]["loader"] == "synthetic"
    # 20 ms of busy-wait per batch against a prebuilt batch: far more than 10% slower
    second = user_pytest(tmp_path, 20.0, "--benchmark-compare",
                         "--benchmark-compare-fail=mean:10%")
    assert second.returncode != 0
    assert "Performance has regressed" in second.stdout + second.stderr


def test_plugin_is_registered_through_pytest11():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["entry-points"]["pytest11"]["loaderbench"] == "loaderbench.pytest_plugin"


def test_plugin_import_is_light():
    code = ("import sys, loaderbench.pytest_plugin; "
            "sys.exit(bool({'torch', 'pyarrow', 'pandas'} & set(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
