"""Per-rank and whole-job figures of a multi-rank scenario, from its raw steps.

A multi-rank result keeps every rank's steps, each marked with its rank, so the table's
figures (steps/s, samples/s, data wait) are those of an average rank. The job as a whole is
what a user pays for: its samples/s is every rank's counted rows over the slowest rank's
counted time (synchronous data-parallel training moves at the pace of its slowest rank), and
the imbalance is how much longer the slowest rank took than the fastest.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from loaderbench.results.schema import ScenarioResult, StepSamples


@dataclass(frozen=True)
class RankFigures:
    rank: int
    rows: int
    seconds: float

    @property
    def samples_per_s(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True)
class JobFigures:
    ranks: tuple[RankFigures, ...]

    @property
    def slowest(self) -> RankFigures:
        return max(self.ranks, key=lambda r: r.seconds)

    @property
    def samples_per_s(self) -> float:
        """All ranks' rows over the slowest rank's time."""
        slowest = self.slowest.seconds
        return sum(r.rows for r in self.ranks) / slowest if slowest > 0 else 0.0

    @property
    def imbalance(self) -> float:
        """The slowest rank's time over the fastest's, minus one."""
        fastest = min(r.seconds for r in self.ranks)
        return self.slowest.seconds / fastest - 1 if fastest > 0 else 0.0


def rank_figures(steps: StepSamples) -> JobFigures | None:
    """Each rank's counted rows and seconds, or None for a single-process result."""
    if not steps.rank:
        return None
    idx = np.asarray(steps.counted(), dtype=np.int64)
    if not idx.size:
        return None
    rank = np.asarray(steps.rank)[idx]
    rows = np.asarray(steps.rows, dtype=np.int64)[idx]
    seconds = np.asarray(steps.step_s())[idx]
    return JobFigures(tuple(RankFigures(int(r), int(rows[rank == r].sum()),
                                        float(seconds[rank == r].sum()))
                            for r in np.unique(rank)))


def rank_note(result: ScenarioResult) -> str | None:
    """One footnote line on a multi-rank scenario's whole-job figures."""
    job = rank_figures(result.steps)
    if job is None:
        return None
    backend = result.ranks.backend if result.ranks else "?"
    checks = result.checks.ranks if result.checks else None
    per_rank = " / ".join(f"{r.samples_per_s:,.0f}" for r in job.ranks)
    parts = [f"{len(job.ranks)} ranks ({backend})",
             f"job {job.samples_per_s:,.0f} samples/s", f"per rank {per_rank}",
             f"slowest rank {job.slowest.rank}", f"imbalance {job.imbalance:.0%}"]
    if checks is not None and checks.padding_per_epoch:
        parts.append(f"DistributedSampler padding {checks.padding_per_epoch} row(s)/epoch")
    if checks is not None and checks.dropped_per_epoch:
        parts.append(f"DistributedSampler drops {checks.dropped_per_epoch} row(s)/epoch")
    return f"{result.name} [{result.device}]: " + "; ".join(parts)
