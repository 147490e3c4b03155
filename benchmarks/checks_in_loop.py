"""What the checks cost a step-`none` loop: the same loader's epochs with and without them.

The harness reports the checks' own share of the loop's wall time (`checks` in `report
--scaling`): the main process's time inside them. Where the loader's workers are what limits
the loop, that time overlaps their work and the loop loses less than that share. This runs one
loader (arrow-shm by default) through whole epochs on one set of workers, with the checks
(`harness/checks.Checker`, as the harness calls it) and with nothing between batches,
alternating in ABBA order so drift falls on both, and prints rows/s over each epoch's wall
time: the loop's loss to the checks is 1 - with / without.

    python3 benchmarks/checks_in_loop.py [--rows 1600000] [--workers 15] [--slots 64]
        [--pairs 8] [--batch-size 4096]

Benchmark only: the harness itself never runs a loop without its checks.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tabulate import tabulate

from loaderbench.harness.checks import Checker
from loaderbench.harness.prepare import prepare
from loaderbench.loaders.arrow_shm import ArrowShmLoader, ArrowShmOptions
from loaderbench.loaders.base import LoaderContext
from loaderbench.scenarios.dataset import DatasetSpec
from loaderbench.scenarios.preprocess import Preprocessor


def epoch_with(loader: ArrowShmLoader, checker: Checker | None, epoch: int) -> tuple[float, float,
                                                                                     int]:
    """(wall seconds, seconds inside the checks, rows) of one whole epoch."""
    rows, inside = 0, 0.0
    start = time.perf_counter()
    for batch in loader.epoch(epoch):
        rows += batch.rows
        if checker is not None:
            t = time.perf_counter()
            checker.observe(batch)
            inside += time.perf_counter() - t
    if checker is not None:
        t = time.perf_counter()
        checker.end_epoch(epoch, True)
        inside += time.perf_counter() - t
    return time.perf_counter() - start, inside, rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_600_000)
    ap.add_argument("--batch-size", type=int, default=4096)
    ap.add_argument("--workers", type=int, default=15)
    ap.add_argument("--slots", type=int, default=64)
    ap.add_argument("--pairs", type=int, default=8, help="epochs with and without, each")
    args = ap.parse_args()
    prepared = prepare(DatasetSpec(rows=args.rows))
    pre = Preprocessor.load(prepared.preprocessor_path)
    context = LoaderContext(prepared.source, pre, "cpu", seed=0)
    loader = ArrowShmLoader(context, ArrowShmOptions(batch_size=args.batch_size,
                                                     workers=args.workers, slots=args.slots))
    loader.setup()
    checker = Checker(prepared.source, pre)
    got: dict[bool, list[tuple[float, float, int]]] = {True: [], False: []}
    try:
        epoch_with(loader, None, 0)  # the workers started, the page cache warm
        for e in range(1, 2 * args.pairs + 1):
            checked = (e % 4) in (1, 0)  # A B B A ...
            got[checked].append(epoch_with(loader, checker if checked else None, e))
    finally:
        loader.close()
    _, failure = checker.verdict()
    rate = {k: statistics.median(r / w for w, _, r in v) for k, v in got.items()}
    share = statistics.median(i / w for w, i, _ in got[True])
    print(f"{loader.name} batch_size={args.batch_size} workers={args.workers} "
          f"slots={args.slots}, {args.rows:,} rows, {args.pairs} epochs each way (ABBA); "
          f"checks' verdict: {failure or 'ok'}")
    print(tabulate([["without checks", f"{rate[False]:,.0f}", "-"],
                    ["with checks", f"{rate[True]:,.0f}", f"{share:.0%}"]],
                   headers=["loop", "rows/s over the epoch (median)", "checks' own share"],
                   tablefmt="github"))
    print(f"the loop's loss to the checks: {1 - rate[True] / rate[False]:.1%} "
          f"(their own share of its wall time: {share:.1%})")
    return 0 if failure is None else 1


if __name__ == "__main__":
    sys.exit(main())
