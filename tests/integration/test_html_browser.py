"""The HTML report of the committed H200 run, opened in a real headless Chromium: every
scenario is on the page, every embedded plot decoded, and a screenshot is taken.

Chromium comes from the OS packages (`.ci/run` installs it where it can); where it is
absent the test is skipped, saying so.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from loaderbench.cli import main
from loaderbench.results.store import load

ROOT = Path(__file__).resolve().parents[2]
RUN = ROOT / "results" / "h200-gpu.json"
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--virtual-time-budget=10000")


def browser() -> str:
    found = next((shutil.which(b) for b in BROWSERS if shutil.which(b)), None)
    if found is None:
        pytest.skip("no headless Chromium on this machine (apt-get install chromium)")
    return found


def chromium(exe: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([exe, *FLAGS, f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=180, check=False)


@pytest.mark.slow
def test_html_report_renders_every_scenario_in_chromium(tmp_path):
    exe = browser()
    page = tmp_path / "report.html"
    assert main(["report", str(RUN), "--html", str(page)]) == 0
    dom = chromium(exe, tmp_path / "profile-dom", "--dump-dom", page.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    body = re.search(r"<body[^>]*>", dom.stdout)
    assert body is not None
    assert 'data-rendered="yes"' in body.group(0)
    assert 'data-broken=""' in body.group(0)          # every embedded plot decoded
    images = int(re.search(r'data-images="(\d+)"', body.group(0)).group(1))
    assert images >= 3                                # throughput, split, scaling
    for s in load(RUN).scenarios:
        assert f"data-scenario=\"{s.name} [{s.device}]\"" in dom.stdout
    shot = tmp_path / "report.png"
    done = chromium(exe, tmp_path / "profile-shot", "--window-size=1280,2400",
                    f"--screenshot={shot}", page.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    assert shot.read_bytes().startswith(b"\x89PNG")
