"""Command-line options for what people look at and what CI tools read: `report --plots/--html`,
`compare --plots/--normalize` and `export`. Parses and dispatches; the work is in results/."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from loaderbench.errors import UsageError

EXPORTS = ("markdown", "pytest-benchmark", "github-action-benchmark",
           "github-action-benchmark-time")


def add_report_outputs(p: argparse.ArgumentParser) -> None:
    p.add_argument("--plots", type=Path, metavar="DIR",
                   help="write PNG plots (throughput, time split, scaling) into DIR")
    p.add_argument("--html", type=Path, metavar="FILE",
                   help="write one self-contained HTML report of every FILE")


def report_outputs(args: argparse.Namespace) -> int:
    from loaderbench.results.access import open_runs

    if not (args.plots or args.html):
        return 0
    runs = open_runs(args.files)
    if args.plots:
        from loaderbench.results.access import loader_colours
        from loaderbench.results.plots import run_figures, write_all

        colours = loader_colours(e.loader for r in runs for e in r.entries)
        for run in runs:
            prefix = f"{run.label}-" if len(runs) > 1 else ""
            for path in write_all(run_figures(run, colours), args.plots, prefix):
                print(f"plot: {path}", file=sys.stderr)
    if args.html:
        from loaderbench.results.html import write

        write(runs, args.html)
        print(f"report: {args.html}", file=sys.stderr)
    return 0


def add_compare_outputs(c: argparse.ArgumentParser) -> None:
    c.add_argument("--normalize", metavar="LOADER",
                   help="each scenario relative to the fastest LOADER scenario in its own run, "
                        "with its rank there")
    c.add_argument("--plots", type=Path, metavar="DIR", help="write a grouped-bar PNG into DIR")


def compare_outputs(args: argparse.Namespace, labels: list[str], printed: bool = False) -> int:
    """The --normalize table (unless the plain one was printed) and the --plots figure."""
    from loaderbench.results import normalize
    from loaderbench.results.access import open_runs
    from loaderbench.results.formats import check_format

    if not (args.normalize or args.plots):
        return 0
    check_format(args.format)
    if args.by not in ("name", "name+device"):
        raise UsageError("--by must be name or name+device")
    runs = open_runs(args.files, labels)
    if not printed:
        print(normalize.render(runs, args.normalize, args.format, args.by))
    if args.plots:
        from loaderbench.results.plots import write_all

        fig = normalize.figure(runs, args.by, args.normalize)
        for path in write_all({"compare": fig}, args.plots):
            print(f"plot: {path}", file=sys.stderr)
    return 0


def add_export(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    e = sub.add_parser("export", help="write a result file for CI tools: markdown, "
                       "pytest-benchmark, github-action-benchmark", parents=[common])
    e.add_argument("file", type=Path)
    e.add_argument("--to", required=True, choices=EXPORTS, help="output format")
    e.add_argument("--out", type=Path, help="file to write (default: stdout)")
    e.add_argument("--gate", type=Path, metavar="BASELINE.json",
                   help="markdown only: add the gate's verdicts against this baseline")
    e.add_argument("--threshold", default="5%", help="gate threshold (default 5%%)")


def cmd_export(args: argparse.Namespace) -> int:
    from loaderbench.results.access import open_runs

    run = open_runs([args.file])[0]
    if args.to == "markdown":
        from loaderbench.results.gate import parse_threshold
        from loaderbench.results.summary import markdown

        baseline = open_runs([args.gate])[0] if args.gate else None
        text = markdown(run, baseline, parse_threshold(args.threshold))
    elif args.gate:
        raise UsageError("--gate goes with --to markdown only; drop it or use --to markdown")
    else:
        from loaderbench.results.export import export_json

        text = export_json(run, args.to) + "\n"
    if args.out is None:
        sys.stdout.write(text)
        return 0
    try:
        args.out.write_text(text, encoding="utf-8")
    except OSError as err:
        raise UsageError(f"cannot write --out {args.out} ({err.strerror}): choose another "
                         "path") from None
    print(f"{args.to}: {args.out}", file=sys.stderr)
    return 0
