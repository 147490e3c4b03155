"""`loaderbench gate`: exit 1 if CURRENT is slower than BASELINE, 2 if they cannot be compared
(the statistics are in results/gate.py)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from loaderbench.errors import UsageError

GATE_OUTCOME = {0: "gate: pass", 1: "gate: REGRESSION", 2: "gate: cannot compare some scenarios"}


def add_gate(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    g = sub.add_parser("gate", help="exit 1 if CURRENT is slower than BASELINE (2: cannot "
                       "compare)", parents=[common])
    g.add_argument("baseline", type=Path)
    g.add_argument("current", type=Path)
    g.add_argument("--threshold", default="5%", help="smallest change that counts (default 5%%)")
    g.add_argument("--noisy", choices=("pass", "fail"), default="pass",
                   help="what an undecided (noisy) scenario does to the exit code (default pass)")
    g.add_argument("--retry", action="store_true",
                   help="measure noisy and insufficient scenarios once more, add the repeats "
                        "to CURRENT and judge again")
    g.add_argument("--allow-different", action="store_true",
                   help="compare runs from different machines or library versions (marked)")
    g.add_argument("--format", default="github")


def cmd_gate(args: argparse.Namespace) -> int:
    from loaderbench.results import gate
    from loaderbench.results.store import load

    threshold = gate.parse_threshold(args.threshold)
    baseline, current = load(args.baseline), load(args.current)
    differ, paired = comparable(baseline, current, args)
    verdicts = gate.gate(baseline, current, threshold)
    if args.retry:
        verdicts = retried(baseline, current, verdicts, threshold, args.current)
    mark = " (different machines)" if differ and not paired else ""
    print(gate.render(verdicts, args.format, threshold, mark, paired))
    if differ:
        what = ("one paired job; the baseline's interpreter differs" if paired else
                "verdicts compare different machines or versions")
        print(f"note: {what}: " + "; ".join(differ), file=sys.stderr)
    code = gate.exit_code(verdicts, args.noisy)
    print(GATE_OUTCOME[code] if verdicts else "gate: nothing to compare (no scenarios)",
          file=sys.stderr)
    return code


def comparable(baseline, current, args: argparse.Namespace) -> tuple[list[str], bool]:
    """What differs between the two files' machines and versions, and whether they are one
    paired job (which may differ in versions); UsageError when they cannot be gated."""
    from loaderbench.results import gate
    from loaderbench.results.fingerprint import differences

    differ = differences(baseline.env, current.env)
    paired = gate.paired_files(baseline, current)
    if paired and args.retry:
        raise UsageError("--retry cannot add rounds to a paired job; rerun it with more "
                         "--repeats")
    if differ and not args.allow_different and not paired:
        raise UsageError("baseline and current ran on different machines or library versions ("
                         + "; ".join(differ) + "); rerun the baseline here, or pass "
                         "--allow-different to compare anyway")
    return differ, paired


def retried(baseline, current, verdicts: list, threshold: float, path: Path) -> list:
    """`gate --retry`: the undecided scenarios measured once more into CURRENT, and judged
    again."""
    from loaderbench.harness.retry import remeasure
    from loaderbench.results import gate
    from loaderbench.results.store import save

    undecided = {(v.name, v.device) for v in verdicts if v.verdict in ("noisy", "insufficient")}
    if not undecided:
        return verdicts
    print(f"re-measuring {len(undecided)} undecided scenario(s) once", file=sys.stderr)
    current = remeasure(current, undecided)
    save(current, path)
    return gate.gate(baseline, current, threshold)
