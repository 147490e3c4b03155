"""--out end to end: an earlier result is refused, continued with --resume (nothing left to
run), replaced with --force; the file is 0644 under umask 022 and no lock is left behind."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys


def run(suite, data, out, *flags):
    return subprocess.run([sys.executable, "-m", "loaderbench", "run", "--suite", str(suite),
                           "--data", str(data), "--out", str(out), "--no-calibrate", "--quiet",
                           *flags], capture_output=True, text=True, timeout=600,
                          env=dict(os.environ))


def test_an_earlier_result_is_refused_resumed_or_replaced(tmp_path, tiny_root):
    suite, out = tmp_path / "one.toml", tmp_path / "r.json"
    suite.write_text('[suite]\nname = "one"\n[[scenario]]\nloader = "vectorized"\nsteps = 2\n'
                     'warmup = 0\n[scenario.options]\nbatch_size = 64\n')
    old = os.umask(0o022)
    try:
        first = run(suite, tiny_root, out)
    finally:
        os.umask(old)
    assert first.returncode == 0, first.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o644
    created = json.loads(out.read_text())["created"]
    before = out.read_bytes()

    again = run(suite, tiny_root, out)
    assert again.returncode == 2
    assert "holds an earlier result; give --resume" in again.stderr
    assert out.read_bytes() == before

    resumed = run(suite, tiny_root, out, "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert "running 0 scenario(s)" in resumed.stderr
    assert json.loads(out.read_text())["created"] == created

    replaced = run(suite, tiny_root, out, "--force")
    assert replaced.returncode == 0, replaced.stderr
    assert len(json.loads(out.read_text())["scenarios"]) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one.toml", "r.json"]
