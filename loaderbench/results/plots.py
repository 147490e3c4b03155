"""PNG plots of a run: throughput with its interval, the step-time split, scaling curves.

matplotlib is the optional extra `[plots]`, imported here only when a plot is asked for; a
missing one is a UsageError naming the install command. Figures are built with
`matplotlib.figure.Figure` (no pyplot, no global state). A loader keeps one colour in every
plot of a report (access.loader_colours).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from loaderbench.errors import UsageError
from loaderbench.results.access import Entry, RunView, loader_colours
from loaderbench.results.columns import fmt
from loaderbench.results.grids import Series, swept

INSTALL = "pip install 'loaderbench[plots]'"
SPLIT_COLOURS = {"data wait": "#d62728", "transfer": "#ff7f0e", "compute": "#1f77b4"}
ROW_INCH = 0.28
LOG_ABOVE = 30  # a scaling plot's y axis turns logarithmic when its rates span more


def figure_class() -> Any:
    """matplotlib's Figure, or a UsageError naming the install command."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise UsageError(f"plots need matplotlib, which is not installed: {INSTALL}") from None
    return Figure


def _title(run: RunView, what: str) -> str:
    return f"{what} — {run.label} ({run.suite or 'run'})"


def _bars(ax: Any, entries: Sequence[Entry], colours: Mapping[str, str]) -> None:
    """One horizontal bar per scenario: samples/s with its 95% interval, log scale."""
    ys = list(range(len(entries)))
    rates = [e.samples_per_s or 0.0 for e in entries]
    errs = [[0.0, 0.0] if e.samples_ci is None else
            [max(0.0, (e.samples_per_s or 0) - e.samples_ci[0]),
             max(0.0, e.samples_ci[1] - (e.samples_per_s or 0))] for e in entries]
    bars = ax.barh(ys, rates, color=[colours[e.loader] for e in entries],
                   xerr=list(zip(*errs, strict=True)) if errs else None, capsize=2,
                   ecolor="black")
    for bar, e in zip(bars, entries, strict=True):
        if not e.ok:  # a failed check: its rate is shown, struck through with hatching
            bar.set_hatch("xx")
            bar.set_edgecolor("black")
    ax.set_yticks(ys, [e.name for e in entries], fontsize=7)
    ax.invert_yaxis()
    ax.set_xscale("log")
    for y, e in zip(ys, entries, strict=True):
        text = f"{e.samples_per_s:,.0f}" if e.samples_per_s else ""
        text = text if e.ok else f"{text} {e.status.upper()}".strip()
        end = e.samples_ci[1] if e.samples_ci else e.samples_per_s
        ax.annotate(text, (end or 1.0, y), xytext=(4, 0),
                    textcoords="offset points", va="center", fontsize=6)
    ax.grid(axis="x", which="both", alpha=0.3)


def _legend(fig: Any, colours: Mapping[str, str], loaders: Sequence[str]) -> None:
    from matplotlib.patches import Patch

    handles = [Patch(color=colours[name], label=name) for name in dict.fromkeys(loaders)]
    fig.legend(handles=handles, loc="lower center", ncol=min(len(handles), 5), fontsize=8,
               title="loader", title_fontsize=8, frameon=False)


def throughput(run: RunView, colours: Mapping[str, str]) -> Any:
    """Samples/s per scenario with its bootstrap interval, one panel per device."""
    devices = run.devices()
    groups = [[e for e in run.entries if e.device == d] for d in devices]
    rows = sum(len(g) for g in groups)
    fig = figure_class()(figsize=(10, 1.8 + ROW_INCH * rows + 0.5 * len(groups)),
                         layout="constrained")
    legend_share = 0.8 / fig.get_figheight()  # the loader legend's inches below the plot
    fig.get_layout_engine().set(rect=(0, legend_share, 1, 1 - legend_share))
    axes = fig.subplots(len(groups), 1, squeeze=False,
                        height_ratios=[max(len(g), 1) for g in groups])[:, 0]
    for ax, device, group in zip(axes, devices, groups, strict=True):
        _bars(ax, group, colours)
        ax.set_title(f"device: {device}", fontsize=9, loc="left")
        ax.set_xlabel("samples/s (rows per second, log scale); whisker: 95% bootstrap interval")
    fig.suptitle(_title(run, "Throughput per scenario"), fontsize=11)
    _legend(fig, colours, [e.loader for e in run.entries])
    return fig


