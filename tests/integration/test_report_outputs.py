"""report --plots/--html, compare --normalize/--plots and export, end to end through the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from loaderbench.cli import main
from tests import report_runs

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture()
def runs(tmp_path: Path) -> tuple[Path, Path]:
    return (report_runs.write(tmp_path, "laptop.json", 1.0),
            report_runs.write(tmp_path, "server.json", 3.0, cpu="Other CPU", cores=16))


def test_report_writes_throughput_split_and_scaling_plots(runs, tmp_path, capsys):
    assert main(["report", str(runs[0]), "--plots", str(tmp_path / "plots")]) == 0
    written = sorted(p.name for p in (tmp_path / "plots").iterdir())
    assert written == ["scaling-num_workers.png", "split.png", "throughput.png"]
    assert all((tmp_path / "plots" / n).read_bytes().startswith(PNG) for n in written)
    assert "plot:" in capsys.readouterr().err


def test_report_html_holds_every_scenario_and_embedded_plots(runs, tmp_path):
    out = tmp_path / "report.html"
    assert main(["report", *map(str, runs), "--html", str(out)]) == 0
    page = out.read_text()
    for name in ("vectorized batch_size=100", "sharded num_workers=4", "sharded sharding=none"):
        assert f"data-scenario='{name} [cpu]'" in page
    assert page.count("data:image/png;base64,") == 6  # 3 plots per run
    assert "http://" not in page and "https://" not in page  # nothing fetched from a network


def test_html_without_matplotlib_says_how_to_get_plots(runs, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    out = tmp_path / "report.html"
    assert main(["report", str(runs[0]), "--html", str(out)]) == 0
    assert "plots omitted: matplotlib is not installed (pip install 'loaderbench[plots]')" \
        in out.read_text()


def test_plots_without_matplotlib_is_one_line_and_exit_2(runs, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    assert main(["report", str(runs[0]), "--plots", str(tmp_path / "p")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "pip install 'loaderbench[plots]'" in err


def test_compare_normalize_ranks_and_plots(runs, tmp_path, capsys):
    code = main(["compare", *map(str, runs), "--by", "name", "--normalize", "vectorized",
                 "--plots", str(tmp_path / "cmp")])
    assert code == 0
    out = capsys.readouterr().out
    assert "#1" in out and "server / laptop" in out and "Other CPU" in out
    assert (tmp_path / "cmp" / "compare.png").read_bytes().startswith(PNG)


def test_compare_normalize_unknown_loader_is_exit_2(runs, capsys):
    assert main(["compare", *map(str, runs), "--normalize", "nope"]) == 2
    assert "--normalize nope" in capsys.readouterr().err


def test_export_pytest_benchmark_is_read_by_pytest_benchmark_compare(runs, tmp_path):
    out = tmp_path / "0001_loaderbench.json"
    assert main(["export", str(runs[0]), "--to", "pytest-benchmark", "--out", str(out)]) == 0
    done = subprocess.run([sys.executable, "-m", "pytest_benchmark", "compare", str(out)],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert "arrow-native batch_size=100 [cpu]" in done.stdout
    assert "Failed to load" not in done.stdout + done.stderr


def test_export_github_action_benchmark_to_stdout(runs, capsys):
    assert main(["export", str(runs[0]), "--to", "github-action-benchmark"]) == 0
    items = json.loads(capsys.readouterr().out)
    assert {"name", "unit", "value", "range"} <= set(items[0])


def test_export_markdown_with_gate(runs, capsys):
    assert main(["export", str(runs[0]), "--to", "markdown", "--gate", str(runs[1])]) == 0
    out = capsys.readouterr().out
    assert "gate: REGRESSION" in out and "### Gate against `server`" in out


def test_export_gate_needs_markdown(runs, capsys):
    assert main(["export", str(runs[0]), "--to", "pytest-benchmark", "--gate",
                 str(runs[1])]) == 2
    assert "--gate goes with --to markdown" in capsys.readouterr().err


def test_unwritable_outputs_are_one_line_and_exit_2(runs, tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    assert main(["report", str(runs[0]), "--plots", str(blocker / "plots")]) == 2
    assert main(["report", str(runs[0]), "--html", str(tmp_path / "no" / "r.html")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "--plots" in err[0] and "--html" in err[1]
