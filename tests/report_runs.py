"""Small result files built from set step times, for the report, plot and export tests.

A run holds a `vectorized` reference, a `sharded` num_workers grid (0, 2, 4), an
`arrow-native` scenario, and a failed one: every rate follows from the step times given.
"""

from __future__ import annotations

from pathlib import Path

from loaderbench.results.records import Checks, EpochCheck, Timing, Transfer, ValueCheck
from loaderbench.results.schema import RunResult, ScenarioResult, StepSamples
from loaderbench.results.store import save

ROW_BYTES = 176
ROWS = 100


def scenario(name: str, loader: str, step_s: float, wait_share: float = 0.5,
             device: str = "cpu", options: dict | None = None, n: int = 20) -> ScenarioResult:
    """`n` steps of about `step_s` (a little spread, so intervals are not empty)."""
    step = [step_s * (1 + 0.02 * (i % 3)) for i in range(n)]
    wait = tuple(s * wait_share for s in step)
    compute = tuple(s - w for s, w in zip(step, wait, strict=True))
    steps = StepSamples(wait, (0.0,) * n, compute, (ROWS,) * n, (0,) * n, (0,) * n,
                        (False,) * n, (True,) + (False,) * (n - 1))
    timing = Timing(setup_s=(0.1,), loop_s=(1.0,), bookkeeping_s=(0.0,), sync="none",
                    clock="time.perf_counter")
    checks = Checks(values=ValueCheck.OK, value_rows=5,
                    epochs=(EpochCheck(0, False, n * ROWS, 0),))
    return ScenarioResult(name=name, loader=loader, device=device, status="ok",
                          options=dict(options or {}), steps=steps, row_bytes=ROW_BYTES,
                          checks=checks, timing=timing, transfer=Transfer())


def run(speed: float = 1.0, cpu: str = "Test CPU", cores: int = 2) -> RunResult:
    """A run whose step times are divided by `speed` (a faster machine: speed > 1)."""
    s = [scenario("vectorized batch_size=100", "vectorized", 0.01 / speed,
                  options={"batch_size": 100}),
         *(scenario(f"sharded num_workers={w}", "sharded", 0.01 / (speed * (1 + w)),
                    options={"batch_size": 100, "num_workers": w}) for w in (0, 2, 4)),
         scenario("arrow-native batch_size=100", "arrow-native", 0.001 / speed, 0.1,
                  options={"batch_size": 100}),
         ScenarioResult(name="sharded sharding=none", loader="sharded", device="cpu",
                        status="failed", reason="coverage: 300 duplicate rows")]
    env = {"host": "test", "cpu": cpu, "cores_logical": cores, "python": "3.11.7",
           "libraries": {"torch": "2.13.0"}}
    return RunResult(created="2026-12-01T00:00:00+00:00", env=env, suite="test",
                     scenarios=tuple(s))


def write(folder: Path, name: str, speed: float = 1.0, **env) -> Path:
    path = folder / name
    save(run(speed, **env), path)
    return path
