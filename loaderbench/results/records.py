"""The typed parts of a scenario's result: transfer, timing, checks, resources.

Each is a frozen record of raw facts as the harness observed them. Where a fact is a choice
among a few cases it is an enum (`Pinning`, `ValueCheck`), never a phrase: tables turn
them into words, and no behaviour depends on how a message is worded. Fields that hold one
value per repeat (fresh process) are always tuples, even with one repeat; derived figures
(medians, peaks, coverage in words) are properties.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    OK = "ok"
    SKIPPED = "skipped"  # the device is not present: `reason` says why
    FAILED = "failed"    # an error or a failed check: `reason` says which


class Pinning(StrEnum):
    """Where the batches were pinned for the host-to-device copy."""

    LOADER = "loader"            # the loader pinned them (DataLoader pin_memory=True)
    TRAINER = "trainer"          # the training loop pinned each batch before copying
    NONE = "none"                # pageable memory: CUDA stages the copy itself
    NOT_APPLICABLE = "n/a"       # not CUDA (cpu: no copy; mps: no pinning)
    IN_LOADER = "in-loader"      # the loader yields batches on the device: the copy is
    #                              inside next(), counted as data wait; the harness moves none


@dataclass(frozen=True)
class Transfer:
    """How batches reached the device."""

    pinning: Pinning = Pinning.NOT_APPLICABLE
    mode: str = ""                      # the same in words, for people
    non_blocking: bool | None = None    # None on cpu, where nothing is copied
    pinned_batches: bool | None = None  # looked at on the first batch (CUDA); None: not seen

    @property
    def by_harness(self) -> bool:
        """Whether the harness timed the copy (its transfer time is a real copy)."""
        return self.pinning is not Pinning.IN_LOADER

    def describe(self, device: str) -> str:
        """A few words for a table: `loader pin, non_blocking`, `pageable`, `n/a on cpu`."""
        if self.pinning is Pinning.NOT_APPLICABLE:
            return f"n/a on {device}"
        if self.pinning is Pinning.IN_LOADER:
            return "n/a (the loader copies)"
        nb = ", non_blocking" if self.non_blocking else ""
        return ("pageable" if self.pinning is Pinning.NONE else f"{self.pinning} pin") + nb


@dataclass(frozen=True)
class Timing:
    """Wall-clock facts outside the per-step columns; how the clock was read."""

    setup_s: tuple[float, ...] = ()        # the loader's setup(), one per repeat
    loop_s: tuple[float, ...] = ()         # the whole step loop, one per repeat
    bookkeeping_s: tuple[float, ...] = ()  # checks and records between steps, one per repeat
    checks_s: tuple[float, ...] = ()       # the checks' own part of it and of epoch ends
    epoch_s: tuple[float, ...] = ()        # every complete epoch of every repeat
    epoch_wall_s: tuple[float, ...] = ()   # the same epochs, checks included
    clock: str = ""                        # e.g. time.perf_counter
    sync: str = ""                         # what ran before each clock read
    device_timer: str = "none"             # e.g. torch.cuda.Event, beside the host clock
    loop: str = "attributed"               # attributed (sync between parts) or overlapped

    def __post_init__(self) -> None:
        if len(self.loop_s) != len(self.bookkeeping_s):
            raise ValueError(f"timing has {len(self.loop_s)} loop_s for "
                             f"{len(self.bookkeeping_s)} bookkeeping_s")


class ValueCheck(StrEnum):
    OK = "ok"                    # every sampled row equals the reference
    MISMATCH = "mismatch"        # some differ: the scenario failed
    SKIPPED = "skipped"          # --no-check
    NOT_CHECKED = "not checked"  # no sampled row came (or the batch contract broke first)


@dataclass(frozen=True)
class EpochCheck:
    """One epoch's coverage: a partial epoch (cut by a step limit) has no missing count."""

    epoch: int
    complete: bool
    rows_seen: int
    duplicates: int
    missing: int | None = None


