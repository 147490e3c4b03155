"""The bad inputs that benchmarks/bad_inputs.py tries: each builds its files in a scratch
folder and returns the command line (and environment) to run. Grouped by boundary."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

GOOD_SUITE = """[suite]
name = "tiny"
[suite.defaults]
device = "cpu"
warmup = 1
steps = 2
[[scenario]]
loader = "vectorized"
[scenario.options]
batch_size = 32
"""


@dataclass(frozen=True)
class Setup:
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    guard: Path | None = None  # a file that must stay byte-identical


@dataclass(frozen=True)
class Case:
    group: str
    what: str
    build: Callable[[Path, Scratch], Setup]


@dataclass(frozen=True)
class Scratch:
    """Shared material: a good data folder, a good suite and a finished result file."""

    data: Path
    suite: Path
    result: Path


def table(n: int = 200, start: int = 0, **columns) -> pa.Table:
    rng = np.random.default_rng(start)
    base = {"row_id": pa.array(np.arange(start, start + n, dtype=np.int64)),
            "label": pa.array(rng.integers(0, 3, n)),
            "num_a": pa.array(rng.standard_normal(n)),
            "num_b": pa.array(rng.standard_normal(n)),
            "cat_a": pa.array([f"v{i % 5}" for i in range(n)])}
    base.update(columns)
    return pa.table(base)


def write_data(folder: Path, first: pa.Table | None = None, second: pa.Table | None = None
               ) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(first if first is not None else table(), folder / "part-0.parquet")
    pq.write_table(second if second is not None else table(start=200), folder / "part-1.parquet")
    return folder


def run_args(tmp: Path, s: Scratch, *extra: str, data: Path | None = None,
             suite: Path | None = None) -> list[str]:
    return ["run", "--suite", str(suite or s.suite), "--data", str(data or s.data),
            "--out", str(tmp / "out.json"), "--no-calibrate", "--quiet", *extra]


def cli(*argv: str) -> Callable[[Path, Scratch], Setup]:
    return lambda tmp, s: Setup([a.format(tmp=tmp, data=s.data, suite=s.suite) for a in argv])


def suite_text(text: str | bytes) -> Callable[[Path, Scratch], Setup]:
    def build(tmp: Path, s: Scratch) -> Setup:
        path = tmp / "suite.toml"
        (path.write_bytes if isinstance(text, bytes) else path.write_text)(text)
        return Setup(run_args(tmp, s, suite=path))
    return build


def scenario_field(line: str) -> Callable[[Path, Scratch], Setup]:
    return suite_text(f'[[scenario]]\nloader = "vectorized"\n{line}\n')


def data_case(first: Callable[[], pa.Table] | None = None,
              second: Callable[[], pa.Table] | None = None) -> Callable[[Path, Scratch], Setup]:
    def build(tmp: Path, s: Scratch) -> Setup:
        folder = write_data(tmp / "data", first() if first else None,
                            second() if second else None)
        return Setup(run_args(tmp, s, data=folder))
    return build


def data_bytes(damage: Callable[[bytes], bytes]) -> Callable[[Path, Scratch], Setup]:
    def build(tmp: Path, s: Scratch) -> Setup:
        folder = write_data(tmp / "data")
        part = folder / "part-1.parquet"
        part.write_bytes(damage(part.read_bytes()))
        return Setup(run_args(tmp, s, data=folder))
    return build


def out_at(make: Callable[[Path, Scratch], Path], *extra: str
           ) -> Callable[[Path, Scratch], Setup]:
    def build(tmp: Path, s: Scratch) -> Setup:
        target = make(tmp, s)
        argv = run_args(tmp, s, *extra)
        argv[argv.index("--out") + 1] = str(target)
        guard = target if target.is_file() and not target.is_symlink() else None
        return Setup(argv, guard=guard)
    return build


def file_with(text: str, name: str = "out.json") -> Callable[[Path, Scratch], Path]:
    def make(tmp: Path, s: Scratch) -> Path:
        (tmp / name).write_text(text)
        return tmp / name
    return make


def copied_result(change: Callable[[dict], None] | None = None
                  ) -> Callable[[Path, Scratch], Path]:
    def make(tmp: Path, s: Scratch) -> Path:
        data = json.loads(s.result.read_text())
        if change:
            change(data)
        (tmp / "out.json").write_text(json.dumps(data))
        return tmp / "out.json"
    return make


def symlink_to(target: Callable[[Path, Scratch], Path]) -> Callable[[Path, Scratch], Path]:
    def make(tmp: Path, s: Scratch) -> Path:
        real = target(tmp, s)
        link = tmp / "link.json"
        link.symlink_to(real)
        return link
    return make


def fifo(tmp: Path, s: Scratch) -> Path:
    os.mkfifo(tmp / "pipe.json")
    return tmp / "pipe.json"


def resume_with(change: Callable[[dict], None], *extra: str) -> Callable[[Path, Scratch], Setup]:
    return out_at(copied_result(change), "--resume", *extra)


def report_of(change: Callable[[dict], None] | str) -> Callable[[Path, Scratch], Setup]:
    def build(tmp: Path, s: Scratch) -> Setup:
        path = tmp / "r.json"
        if isinstance(change, str):
            path.write_text(change)
        else:
            data = json.loads(s.result.read_text())
            change(data)
            path.write_text(json.dumps(data))
        return Setup(["report", str(path)])
    return build


def first_scenario(key: str, value) -> Callable[[dict], None]:
    def change(data: dict) -> None:
        data["scenarios"][0][key] = value
    return change


def step_times_as_strings(data: dict) -> None:
    steps = data["scenarios"][0]["steps"]
    steps["wait_s"] = [str(v) for v in steps["wait_s"]]


def with_env(var: str, make: Callable[[Path], str], argv: Callable[[Path, Scratch], list[str]]
             ) -> Callable[[Path, Scratch], Setup]:
    return lambda tmp, s: Setup(argv(tmp, s), env={var: make(tmp)})


def a_file(tmp: Path) -> str:
    (tmp / "plain-file").write_text("x")
    return str(tmp / "plain-file")


def damaged_fit(text: str) -> Callable[[Path, Scratch], Setup]:
    """A run on the good folder whose cached preprocessing fit holds `text`."""
    def build(tmp: Path, s: Scratch) -> Setup:
        from loaderbench.harness.prepare import fingerprint
        from loaderbench.scenarios.source import open_data

        cache = tmp / "cache"
        fit = cache / "preprocessors" / f"{fingerprint(open_data(s.data))}.json"
        fit.parent.mkdir(parents=True)
        fit.write_text(text)
        return Setup(run_args(tmp, s), env={"LOADERBENCH_CACHE": str(cache)})
    return build


TINY_DATA = ["--rows", "400", "--dates", "2", "--files-per-date", "2", "--numeric", "3",
             "--categorical", "2", "--filler", "1", "--row-group-size", "100"]


def damaged_dataset(damage: Callable[[Path], None]) -> Callable[[Path, Scratch], Setup]:
    """`data` on a cached generated dataset that `damage` has spoiled."""
    def build(tmp: Path, s: Scratch) -> Setup:
        from loaderbench.harness.prepare import generated
        from loaderbench.scenarios.dataset import DatasetSpec

        spec = DatasetSpec(rows=400, dates=2, files_per_date=2, numeric=3, categorical=2,
                           filler=1, row_group_size=100)
        source, _ = generated(spec, tmp / "root")
        damage(source.files[-1])
        return Setup(["data", *TINY_DATA, "--root", str(tmp / "root")])
    return build
