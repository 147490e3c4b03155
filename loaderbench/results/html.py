"""A self-contained HTML report: one file, no network access needed to read it.

For each run: where it ran (environment), the machine's calibration, the comparison and
details tables with their notes, failed checks and warnings, and every plot embedded as a
base64 PNG. Without matplotlib the report is still written, with one line saying how to get
the plots. Every scenario gets an element with `data-scenario`, so a browser test can check
that each one rendered.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from loaderbench.errors import UsageError
from loaderbench.results.access import RunView, checks_failed, loader_colours, tables_html

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1400px; color: #222; }
h1 { font-size: 1.5em; } h2 { border-bottom: 2px solid #ccc; padding-bottom: .2em; }
table { border-collapse: collapse; font-size: 12px; margin: .5em 0; }
th, td { border: 1px solid #ddd; padding: 2px 6px; white-space: nowrap; }
th { background: #f3f3f3; } .scroll { overflow-x: auto; }
.notes { font-size: 12px; color: #555; } .warn { color: #a00; }
img { max-width: 100%; border: 1px solid #eee; margin: .5em 0; }
dl.env { display: grid; grid-template-columns: max-content auto; gap: 0 1em; font-size: 13px; }
dt { font-weight: 600; }
"""
# Once the page has loaded, the body records how many images decoded and which did not: what
# a headless-browser test reads back with --dump-dom (no network, no external script).
CHECK_SCRIPT = """
window.addEventListener('load', () => {
  const images = Array.from(document.images);
  const broken = images.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.alt);
  document.body.dataset.images = String(images.length);
  document.body.dataset.broken = broken.join(',');
  document.body.dataset.rendered = 'yes';
});
"""


def esc(text: Any) -> str:
    return html.escape(str(text))


def env_block(run: RunView) -> str:
    env = dict(run.env)
    libs = env.pop("libraries", {}) or {}
    rows = [(k, v) for k, v in sorted(env.items()) if v not in (None, "", {})]
    rows += [(f"library {k}", v) for k, v in sorted(libs.items())]
    items = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in rows)
    return f"<h3>Environment</h3><dl class='env'>{items}</dl>"


def calibration_block(run: RunView) -> str:
    if not run.calibration:
        return "<h3>Calibration</h3><p class='notes'>none (run with --no-calibrate)</p>"
    text = json.dumps(run.calibration, indent=1, sort_keys=True)
    return ("<h3>Calibration</h3><details><summary>the machine's own ceilings "
            f"(raw)</summary><pre class='notes'>{esc(text)}</pre></details>")


def notes_list(lines: Sequence[str], css: str = "notes") -> str:
    if not lines:
        return ""
    return f"<ul class='{css}'>" + "".join(f"<li>{esc(n)}</li>" for n in lines) + "</ul>"


def scenario_index(run: RunView) -> str:
    """One line per scenario (status and checks): what a reader and the browser test scan."""
    items = "".join(
        f"<li data-scenario='{esc(e.name)} [{esc(e.device)}]'><b>{esc(e.name)}</b> "
        f"[{esc(e.device)}]: {esc(e.status)}; checks: {esc(e.checks)}"
        + (f"; unstable: {esc(e.unstable)}" if e.unstable else "") + "</li>"
        for e in run.entries)
    return f"<h3>Scenarios and checks</h3><ul class='notes'>{items}</ul>"


def plot_block(images: Mapping[str, bytes]) -> str:
    return "<h3>Plots</h3>" + "".join(
        f"<figure><img alt='{esc(stem)}' data-plot='{esc(stem)}' "
        f"src='data:image/png;base64,{base64.b64encode(png).decode()}'></figure>"
        for stem, png in images.items())


def run_section(run: RunView, images: Mapping[str, bytes] | None) -> str:
    (table, table_notes), (details, details_notes) = tables_html(run)
    failed = checks_failed(run)
    parts = [f"<section><h2>{esc(run.label)}</h2>",
             f"<p>suite <code>{esc(run.suite)}</code>, created {esc(run.created)}, file "
             f"<code>{esc(run.path)}</code></p>",
             "<h3>Comparison</h3>", f"<div class='scroll'>{table}</div>"]
    if failed:
        parts += ["<h3 class='warn'>Failed</h3>", notes_list(failed, "warn")]
    parts.append(plot_block(images) if images is not None else
                 "<p class='notes'>plots omitted: matplotlib is not installed "
                 "(pip install 'loaderbench[plots]')</p>")
    parts += ["<h3>Notes and warnings</h3>", notes_list(table_notes),
              "<h3>Details</h3>", f"<div class='scroll'>{details}</div>",
              notes_list(details_notes), scenario_index(run), env_block(run),
              calibration_block(run), "</section>"]
    return "\n".join(parts)


def run_images(runs: Sequence[RunView]) -> list[dict[str, bytes]] | None:
    """Every run's plots as PNG bytes, one colour per loader across runs; None without
    matplotlib."""
    try:
        from loaderbench.results import plots

        plots.figure_class()
    except UsageError:
        return None
    colours = loader_colours(e.loader for r in runs for e in r.entries)
    return [{stem: plots.png(fig) for stem, fig in plots.run_figures(r, colours).items()}
            for r in runs]


def document(runs: Sequence[RunView]) -> str:
    images = run_images(runs)
    title = "loaderbench report: " + ", ".join(r.label for r in runs)
    stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    sections = [run_section(r, images[i] if images is not None else None)
                for i, r in enumerate(runs)]
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>{esc(title)}</title><style>{STYLE}</style>"
            f"<script>{CHECK_SCRIPT}</script></head><body>"
            f"<h1>{esc(title)}</h1><p class='notes'>written {stamp}; self-contained (no "
            "network access needed)</p>" + "\n".join(sections) + "</body></html>\n")


def write(runs: Sequence[RunView], path: Path) -> None:
    try:
        path.write_text(document(runs), encoding="utf-8")
    except OSError as err:
        raise UsageError(f"cannot write --html {path} ({err.strerror}): choose another "
                         "path") from None
