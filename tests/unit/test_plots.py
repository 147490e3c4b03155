"""Plots: titles, units and labels present, one colour per loader, and results/ stays free of
torch and pyarrow."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from loaderbench.results.access import loader_colours, view
from loaderbench.results.plots import run_figures, split, throughput
from tests import report_runs

ROOT = Path(__file__).resolve().parents[2]


def test_every_plot_has_a_title_and_labelled_axes():
    run = view(report_runs.run(), "laptop")
    for stem, fig in run_figures(run).items():
        assert "laptop" in fig.get_suptitle(), stem
        for ax in fig.axes:
            assert ax.get_xlabel(), stem
        assert any("samples/s" in ax.get_xlabel() + ax.get_ylabel() or "%" in ax.get_xlabel()
                   for ax in fig.axes), stem


def test_a_loader_has_the_same_colour_in_throughput_and_split():
    run = view(report_runs.run(), "laptop")
    colours = loader_colours(e.loader for e in run.entries)
    bars = throughput(run, colours).axes[0].patches
    ticks = split(run, colours).axes[0].get_yticklabels()
    rated = [e for e in run.entries if e.split_ms() is not None]
    for bar, e in zip(bars, run.entries, strict=True):
        assert bar.get_facecolor()[:3] == _rgb(colours[e.loader])
    for tick, e in zip(ticks, rated, strict=True):
        assert tick.get_color() == colours[e.loader]


def _rgb(hex_colour: str) -> tuple[float, float, float]:
    return tuple(int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5))


def test_report_modules_do_not_import_torch_or_pyarrow():
    modules = ("access", "grids", "plots", "html", "export", "summary", "normalize")
    code = ("import sys\n" + "".join(f"import loaderbench.results.{m}\n" for m in modules)
            + "sys.exit(sorted({'torch', 'pyarrow'} & set(sys.modules)) or 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
