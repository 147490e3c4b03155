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

from loaderbench.harness.checks import Checker
from loaderbench.results.records import Checks, EpochCheck, RankCheck, ValueCheck


class IdBuffer:
    """One rank's row ids of one epoch, appended into one growing array: copying into memory
    already touched costs a few microseconds a batch, where a fresh array per batch costs
    page faults."""

    def __init__(self, capacity: int) -> None:
        self._data = np.empty(max(1, capacity), dtype=np.int64)
        self._n = 0

    def append(self, ids: np.ndarray) -> None:
        end = self._n + len(ids)
        if end > len(self._data):
            grown = np.empty(max(end, 2 * len(self._data)), dtype=np.int64)
            grown[: self._n] = self._data[: self._n]
            self._data = grown
        self._data[self._n : end] = ids
        self._n = end

    def take(self) -> np.ndarray:
        """This epoch's ids (a copy), and the buffer emptied for the next."""
        out = self._data[: self._n].copy()
        self._n = 0
        return out


@dataclass
class RankChecker(Checker):
    """A Checker whose coverage and order are judged over all ranks in `verdict`."""

    shuffles: bool = False
    padding: int = 0          # rows DistributedSampler repeats per epoch
    dropped: int = 0          # rows DistributedSampler leaves out per epoch (drop_last)
    group: Any = None         # a gloo process group for the gather
    _epoch_ids: list[tuple[int, bool, np.ndarray]] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__post_init__()
        self._ids = IdBuffer(self.source.rows)

    def _map_rows(self) -> int:
        return 0  # coverage is judged over every rank's ids, not marked in a byte map

    def _record(self, at: np.ndarray, run: slice | None = None) -> None:
        """Keep this rank's ids: coverage is judged over every rank's, in `verdict`."""
        self._ids.append(at)  # copied: a loader may refill the same tensor next step

    def end_epoch(self, epoch: int, complete: bool) -> None:
        self.close_epoch()
        self._epoch_ids.append((epoch, complete, self._ids.take()))

    def verdict(self) -> tuple[Checks, str | None]:
        import torch.distributed as dist

        values, rows, value_error = self._values_verdict()
        mine = {"contract": self.contract, "values": values.value, "value_error": value_error,
                "value_rows": rows, "epochs": self._epoch_ids}
        parts: list[Any] = [None] * dist.get_world_size(self.group)
        dist.all_gather_object(parts, mine, group=self.group)
        return judge(parts, self)


def judge(parts: list[dict[str, Any]], checker: RankChecker) -> tuple[Checks, str | None]:
    """The whole run's checks from every rank's part (rank order)."""
    contract = next((p["contract"] for p in parts if p["contract"]), None)
    checker.contract = contract
    checker.allowed_missing = checker.allowed_missing + checker.dropped
    checker.epochs = [] if contract else global_epochs(parts, checker.source.kept_rows,
                                                        checker.padding)
    ranks = RankCheck(len(parts), checker.padding, checker.dropped, checker.shuffles,
                      order_repeated(parts, checker.shuffles),
                      tuple(sum(len(ids) for _, _, ids in p["epochs"]) for p in parts))
    value_error = next((p["value_error"] for p in parts if p["value_error"]), None)
    values = merged_values(parts)
    checks = Checks(checker.covers_dataset, contract, values,
                    sum(p["value_rows"] for p in parts), checker.allowed_missing,
                    tuple(checker.epochs), ranks)
    failure = contract or checker._coverage_error(checks) or _order_error(ranks) or value_error
    return checks, failure


def global_epochs(parts: list[dict[str, Any]], rows: int, padding: int) -> list[EpochCheck]:
    """Coverage of each epoch that every rank reached, over the union of their row ids
    (`rows`: the rows an epoch holds, null labels dropped or not)."""
    out = []
    for k in range(min(len(p["epochs"]) for p in parts)):
        epoch = parts[0]["epochs"][k][0]
        complete = all(p["epochs"][k][1] for p in parts)
        ids = np.concatenate([p["epochs"][k][2] for p in parts])
        distinct = len(np.unique(ids))
        repeated = len(ids) - distinct
        duplicates = max(0, repeated - padding) if complete else repeated
        missing = rows - distinct if complete else None
        out.append(EpochCheck(epoch, complete, len(ids), duplicates, missing))
    return out


def order_repeated(parts: list[dict[str, Any]], shuffles: bool) -> bool | None:
    """True when every rank saw the same order in its first two complete epochs although the
    loader shuffles (the forgotten set_epoch); None when that cannot be told."""
    if not shuffles:
        return None
    full = [[ids for _, complete, ids in p["epochs"] if complete] for p in parts]
    if min(len(f) for f in full) < 2:
        return None
    return all(np.array_equal(f[0], f[1]) for f in full)


def _order_error(ranks: RankCheck) -> str | None:
    if not ranks.order_repeated:
        return None
    return ("order: every rank saw the same order in epochs 0 and 1 although the loader "
            "shuffles (DistributedSampler.set_epoch(epoch) not called?)")


def merged_values(parts: list[dict[str, Any]]) -> ValueCheck:
    """The value check over all ranks: a mismatch anywhere, else the first rank's state."""
    states = [ValueCheck(p["values"]) for p in parts]
    if ValueCheck.MISMATCH in states:
        return ValueCheck.MISMATCH
    return ValueCheck.OK if ValueCheck.OK in states else states[0]
