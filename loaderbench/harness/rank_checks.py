"""The checks of a multi-rank scenario, judged across every rank and worker.

Each rank keeps the row ids of each of its epochs (the base `Checker` would judge one rank's
share as mostly "missing"); `verdict` gathers them on every rank with a gloo collective and
judges the union:

coverage  per epoch, every row exactly once over all ranks. DistributedSampler's padding
          (rows repeated so every rank gets as many) and tail drop are accounted for and
          reported, not counted as duplicates or missing rows.
order     a loader that shuffles must give a new order each epoch on some rank: the same order
          on every rank two epochs running is the forgotten `set_epoch`.
values    each rank checks the sampled rows it saw; the counts add up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from loaderbench.harness.checks import Checker, EpochCoverage, _range_error

SAME_ORDER = "same every epoch"


@dataclass
class RankChecker(Checker):
    """A Checker whose coverage and order are judged over all ranks in `verdict`."""

    shuffles: bool = False
    padding: int = 0          # rows DistributedSampler repeats per epoch
    dropped: int = 0          # rows DistributedSampler leaves out per epoch (drop_last)
    group: Any = None         # a gloo process group for the gather
    _epoch_ids: list[tuple[int, bool, np.ndarray]] = field(default_factory=list)

    def end_epoch(self, epoch: int, complete: bool) -> None:
        ids = self._ids.take()
        self._reset_sample()
        if len(ids) and self.contract is None and (ids.min() < 0 or ids.max() >= self.source.rows):
            self.contract = _range_error(ids, self.source.rows)
        self._epoch_ids.append((epoch, complete, ids))

    def verdict(self) -> tuple[dict[str, Any], str | None]:
        import torch.distributed as dist

        values, value_error = self._values_verdict()
        rows = len(np.unique(np.concatenate([c[0] for c in self._chunks]))) if self._chunks else 0
        mine = {"contract": self.contract, "values": values, "value_error": value_error,
                "value_rows": rows, "epochs": self._epoch_ids}
        parts: list[Any] = [None] * dist.get_world_size(self.group)
        dist.all_gather_object(parts, mine, group=self.group)
        return judge(parts, self)


def judge(parts: list[dict[str, Any]], checker: RankChecker) -> tuple[dict[str, Any], str | None]:
    """The whole run's checks from every rank's part (rank order)."""
    contract = next((p["contract"] for p in parts if p["contract"]), None)
    checker.contract = contract
    checker.allowed_missing = checker.allowed_missing + checker.dropped
    checker.epochs = [] if contract else global_epochs(parts, checker.source.rows,
                                                        checker.padding)
    out: dict[str, Any] = {"contract": contract or "ok", "values": merged_values(parts)}
    out.update(checker._coverage_summary())
    out["epochs"] = [e.to_dict() for e in checker.epochs]
    order = order_verdict(parts, checker.shuffles)
    out["ranks"] = {"world_size": len(parts), "padding_per_epoch": checker.padding,
                    "dropped_per_epoch": checker.dropped, "order": order,
                    "order_repeated": order == SAME_ORDER,
                    "rows_per_rank": [sum(len(ids) for _, _, ids in p["epochs"]) for p in parts]}
    value_error = next((p["value_error"] for p in parts if p["value_error"]), None)
    failure = contract or checker._coverage_error(out) or _order_error(order) or value_error
    return out, failure


def global_epochs(parts: list[dict[str, Any]], rows: int, padding: int) -> list[EpochCoverage]:
    """Coverage of each epoch that every rank reached, over the union of their row ids."""
    out = []
    for k in range(min(len(p["epochs"]) for p in parts)):
        epoch = parts[0]["epochs"][k][0]
        complete = all(p["epochs"][k][1] for p in parts)
        ids = np.concatenate([p["epochs"][k][2] for p in parts])
        counts = np.bincount(ids, minlength=rows) if len(ids) else np.zeros(1, dtype=np.int64)
        repeated = int((counts[counts > 1] - 1).sum())
        duplicates = max(0, repeated - padding) if complete else repeated
        missing = int((counts[:rows] == 0).sum()) if complete else None
        out.append(EpochCoverage(epoch, complete, len(ids), duplicates, missing))
    return out


def order_verdict(parts: list[dict[str, Any]], shuffles: bool) -> str:
    """'new each epoch', 'same every epoch' (a shuffling loader: the bug) or 'n/a (…)'."""
    if not shuffles:
        return "n/a (the loader does not shuffle)"
    full = [[ids for _, complete, ids in p["epochs"] if complete] for p in parts]
    if min(len(f) for f in full) < 2:
        return "n/a (fewer than 2 complete epochs)"
    same = all(np.array_equal(f[0], f[1]) for f in full)
    return SAME_ORDER if same else "new each epoch"


def _order_error(order: str) -> str | None:
    if order != SAME_ORDER:
        return None
    return ("order: every rank saw the same order in epochs 0 and 1 although the loader "
            "shuffles (DistributedSampler.set_epoch(epoch) not called?)")


def merged_values(parts: list[dict[str, Any]]) -> str:
    """The value check over all ranks: a mismatch anywhere, else the rows checked in all."""
    if any(p["value_error"] for p in parts):
        return "mismatch"
    rows = sum(p["value_rows"] for p in parts)
    return f"ok ({rows:,} rows)" if rows else parts[0]["values"]
