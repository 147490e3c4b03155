"""Command line: parses arguments and dispatches; the work lives in harness/ and results/.

Exit codes: 0 done, 1 a gate found a regression (or --strict saw a failed scenario),
2 bad input (one line on stderr naming the problem and the fix; --debug for a traceback),
130 / 143 / 129 stopped by Ctrl-C / SIGTERM / SIGHUP (finished scenarios kept).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from loaderbench.cli_gate import add_gate, cmd_gate
from loaderbench.cli_outputs import add_compare_outputs, add_export, add_report_outputs, cmd_export
from loaderbench.errors import UsageError


def _csv(text: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in text.split(",") if p.strip())


class Parser(argparse.ArgumentParser):
    """argparse, but a bad command line is one line on stderr and exit 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def common() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    p.add_argument("--quiet", action="store_true", help="no progress display")
    return p


def add_run(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run a suite and print its comparison table",
                       parents=[common()])
    p.add_argument("--suite", default="quick", help="shipped suite name or path to a TOML file")
    p.add_argument("--loaders", type=_csv, help="only these loaders (comma-separated)")
    p.add_argument("--device", type=str, help="cpu, cuda, mps or auto; several with commas")
    p.add_argument("--out", type=Path, help="result file (default: loaderbench-results/…)")
    p.add_argument("--data", help="your own Parquet data instead of the generated dataset: a "
                   "folder (flat or Hive-partitioned), a .parquet file or a quoted glob")
    add_role_options(p)
    p.add_argument("--repeats", type=int, help="fresh processes per scenario")
    p.add_argument("--steps", type=int, help="measured steps per scenario (after warmup)")
    p.add_argument("--epochs", type=int, help="whole epochs per scenario instead of steps")
    p.add_argument("--no-check", action="store_true", help="skip the value check")
    p.add_argument("--no-calibrate", action="store_true", help="skip the machine calibration")
    p.add_argument("--strict", action="store_true", help="exit 1 if any scenario failed")
    p.add_argument("--inject-slowdown", dest="slowdown", metavar="PCT",
                   help="make every batch PCT slower (a busy-wait of PCT of its own time): "
                        "to check that a gate catches it")
    p.add_argument("--fork-server", action="store_true",
                   help="fork each repeat from one process that has done the imports (a third "
                        "of the start-up; same means and spread, measured): for many repeats")
    p.add_argument("--baseline-out", type=Path, metavar="FILE",
                   help="paired job: also run the baseline, interleaved round by round with "
                        "this run, into FILE (for `gate`; README, 'Gating regressions')")
    p.add_argument("--baseline-python", metavar="PY",
                   help="the interpreter with the baseline's loaderbench (default: this one)")
    p.add_argument("--resume", action="store_true",
                   help="continue the --out file of an interrupted run: run only what it lacks")
    p.add_argument("--force", action="store_true",
                   help="replace the earlier result file at --out (never any other file)")
    p.add_argument("--yes", action="store_true",
                   help="start a run of more scenario processes than the limit (100)")
    p.add_argument("--nproc-per-node", type=int, metavar="N",
                   help="ranks per scenario, launched with torchrun (gloo on cpu, nccl on "
                        "cuda); multi-node: set $LOADERBENCH_TORCHRUN_ARGS to torchrun's "
                        "rendezvous arguments")
    add_table_options(p)


def add_role_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group(
        "column roles (names not given are inferred from the Arrow types: floats and integers "
        "numeric; strings, dictionaries and bools categorical; a column 'label' is the label, "
        "an integer 'row_id' the id; see 'loaderbench inspect')")
    g.add_argument("--label", help="the target column (default: the column named 'label')")
    g.add_argument("--id", help="a column of unique integers identifying rows "
                   "(default: 'row_id' if present, else each row's position in the files)")
    g.add_argument("--numeric", type=_csv, help="numeric feature columns (comma-separated)")
    g.add_argument("--categorical", type=_csv, help="categorical feature columns")
    g.add_argument("--exclude", type=_csv, help="columns not to use")
    g.add_argument("--task", choices=("auto", "classification", "regression"),
                   help="auto (default): float labels are regression, others classification")
    g.add_argument("--drop-null-labels", action="store_true", default=None,
                   help="drop rows whose label is null (otherwise they are refused)")
    g.add_argument("--fit-rows", type=int,
                   help="rows the preprocessing is fitted on, drawn from every file (50,000)")


ROLE_OPTIONS = ("label", "id", "numeric", "categorical", "exclude", "task", "drop_null_labels",
                "fit_rows")


def role_options(args: argparse.Namespace) -> tuple[tuple[str, object], ...]:
    return tuple((k, getattr(args, k)) for k in ROLE_OPTIONS if getattr(args, k) is not None)