def split(run: RunView, colours: Mapping[str, str]) -> Any:
    """Where the step time goes: data wait / transfer / compute as shares of the mean step,
    the mean step time written at the end of each bar."""
    entries = [e for e in run.entries if e.split_ms() is not None]
    fig = figure_class()(figsize=(10, 1.8 + ROW_INCH * max(len(entries), 1)),
                         layout="constrained")
    ax = fig.subplots()
    ys = list(range(len(entries)))
    left = [0.0] * len(entries)
    for i, (part, colour) in enumerate(SPLIT_COLOURS.items()):
        shares = [100 * (e.split_ms() or (0, 0, 0))[i] / (e.step_ms_mean or 1) for e in entries]
        ax.barh(ys, shares, left=left, color=colour, label=part)
        left = [a + b for a, b in zip(left, shares, strict=True)]
    labels = [f"{e.name} [{e.device}]" for e in entries]
    ax.set_yticks(ys, labels, fontsize=7)
    for tick, e in zip(ax.get_yticklabels(), entries, strict=True):
        tick.set_color(colours[e.loader])
    ax.invert_yaxis()
    for y, e in zip(ys, entries, strict=True):
        ax.annotate(f"{fmt(e.step_ms_mean)} ms", (100, y), xytext=(3, 0),
                    textcoords="offset points", va="center", fontsize=6)
    ax.set_xlim(0, 112)
    ax.set_xlabel("% of the mean step time (label: mean ms per step; tick colour: loader)")
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3, fontsize=8, frameon=False)
    fig.suptitle(_title(run, "Where the step time goes"), fontsize=11)
    return fig


def scaling(run: RunView, axis: str, curves: Sequence[Series],
            colours: Mapping[str, str]) -> Any:
    """samples/s against one grid axis, a line per loader and fixed options."""
    fig = figure_class()(figsize=(8, 5), layout="constrained")
    ax = fig.subplots()
    styles = ("-", "--", ":", "-.")
    seen: dict[str, int] = {}
    for s in curves:
        style = styles[seen.get(s.loader, 0) % len(styles)]
        seen[s.loader] = seen.get(s.loader, 0) + 1
        xs = [p.x for p in s.points]
        ys = [p.samples_per_s for p in s.points]
        ax.plot(xs, ys, style, marker="o", color=colours[s.loader], label=s.label)
        lows = [p.ci[0] if p.ci else p.samples_per_s for p in s.points]
        highs = [p.ci[1] if p.ci else p.samples_per_s for p in s.points]
        ax.fill_between(xs, lows, highs, color=colours[s.loader], alpha=0.15)
    ax.set_xlabel(axis)
    ax.set_ylabel("samples/s (rows per second)")
    if all(p.x.is_integer() for s in curves for p in s.points):
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    rates = [p.samples_per_s for s in curves for p in s.points if p.samples_per_s > 0]
    if rates and max(rates) > LOG_ABOVE * min(rates):
        ax.set_yscale("log")
        ax.set_ylabel("samples/s (rows per second, log scale)")
    else:
        ax.set_ylim(bottom=0)
        ax.yaxis.set_major_formatter(lambda value, _pos: f"{value:,.0f}")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="best")
    fig.suptitle(_title(run, f"Scaling with {axis}"), fontsize=11)
    ax.set_title("band: 95% bootstrap interval", fontsize=8)
    return fig


MACHINE_COLOURS = ("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860")


def compare_figure(runs: Sequence[RunView], values: Sequence[Mapping[Any, float]],
                   keys: Sequence[Any], loaders: Mapping[Any, str], xlabel: str,
                   reference: bool = False) -> Any:
    """Grouped horizontal bars: a group per scenario, a bar per machine (run), log scale;
    tick labels take their loader's colour."""
    fig = figure_class()(figsize=(10, 1.8 + ROW_INCH * len(keys) * max(1, len(runs)) * 0.6),
                         layout="constrained")
    ax = fig.subplots()
    height = 0.8 / max(len(runs), 1)
    for i, (run, value) in enumerate(zip(runs, values, strict=True)):
        ys = [k_i + (i - (len(runs) - 1) / 2) * height for k_i in range(len(keys))]
        ax.barh(ys, [value.get(k, 0.0) for k in keys], height=height, label=run.label,
                color=MACHINE_COLOURS[i % len(MACHINE_COLOURS)])
    ax.set_yticks(range(len(keys)), [" ".join(p for p in k if p) for k in keys], fontsize=7)
    colours = loader_colours(loaders.values())
    for tick, k in zip(ax.get_yticklabels(), keys, strict=True):
        tick.set_color(colours[loaders[k]])
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    if reference:
        ax.axvline(1.0, color="black", linewidth=1)
    ax.grid(axis="x", which="both", alpha=0.3)
    ax.legend(title="machine (run)", fontsize=8, loc="lower center",
              bbox_to_anchor=(0.5, 1.0), ncol=min(len(runs), 4), frameon=False)
    fig.suptitle("Compare: " + " vs ".join(r.label for r in runs), fontsize=11)
    return fig


def run_figures(run: RunView, colours: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Every plot of one run, by file stem."""
    colours = colours or loader_colours(e.loader for e in run.entries)
    figs = {"throughput": throughput(run, colours), "split": split(run, colours)}
    for axis, curves in swept(run.entries).items():
        figs[f"scaling-{axis}"] = scaling(run, axis, curves, colours)
    return figs


def png(fig: Any) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    return buffer.getvalue()


def write_all(figs: Mapping[str, Any], folder: Path, prefix: str = "") -> list[Path]:
    """Write each figure as FOLDER/PREFIXSTEM.png; a folder that cannot be made: UsageError."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise UsageError(f"cannot create --plots folder {folder} ({err.strerror})") from None
    out = []
    for stem, fig in figs.items():
        path = folder / f"{prefix}{stem}.png"
        path.write_bytes(png(fig))
        out.append(path)
    return out