@dataclass(frozen=True)
class RankCheck:
    """The checks of a multi-rank run that only exist across ranks (rank_checks.py)."""

    world_size: int
    padding_per_epoch: int = 0    # rows DistributedSampler repeats so every rank gets as many
    dropped_per_epoch: int = 0    # rows DistributedSampler cuts with drop_last
    shuffles: bool = False        # the loader should give a new order each epoch
    order_repeated: bool | None = None  # None: fewer than 2 complete epochs or no shuffle
    rows_per_rank: tuple[int, ...] = ()

    @property
    def order(self) -> str:
        if not self.shuffles:
            return "n/a (the loader does not shuffle)"
        if self.order_repeated is None:
            return "n/a (fewer than 2 complete epochs)"
        return "same every epoch" if self.order_repeated else "new each epoch"


@dataclass(frozen=True)
class RankRun:
    """One rank of a multi-rank scenario: how it ended and its own times."""

    rank: int
    status: Status
    reason: str = ""
    setup_s: float | None = None
    loop_s: float | None = None
    peak_rss_mib: float | None = None


@dataclass(frozen=True)
class Ranks:
    """How a multi-rank scenario ran: torchrun's world and each rank's outcome."""

    world_size: int
    backend: str
    nodes: int = 1
    per_rank: tuple[RankRun, ...] = ()


@dataclass(frozen=True)
class Checks:
    """The batch contract, the coverage of each epoch and the value check."""

    covers_dataset: bool = True       # False: the loader does not read the dataset
    contract_error: str | None = None  # None: every batch had the right shapes and dtypes
    values: ValueCheck = ValueCheck.NOT_CHECKED
    value_rows: int = 0               # distinct sampled rows compared with the reference
    allowed_missing: int = 0          # rows a loader may drop per epoch (e.g. drop_last)
    epochs: tuple[EpochCheck, ...] = ()
    ranks: RankCheck | None = None    # multi-rank runs: what the cross-rank checks saw

    @property
    def duplicates(self) -> int | None:
        return sum(e.duplicates for e in self.epochs) if self.covers_dataset else None

    @property
    def missing(self) -> int | None:
        complete = [e for e in self.epochs if e.complete]
        if not self.covers_dataset or not complete:
            return None
        return sum(e.missing or 0 for e in complete)

    @property
    def partial(self) -> bool:
        return any(not e.complete for e in self.epochs)

    @property
    def coverage(self) -> str:
        """In words: exact, partial epoch, exact + partial epoch, or n/a."""
        if not self.covers_dataset:
            return "n/a (does not read the dataset)"
        if not any(e.complete for e in self.epochs):
            return "partial epoch"
        return "exact + partial epoch" if self.partial else "exact"

    @property
    def values_text(self) -> str:
        return {ValueCheck.OK: f"ok ({self.value_rows:,} rows)",
                ValueCheck.SKIPPED: "skipped (--no-check)",
                ValueCheck.NOT_CHECKED: "not checked (no sampled rows)"}.get(self.values,
                                                                             str(self.values))


@dataclass(frozen=True)
class Resources:
    """What the process and its workers used during the loop, one value per repeat."""

    peak_rss_mib: tuple[float, ...] = ()  # process + workers, shared pages counted per process
    main_peak_rss_mib: tuple[float | None, ...] = ()
    max_worker_processes: tuple[int, ...] = ()
    cpu_seconds: tuple[float, ...] = ()
    wall_seconds: tuple[float, ...] = ()
    cpu_cores_busy: tuple[float | None, ...] = ()

    @property
    def peak_rss(self) -> float | None:
        """The largest peak over repeats."""
        return max(self.peak_rss_mib, default=None)

    @property
    def cores_busy(self) -> float | None:
        """The median repeat's CPU cores busy (the upper one of an even count)."""
        busy = sorted(b for b in self.cpu_cores_busy if b is not None)
        return busy[len(busy) // 2] if busy else None