def announce(prepared) -> None:
    """What the run reads, on stderr, before anything is timed."""
    from loaderbench.scenarios.preprocess import Preprocessor, describe_fit
    from loaderbench.scenarios.roles import render_notes

    for line in render_notes(prepared.notes, prepared.source, prepared.generated is None):
        print(line, file=sys.stderr)
    print(describe_fit(Preprocessor.load(prepared.preprocessor_path).state), file=sys.stderr)


def add_table_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", default="github", help="table format: tabulate's names, or csv")
    p.add_argument("--baseline", help="loader that speedups are relative to")
    p.add_argument("--details", action="store_true",
                   help="a second table: CI, p99, start-up, %% of calibration, memory, CPU")
    p.add_argument("--scaling", action="store_true",
                   help="a table of steps/s and data wait against workers/threads, "
                        "against the synthetic yardstick")


def print_tables(run, args: argparse.Namespace) -> None:
    from loaderbench.results.details import render_details
    from loaderbench.results.tables import render

    print(render(run, args.format, args.baseline))
    if args.details:
        print()
        print(render_details(run, args.format))
    if args.scaling:
        from loaderbench.results.scaling import render_scaling

        print()
        print(render_scaling(run, fmt_name=args.format))


def cmd_run(args: argparse.Namespace) -> int:
    from loaderbench.harness import devices
    from loaderbench.harness.progress import display
    from loaderbench.harness.session import RunRequest, execute
    from loaderbench.results.formats import check_format

    check_format(args.format)
    for name in ("repeats", "steps", "epochs", "nproc_per_node"):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            raise UsageError(f"--{name.replace('_', '-')} must be at least 1")
    request = RunRequest(
        suite=args.suite, loaders=args.loaders,
        devices=tuple(devices.parse_list(args.device)) if args.device else None,
        out=args.out, data=args.data, repeats=args.repeats, steps=args.steps,
        epochs=args.epochs, check_values=not args.no_check, calibrate=not args.no_calibrate,
        resume=args.resume, slowdown=parse_slowdown(args.slowdown),
        nproc_per_node=args.nproc_per_node, fork_server=args.fork_server,
        roles=role_options(args), force=args.force, yes=args.yes,
        baseline_out=args.baseline_out, baseline_python=args.baseline_python)
    if args.resume and not args.out:
        raise UsageError("--resume needs --out FILE: the result file to continue")
    with display(args.quiet) as progress:
        run, out = execute(request, progress, None if args.quiet else announce)
    print_tables(run, args)
    counts = {k: sum(s.status == k for s in run.scenarios) for k in ("ok", "failed", "skipped")}
    print(f"{counts['ok']} ok, {counts['failed']} failed, {counts['skipped']} skipped; "
          f"results: {out}", file=sys.stderr)
    return 1 if args.strict and counts["failed"] else 0


def parse_slowdown(text: str | None) -> float | None:
    """`15%` or `0.15` -> 0.15; None stays None."""
    if text is None:
        return None
    from loaderbench.results.gate import parse_threshold

    try:
        return parse_threshold(text)
    except UsageError:
        raise UsageError(f"--inject-slowdown must be a percentage like 15%, got {text!r}") \
            from None


def cmd_report(args: argparse.Namespace) -> int:
    from loaderbench.cli_outputs import report_outputs
    from loaderbench.results.store import load

    for i, path in enumerate(args.files):
        if len(args.files) > 1:
            print(f"{'' if i == 0 else chr(10)}# {path}")
        print_tables(load(path), args)
    return report_outputs(args)


def cmd_compare(args: argparse.Namespace) -> int:
    from loaderbench.cli_outputs import compare_outputs
    from loaderbench.results.compare import compare
    from loaderbench.results.store import load

    runs = [load(f) for f in args.files]
    labels = args.labels or [f.stem for f in args.files]
    if len(labels) != len(runs):
        raise UsageError(f"--labels gives {len(labels)} names for {len(runs)} files")
    if args.normalize:
        return compare_outputs(args, labels)
    print(compare(runs, labels, args.metric, args.format, args.by))
    return compare_outputs(args, labels, printed=True)


def add_compare(sub: argparse._SubParsersAction) -> None:
    c = sub.add_parser("compare", help="put several result files side by side",
                       parents=[common()])
    c.add_argument("files", type=Path, nargs="+")
    c.add_argument("--labels", type=_csv, help="column names (default: file names)")
    c.add_argument("--metric", default="samples_per_s")
    c.add_argument("--by", default="name+device", help="match scenarios by name+device or name")
    c.add_argument("--format", default="github")
    add_compare_outputs(c)


