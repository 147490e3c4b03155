"""The result file: one run, many scenarios, every raw step time, as typed frozen records.

Why dataclasses with explicit validation (codec.py), not msgspec or pydantic: the records
are plain frozen dataclasses that the harness builds and the tables read, and their type
hints are the schema; a 60-line decoder walks those hints, so there is no dependency to
install (results/ imports neither torch nor pyarrow, and `report` runs where only the
standard library, numpy and tabulate are), and no second description of the same fields.
Speed is not a reason to add one: a 760 KB file (100k raw step values) parses and validates
in tens of milliseconds, the raw-step columns taking a fast path. A damaged file gives one
line naming the field and the value (`scenarios[3].timing.setup_s: expected a list, got
'x'`): store.load turns it into a UsageError, exit 2.

Metrics are not part of the record: `ScenarioResult.metrics` derives them from the raw
steps (metrics.py); the file keeps a copy tagged with its counting rule, used only when the
rule matches.

Schema history (bump SCHEMA_VERSION when a reader of the old version would misread a file;
v1.py reads version 1):
  1  env, calibration, dataset, scenarios with columnar raw steps, and untyped payloads:
     metrics (stored, never re-derived), timing (scalars, lists once repeats merged),
     transfer facts inside timing with pinning as a phrase, checks with coverage and values
     as phrases, resources as single merged values.
  2  typed records: `transfer` apart, pinning an enum; `timing` and `resources` hold one
     value per repeat, always lists; `checks` with covers_dataset, value_rows and per-epoch
     counts (coverage in words is derived); `row_bytes`; `traceback` of a failed scenario;
     `metrics` a cache tagged with `counting_rule`.

A file is JSON written atomically with sorted keys (see store.py); no pickle anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from loaderbench.results.codec import decode, encode, wrong
from loaderbench.results.machine import Calibration, Environment
from loaderbench.results.metrics import COUNTING_RULE, Metrics, derive
from loaderbench.results.records import Checks, Ranks, Resources, Status, Timing, Transfer
from loaderbench.results.samples import StepSamples

SCHEMA_VERSION = 2
STATUSES = tuple(s.value for s in Status)

__all__ = ["SCHEMA_VERSION", "RunResult", "ScenarioResult", "StepSamples"]


@dataclass(frozen=True)
class ScenarioResult:
    """One scenario's outcome: what ran, how it went, its raw steps and the facts around
    them. `metrics` is derived from those on first use."""

    name: str
    loader: str
    device: str
    status: Status
    options: dict[str, Any] = field(default_factory=dict)
    reason: str = ""
    step: str = "mlp"
    row_bytes: int = 0  # bytes of one row of a Batch (features, target, row_id)
    steps: StepSamples = field(default_factory=StepSamples)
    transfer: Transfer | None = None  # None: no batch was moved (skipped, failed early)
    timing: Timing = field(default_factory=Timing)
    checks: Checks | None = None      # None: never checked (skipped, failed early)
    resources: Resources = field(default_factory=Resources)
    traceback: str = ""
    scenario: dict[str, Any] = field(default_factory=dict)  # the scenario as planned
    ranks: Ranks | None = None        # multi-rank runs only (steps then carry their rank)
    _metrics: Metrics | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "status", Status(self.status))
        except ValueError:
            raise ValueError(f"status must be one of {STATUSES}, got {self.status!r}") from None

    @property
    def ok(self) -> bool:
        return self.status is Status.OK

    @property
    def metrics(self) -> Metrics:
        """Every figure, derived from the raw steps once and kept."""
        if self._metrics is None:
            object.__setattr__(self, "_metrics", derive(self.steps, self.timing, self.transfer,
                                                        self.row_bytes, self.device))
        assert self._metrics is not None
        return self._metrics

    def to_dict(self, metrics: bool = True) -> dict[str, Any]:
        """As JSON values; with `metrics`, a copy of them tagged with their counting rule."""
        out = encode(self)
        if metrics:
            out["metrics"] = {"counting_rule": COUNTING_RULE, **encode(self.metrics)}
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "") -> ScenarioResult:
        result = decode(cls, data, where)
        cached = data.get("metrics")
        if isinstance(cached, dict) and cached.get("counting_rule") == COUNTING_RULE:
            metrics = decode(Metrics, cached, f"{where}.metrics" if where else "metrics")
            object.__setattr__(result, "_metrics", metrics)
        return result

    def with_(self, **changes: Any) -> ScenarioResult:
        """A copy with `changes`; its metrics are derived again."""
        return replace(self, **changes)


@dataclass(frozen=True)
class RunResult:
    """A whole run: where it ran, what the machine can do, and every scenario."""

    created: str
    env: dict[str, Any]
    scenarios: tuple[ScenarioResult, ...] = ()
    suite: str = ""
    calibration: dict[str, Any] = field(default_factory=dict)
    dataset: dict[str, Any] = field(default_factory=dict)
    tool: dict[str, Any] = field(default_factory=dict)
    schema_version: int = SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        out = encode(replace(self, scenarios=()))
        out["scenarios"] = [s.to_dict() for s in self.scenarios]
        out["schema_version"] = SCHEMA_VERSION
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunResult:
        """A run from schema-2 JSON (v1.py upgrades version 1 first), validated."""
        scenarios = data.get("scenarios", [])
        if not isinstance(scenarios, list):
            raise wrong("scenarios", "a list", scenarios)
        run = decode(cls, {**data, "scenarios": []})
        decode(Environment, run.env, "env")  # open objects: their known keys checked
        decode(Calibration, run.calibration, "calibration")
        parsed = tuple(ScenarioResult.from_dict(s, f"scenarios[{i}]")
                       for i, s in enumerate(scenarios))
        return replace(run, scenarios=parsed, schema_version=SCHEMA_VERSION)

    def with_scenario(self, result: ScenarioResult) -> RunResult:
        return replace(self, scenarios=(*self.scenarios, result))

    def scenario(self, name: str) -> ScenarioResult | None:
        return next((s for s in self.scenarios if s.name == name), None)

