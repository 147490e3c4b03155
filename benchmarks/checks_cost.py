"""What the per-step checks cost on a device, against what they cost before.

The checks (harness/checks.py) read every batch between steps: its row ids for coverage, and
the features of the value sample's rows. From CUDA they used to copy the whole batch back and
wait for it (a device sync every step); now the copy is queued behind a CUDA event and read
one batch later. This times both per batch of the default dataset, over whole epochs
(end-of-epoch coverage included). Batches here come back to back with no step between them,
so the queued copy has little to hide behind: the loop's own figure (`checks` in
`report --scaling`) is the one that counts.

    python3 benchmarks/checks_cost.py [--device cuda] [--batch-size 4096] [--epochs 3]
        [--rows N] [--order shuffled|sequential] [--parts]

Prints one table (microseconds per batch, median over epochs). The features are random, so
the value check finds mismatches: this measures cost only (tests/ check the verdicts).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import torch
from tabulate import tabulate

from loaderbench.harness.checks import Checker
from loaderbench.harness.host_batches import HostBatch, HostMirror, Pending
from loaderbench.harness.prepare import prepare
from loaderbench.loaders.base import Batch
from loaderbench.scenarios.dataset import DatasetSpec
from loaderbench.scenarios.preprocess import Preprocessor


def epoch_batches(rows: int, n_features: int, batch_size: int, device: str,
                  order: str = "shuffled") -> list[Batch]:
    """One epoch of batches already on `device` (values do not matter here), its rows
    shuffled or in order (as a loader that reads the files in order yields them)."""
    order = torch.from_numpy(np.random.default_rng(0).permutation(rows) if order == "shuffled"
                             else np.arange(rows))
    out = []
    for start in range(0, rows, batch_size):
        ids = order[start:start + batch_size]
        host = (torch.randn(len(ids), n_features), torch.zeros(len(ids), dtype=torch.int64), ids)
        out.append(Batch(*(t.to(device) for t in host)))
    return out


class WholeBatchMirror(HostMirror):
    """The old way: the whole batch copied back and waited for at once (a device sync)."""

    def __call__(self, batch: Batch) -> Pending | HostBatch:
        got = super().__call__(batch)
        if isinstance(got, Pending) and got.event is not None:
            got.event.synchronize()
            return Pending(got.views, None)
        return got

def checks_time(checker: Checker, batches: list[Batch], epoch: int) -> float:
    """Seconds per batch of today's checks: observe every batch, then the epoch's end."""
    t = time.perf_counter()
    for b in batches:
        checker.observe(b)
    checker.end_epoch(epoch, True)
    return (time.perf_counter() - t) / len(batches)


def parts(checker: Checker, batches: list[Batch]) -> list[list[str]]:
    """Microseconds per batch of each part of a CPU batch's checks, timed apart (best of 3)."""
    from loaderbench.harness.checks import _run_of, contract_error

    host = [checker._mirror(b) for b in batches]
    at = [checker._index(h.ids) for h in host]
    runs = [_run_of(a, checker.source.rows) for a in at]
    checker._choose_factor(len(at[0]))  # as at the first batch
    steps = {
        "contract (shapes, dtypes)": lambda i: contract_error(batches[i], checker._n_features,
                                                              checker._target),
        "to host (numpy views)": lambda i: checker._mirror(batches[i]),
        "row positions (RowIndex)": lambda i: checker._index(host[i].ids),
        "consecutive rows? (_run_of)": lambda i: _run_of(at[i], checker.source.rows),
        "range (one unsigned max)": lambda i: at[i].view(np.uint64).max(),
        "coverage (mark rows seen)": lambda i: checker._record(at[i], None),
        "coverage as observe marks it": lambda i: checker._record(at[i], runs[i]),
        "value sample (a drawn batch)": lambda i: checker._sample_values(host[i], at[i]),
        "first row (every batch)": lambda i: checker._first.add(host[i]),
        "all of observe": lambda i: checker.observe(batches[i]),
    }
    rows = []
    for name, step in steps.items():
        best = float("inf")
        for _ in range(3):
            checker.close_epoch()
            t = time.perf_counter()
            for i in range(len(batches)):
                step(i)
            best = min(best, time.perf_counter() - t)
        rows.append([name, f"{best / len(batches) * 1e6:.1f}"])
    t = time.perf_counter()
    checker.end_epoch(99, True)
    rows.append(["epoch end (count, reset), per batch",
                 f"{(time.perf_counter() - t) / len(batches) * 1e6:.1f}"])
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--batch-size", type=int, default=4096)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--rows", type=int, help="dataset rows (default: the default dataset's)")
    ap.add_argument("--order", choices=["shuffled", "sequential"], default="shuffled",
                    help="the batches' rows: shuffled, or consecutive rows in order")
    ap.add_argument("--profile", action="store_true", help="print where today's checks spend")
    ap.add_argument("--parts", action="store_true", help="time each part of a CPU batch's checks")
    args = ap.parse_args()
    prepared = prepare(DatasetSpec(rows=args.rows) if args.rows else DatasetSpec())
    pre = Preprocessor.load(prepared.preprocessor_path)
    batches = epoch_batches(prepared.source.rows, pre.n_features, args.batch_size, args.device,
                            args.order)
    runs = {"now: the whole batch's copy queued, read one batch later (no sync)":
            Checker(prepared.source, pre)}
    if args.device == "cuda":
        old = Checker(prepared.source, pre)
        old._mirror = WholeBatchMirror()  # type: ignore[assignment]
        runs["before: the whole batch copied back and waited for (a sync a batch)"] = old
    rows = []
    for name, checker in runs.items():
        per = [checks_time(checker, batches, e) for e in range(args.epochs + 1)][1:]  # 1st: warm
        rows.append([name, f"{statistics.median(per) * 1e6:.1f}"])
    if args.profile:
        import cProfile
        import pstats

        checker = Checker(prepared.source, pre)
        cProfile.runctx("for e in range(3): checks_time(checker, batches, e)", globals(),
                        {"checker": checker, "batches": batches, "checks_time": checks_time},
                        "/tmp/checks.prof")
        pstats.Stats("/tmp/checks.prof").sort_stats("tottime").print_stats(14)
    if args.parts:
        print(tabulate(parts(Checker(prepared.source, pre),
                             epoch_batches(prepared.source.rows, pre.n_features,
                                           args.batch_size, "cpu", args.order)),
                       headers=["part of the checks (cpu batch)", "us per batch"],
                       tablefmt="github"))
    print(f"{args.device}, {args.order} rows, batch {args.batch_size} x {pre.n_features} features, "
          f"{prepared.source.rows:,} rows, {len(batches)} batches an epoch")
    print(tabulate(rows, headers=["checks per batch (epoch end included)", "us"],
                   tablefmt="github"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