def cmd_list(args: argparse.Namespace) -> int:
    from loaderbench.loaders import get, names
    from loaderbench.scenarios.suite import shipped

    print("loaders:")
    for name in names():
        cls = get(name)
        summary = ((cls.__module__ and sys.modules[cls.__module__].__doc__) or "").strip()
        print(f"  {name:16s} {summary.splitlines()[0] if summary else ''}")
        print_options(cls.Options)
    print("training steps:")
    for spec, summary in step_summaries():
        print(f"  {spec:16s} {summary}")
    print("suites:")
    for name, description in shipped().items():
        print(f"  {name:16s} {description}")
    return 0


def step_summaries() -> list[tuple[str, str]]:
    """(how a step is written, the first line of its module's docstring) per step."""
    from loaderbench import steps

    out = []
    for name, spec in zip(steps.registry(), steps.usage(), strict=True):
        doc = (sys.modules[steps.get(name).__module__].__doc__ or "").strip()
        out.append((spec, doc.splitlines()[0].partition(" — ")[2] if doc else ""))
    return out


def print_options(options: type) -> None:
    """One line per option: name = default, its constraint, its help."""
    from loaderbench.loaders.options import options_doc

    for name, default, rule, text in options_doc(options):
        line = f"{'':18s}  {name} = {default}"
        line = f"{line:46s} {rule}" if rule else line
        print(f"{line:66s} {text}".rstrip() if text else line)


def cmd_data(args: argparse.Namespace) -> int:
    from loaderbench.harness.prepare import generated
    from loaderbench.scenarios.dataset import DatasetSpec

    table = {k: v for k, v in vars(args).items() if k in DatasetSpec.__dataclass_fields__
             and v is not None}
    source, _ = generated(DatasetSpec(**table), args.root)
    print(source.root)
    print(f"{source.rows:,} rows in {len(source.files)} files; {len(source.roles.numeric)} "
          f"numeric, {len(source.roles.categorical)} categorical features", file=sys.stderr)
    return 0


def add_data(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("data", help="generate (or find in the cache) the synthetic dataset",
                       parents=[common()])
    for name in ("rows", "dates", "files_per_date", "numeric", "categorical", "filler",
                 "row_group_size", "classes", "seed"):
        p.add_argument(f"--{name.replace('_', '-')}", dest=name, type=int)
    p.add_argument("--nan-fraction", dest="nan_fraction", type=float)
    p.add_argument("--null-fraction", dest="null_fraction", type=float)
    p.add_argument("--root", type=Path, help="parent folder (default: the cache)")


def cmd_inspect(args: argparse.Namespace) -> int:
    from loaderbench.harness.inspect import report
    from loaderbench.scenarios.roles import RoleRequest

    for line in report(args.path, RoleRequest().override(**dict(role_options(args)))):
        print(line)
    return 0


def cmd_env(args: argparse.Namespace) -> int:
    import json

    from loaderbench.harness import devices
    from loaderbench.results import environment

    print(json.dumps({**environment.collect(), **devices.describe()}, indent=2, sort_keys=True))
    return 0


def parser() -> argparse.ArgumentParser:
    p = Parser(prog="loaderbench", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True, parser_class=Parser)
    add_run(sub)
    r = sub.add_parser("report", help="print the table of a saved result file",
                       parents=[common()])
    r.add_argument("files", type=Path, nargs="+", metavar="FILE")
    add_table_options(r)
    add_report_outputs(r)
    add_compare(sub)
    add_gate(sub, common())
    sub.add_parser("list", help="list loaders and shipped suites", parents=[common()])
    add_data(sub)
    i = sub.add_parser("inspect", help="show the roles, nulls, classes and what each loader "
                       "reads of your data, before anything is timed", parents=[common()])
    i.add_argument("path", help="a folder of Parquet files, a .parquet file or a quoted glob")
    add_role_options(i)
    sub.add_parser("env", help="print this machine's fingerprint", parents=[common()])
    add_export(sub, common())
    return p


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "run": cmd_run, "report": cmd_report, "compare": cmd_compare, "gate": cmd_gate,
    "list": cmd_list, "data": cmd_data, "env": cmd_env, "inspect": cmd_inspect,
    "export": cmd_export,
}


def main(argv: Sequence[str] | None = None) -> int:
    from loaderbench.signals import Terminated, interrupts, quiet_stdout

    args = parser().parse_args(argv)
    try:
        with interrupts():
            return COMMANDS[args.command](args)
    except UsageError as err:
        if args.debug:
            raise
        print(f"loaderbench: error: {err}", file=sys.stderr)
        return 2
    except Terminated as stop:
        print(f"loaderbench: stopped by {stop.name}; finished scenarios are in the result file",
              file=sys.stderr)
        return 128 + stop.signum
    except KeyboardInterrupt:
        print("loaderbench: interrupted; finished scenarios are in the result file",
              file=sys.stderr)
        return 130
    except BrokenPipeError:  # `loaderbench compare ... | head`: the reader left, no traceback
        quiet_stdout()
        return 128 + 13  # as a shell reports SIGPIPE
