#!/usr/bin/env python3
"""Proves that the harness's numbers can be trusted, through the real harness.

1. latency   the `synthetic` loader at 1, 5 and 20 ms: measured data wait within 3 % of it
2. overhead  a zero-latency loader and the `none` step: the harness's own cost per step, in
             microseconds (goal: at most 20 us, 2 % of a 1 ms step), timed and wall
3. processes one scenario in 5 fresh processes: the spread of their median steps/s
4. cuda      an unsynchronised timer against the harness on the `mlp` step (and on a GPU
             sleep of known length), both against CUDA events and a plain training loop;
             skipped, saying why, where there is no CUDA

Proofs 1-3 run scenarios in worker processes, as `loaderbench run` does; proof 4 runs the
harness's step loop in this process, with and without its synchronisation.

    python3 benchmarks/harness_accuracy.py [--out DIR] [--quiet] [--strict]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # a checkout runs without installing

from tabulate import tabulate  # noqa: E402

from loaderbench.harness import devices, runner  # noqa: E402
from loaderbench.harness.prepare import Prepared, prepare  # noqa: E402
from loaderbench.results import environment  # noqa: E402
from loaderbench.results.schema import ScenarioResult  # noqa: E402
from loaderbench.results.stats import repeat_rates  # noqa: E402
from loaderbench.scenarios.dataset import DatasetSpec  # noqa: E402
from loaderbench.scenarios.scenario import Scenario  # noqa: E402

LATENCIES_MS = (1.0, 5.0, 20.0)
LATENCY_TOLERANCE = 0.03
OVERHEAD_GOAL_US = 20.0
PROCESSES = 5


@dataclass
class Section:
    title: str
    headers: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    passed: bool | None = None

    def text(self) -> str:
        body = tabulate(self.rows, headers=self.headers, tablefmt="github",
                        disable_numparse=True) if self.rows else "(no rows)"
        return "\n".join([f"## {self.title}", "", body, "", *self.notes, ""])


def scenario(prepared: Prepared, workdir: Path, name: str, loader: str,
             options: dict[str, Any], steps: int, warmup: int, repeats: int = 1
             ) -> ScenarioResult:
    s = Scenario(name=name, loader=loader, options=options, step="none", steps=steps,
                 warmup=warmup, repeats=repeats)
    result = runner.run_scenario(s, prepared, workdir)
    if not result.ok:
        raise SystemExit(f"{name}: {result.status}: {result.reason}")
    return result


def counted(result: ScenarioResult, column: str) -> list[float]:
    values = getattr(result.steps, column)
    return [values[i] for i in result.steps.counted()]


def latency_proof(prepared: Prepared, workdir: Path) -> Section:
    out = Section("1. Data wait against a known loader latency (synthetic, step none, cpu)",
                  ["set latency ms", "steps", "median wait ms", "p90 wait ms", "error",
                   f"within {LATENCY_TOLERANCE:.0%}"])
    checks = []
    for ms in LATENCIES_MS:
        steps = max(50, int(1000 / ms))
        result = scenario(prepared, workdir, f"latency {ms:g} ms", "synthetic",
                          {"latency_ms": ms, "batch_size": 256,
                           "steps_per_epoch": steps + 20}, steps, 5)
        waits = sorted(w * 1e3 for w in counted(result, "wait_s"))
        median = statistics.median(waits)
        error = (median - ms) / ms
        checks.append(abs(error) <= LATENCY_TOLERANCE)
        out.rows.append([f"{ms:g}", len(waits), f"{median:.4f}",
                         f"{waits[int(0.9 * (len(waits) - 1))]:.4f}", f"{error:+.3%}",
                         "yes" if checks[-1] else "NO"])
    out.passed = all(checks)
    out.notes.append("The synthetic loader busy-waits its latency on time.perf_counter, so on an "
                     "idle core the set latency is the true data wait and the error is the "
                     "harness's. Where other processes take the core, the waits really are "
                     "longer (the p90 shows it; the load average is at the top).")
    return out


def overhead_proof(prepared: Prepared, workdir: Path, steps: int) -> Section:
    out = Section("2. Harness overhead per step (synthetic latency 0, step none, cpu)",
                  ["batch rows", "steps", "timed median us", "timed mean us", "timed p99 us",
                   "wall per step us", "checks+records per step us",
                   f"median <= {OVERHEAD_GOAL_US:g} us"])
    checks = []
    for rows in (64, 4096):
        result = scenario(prepared, workdir, f"overhead {rows}", "synthetic",
                          {"latency_ms": 0.0, "batch_size": rows,
                           "steps_per_epoch": steps + 200}, steps, 200)
        step = [s * 1e6 for s in (w + t + c for w, t, c in zip(
            counted(result, "wait_s"), counted(result, "transfer_s"),
            counted(result, "compute_s"), strict=True))]
        total = len(result.steps)
        wall = sum(result.timing.loop_s) / total * 1e6
        book = sum(result.timing.bookkeeping_s) / total * 1e6
        median = statistics.median(step)
        checks.append(median <= OVERHEAD_GOAL_US)
        out.rows.append([rows, len(step), f"{median:.2f}", f"{statistics.fmean(step):.2f}",
                         f"{sorted(step)[int(0.99 * (len(step) - 1))]:.2f}", f"{wall:.2f}",
                         f"{book:.2f}", "yes" if checks[-1] else "NO"])
    out.passed = all(checks)
    out.notes += [
        "timed: t0..t3 of a step that does nothing (next() on a ready generator, three "
        "no-op syncs and four clock reads): what the harness adds to every measured step.",
        "wall per step: the loop's wall time over its steps, including the checks and records "
        "between steps (outside the timed part, but time a loader's workers get for free)."]
    return out


def processes_proof(prepared: Prepared, workdir: Path) -> Section:
    out = Section(f"3. One scenario in {PROCESSES} fresh processes (step none, cpu)",
                  ["scenario", "rate", "per process", "min", "max", "spread (max-min)/median",
                   "steps/s 95% CI (all processes)"])
    cases = [("synthetic latency 1 ms", "synthetic",
              {"latency_ms": 1.0, "batch_size": 256, "steps_per_epoch": 400}, 300),
             ("vectorized batch_size=1024", "vectorized", {"batch_size": 1024}, 100)]
    for name, loader, options, steps in cases:
        result = scenario(prepared, workdir, name, loader, options, steps, 5, PROCESSES)
        m = result.metrics
        ci = (f"{m.steps_per_s:,.1f} ({m.steps_per_s_ci_low:,.1f}–"
              f"{m.steps_per_s_ci_high:,.1f})")
        for rate, median in (("1 / median step", True), ("throughput", False)):
            rates = list(repeat_rates(result.steps, median=median).values())
            mid = statistics.median(rates)
            out.rows.append([name, rate, ", ".join(f"{r:,.1f}" for r in rates),
                             f"{min(rates):,.1f}", f"{max(rates):,.1f}",
                             f"{(max(rates) - min(rates)) / mid:.2%}", ci if median else ""])
    out.notes += [
        "1 / median step: each process's median step time, inverted (robust to outliers). "
        "throughput: each process's counted steps over their summed time (what the table's "
        "steps/s is). They differ when a few slow steps (a new chunk read) carry most of "
        "the time.",
        "The CI resamples processes, then steps within each process."]
    return out


# -- 4. CUDA: the unsynchronised timer against the harness ------------------------------------

CUDA_STEPS, CUDA_WARMUP, GPU_SLEEP_MS = 100, 10, 5.0


def cuda_proof(prepared: Prepared) -> Section:
    out = Section("4. CUDA: unsynchronised timer vs the harness (synthetic, pinned batches)",
                  ["step", "batch rows", "timer", "wait ms", "transfer ms", "compute ms",
                   "steps/s", "steps/s vs plain loop"])
    status = devices.probe("cuda")
    if not status.available:
        out.notes.append(f"skipped: {status.reason}")
        return out
    import torch

    for step, rows in (("mlp", 4096), ("mlp", 65536), (f"gpu sleep {GPU_SLEEP_MS:g} ms", 4096)):
        out.rows += cuda_rows(prepared, step, rows)
        torch.cuda.empty_cache()
    out.notes += [
        "naive: the harness's loop with its synchronisation removed (time.perf_counter around "
        "asynchronous work). harness: the same loop, torch.cuda.synchronize before each "
        "clock read. CUDA events: the device's own time of the same transfer and compute.",
        "plain loop: for batch in loader: train(batch.to(cuda)) with one synchronize at the "
        "end, steps over wall time: what training really gets. The harness can be below it by "
        "the CPU/GPU overlap that its per-part syncs give up; the naive timer puts queued GPU "
        "work in whichever part happens to wait for it (compare its parts with the events).",
        f"gpu sleep: torch.cuda._sleep for about {GPU_SLEEP_MS:g} ms of GPU time per step, a "
        "known duration (its events time is the reference)."]
    return out


def cuda_rows(prepared: Prepared, step: str, rows: int) -> list[list[str]]:
    from loaderbench.harness.loop import LoopPlan, run_loop

    loader, move, train = cuda_parts(prepared, step, rows)
    plan = LoopPlan(warmup=CUDA_WARMUP, steps=CUDA_STEPS)
    timer = devices.EventTimer()
    timed_move, timed_train = timer.wrap(move, train)
    noop = lambda *a: None  # noqa: E731
    plain_loop_rate(loader, move, train)  # warm: kernels loaded, GPU clocks up
    naive = run_loop(loader, plan, move, train, noop, noop, noop)
    devices.synchronizer("cuda")()
    synced = run_loop(loader, plan, timed_move, timed_train, devices.synchronizer("cuda"),
                      lambda b: timer.collect(), noop)
    truth = plain_loop_rate(loader, move, train)
    idx = synced.steps.counted()
    events = [[timer.transfer_s[i] for i in idx], [timer.compute_s[i] for i in idx]]
    label = [step, f"{rows:,}"]
    return [[*label, "naive (no sync)", *part_cells(naive.steps), *rate_cells(naive.steps, truth)],
            [*label, "harness (sync)", *part_cells(synced.steps),
             *rate_cells(synced.steps, truth)],
            [*label, "CUDA events", "-", *(f"{statistics.median(v) * 1e3:.3f}" for v in events),
             "-", "-"],
            [*label, "plain loop, one final sync", "-", "-", "-", f"{truth:,.1f}", "1x"]]


def part_cells(steps) -> list[str]:
    idx = steps.counted()
    return [f"{statistics.median([getattr(steps, c)[i] for i in idx]) * 1e3:.3f}"
            for c in ("wait_s", "transfer_s", "compute_s")]


def rate_cells(steps, truth: float) -> list[str]:
    times = steps.step_s()
    idx = steps.counted()
    rate = len(idx) / sum(times[i] for i in idx)
    return [f"{rate:,.1f}", f"{rate / truth:.2f}x"]


def plain_loop_rate(loader, move, train) -> float:
    """Steps/s of a training loop with no timing inside: one synchronize at the end."""
    import time

    sync = devices.synchronizer("cuda")
    batches = iter(loader.epoch(0))
    for _ in range(CUDA_WARMUP):
        train(move(next(batches)))
    sync()
    start = time.perf_counter()
    for _ in range(CUDA_STEPS):
        train(move(next(batches)))
    sync()
    return CUDA_STEPS / (time.perf_counter() - start)


def cuda_parts(prepared: Prepared, step: str, rows: int):
    """The synthetic loader (pinned batches), its transfer plan and the training step."""
    import torch

    from loaderbench import steps
    from loaderbench.harness import transfer, worker
    from loaderbench.steps.base import StepContext

    s = Scenario(name="cuda", loader="synthetic", device="cuda", step="none",
                 options={"batch_size": rows, "pin_memory": True,
                          "steps_per_epoch": 10 * (CUDA_STEPS + CUDA_WARMUP)})
    loader, checker = worker.build_loader(worker.Job(
        scenario=s, repeat=0, source=prepared.source.to_dict(),
        preprocessor=str(prepared.preprocessor_path), n_classes=prepared.n_classes))
    loader.setup()
    move = transfer.plan("cuda", "auto", loader.pins_memory(), None).function()
    if step == "mlp":
        train = steps.build("mlp", StepContext(checker.preprocessor.n_features,
                                               prepared.n_classes, torch.device("cuda")))
    else:
        cycles = gpu_sleep_cycles(GPU_SLEEP_MS)
        train = lambda batch: torch.cuda._sleep(cycles)  # noqa: E731
    return loader, move, train


def gpu_sleep_cycles(ms: float) -> int:
    """Cycles of torch.cuda._sleep that last about `ms` on this GPU (CUDA events)."""
    import torch

    torch.cuda._sleep(1000)
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    torch.cuda._sleep(10_000_000)
    end.record()
    torch.cuda.synchronize()
    return int(10_000_000 * ms / start.elapsed_time(end))


def environment_line() -> str:
    env = {**environment.collect(), **devices.describe()}
    libs = env.get("libraries", {})
    gpu = env.get("gpu") or "no CUDA device"
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return (f"{env['cpu']} ({env['cores_usable']} usable cores, load average {load}), {gpu}; "
            f"Python {env['python']}, torch {libs.get('torch')}, pyarrow {libs.get('pyarrow')}")


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    say = (lambda text: None) if args.quiet else (lambda text: print(text, file=sys.stderr))
    say("preparing the dataset (cached after the first run)")
    prepared = prepare(DatasetSpec())
    before = environment_line()
    sections = []
    with tempfile.TemporaryDirectory(prefix="harness-accuracy-") as tmp:
        work = Path(tmp)
        for label, proof in (("latency", lambda: latency_proof(prepared, work)),
                             ("overhead", lambda: overhead_proof(prepared, work, args.steps)),
                             ("processes", lambda: processes_proof(prepared, work)),
                             ("cuda", lambda: cuda_proof(prepared))):
            if args.only and label not in args.only:
                continue
            say(f"proof: {label}")
            try:
                sections.append(proof())
            except (Exception, SystemExit) as err:  # one broken proof must not hide the others
                sections.append(Section(f"{label}: could not run", [], notes=[
                    f"{type(err).__name__}: {err}"], passed=False))
    text = "\n".join([f"# Harness accuracy\n\nbefore: {before}\nafter:  {environment_line()}\n",
                      *(s.text() for s in sections)])
    print(text)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "harness_accuracy.md").write_text(text)
        (args.out / "harness_accuracy.json").write_text(
            json.dumps([asdict(s) for s in sections], indent=1, sort_keys=True))
    missed = [s.title for s in sections if s.passed is False]
    return 1 if args.strict and missed else 0


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, help="also write harness_accuracy.md and .json here")
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    p.add_argument("--strict", action="store_true", help="exit 1 if a goal is missed")
    p.add_argument("--steps", type=int, default=20_000, help="steps of the overhead proof")
    p.add_argument("--only", type=lambda t: t.split(","),
                   help="run only these proofs: latency,overhead,processes,cuda")
    return p.parse_args(argv)


if __name__ == "__main__":
    sys.exit(main())
