"""The list of bad inputs benchmarks/bad_inputs.py tries (builders in bad_input_cases.py)."""

from __future__ import annotations

import pyarrow as pa
from bad_input_cases import (
    Case,
    Setup,
    a_file,
    cli,
    copied_result,
    damaged_dataset,
    damaged_fit,
    data_bytes,
    data_case,
    fifo,
    file_with,
    first_scenario,
    out_at,
    report_of,
    resume_with,
    run_args,
    scenario_field,
    step_times_as_strings,
    suite_text,
    symlink_to,
    table,
    with_env,
)


def _set(path: tuple, value):
    def change(data: dict) -> None:
        target = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return change


def _scenario_field(key: str, value):
    def change(data: dict) -> None:
        for s in data["scenarios"]:
            s["scenario"][key] = value
    return change


ARGS = [
    ("run --steps 0", cli("run", "--steps", "0")),
    ("run --repeats -1", cli("run", "--repeats", "-1")),
    ("run --epochs 0", cli("run", "--epochs", "0")),
    ("run --steps abc", cli("run", "--steps", "abc")),
    ("run --device tpu", cli("run", "--device", "tpu")),
    ("run --device ','", cli("run", "--device", ",")),
    ("run --loaders nope", cli("run", "--loaders", "nope")),
    ("run --suite nope", cli("run", "--suite", "nope")),
    ("run --format nope", cli("run", "--format", "nope")),
    ("run --resume without --out", cli("run", "--resume")),
    ("run --resume --force together", cli("run", "--resume", "--force", "--out", "{tmp}/o.json")),
    ("report of a missing file", cli("report", "{tmp}/missing.json")),
    ("gate --threshold abc", cli("gate", "{tmp}/a.json", "{tmp}/b.json", "--threshold", "abc")),
    ("data --rows 0", cli("data", "--rows", "0")),
    ("data --nan-fraction 2", cli("data", "--nan-fraction", "2")),
    ("unknown subcommand", cli("frobnicate")),
]

OUT = [
    ("--out an unrelated text file", out_at(file_with("my notes\n"))),
    ("--out an unrelated file, with --force", out_at(file_with("my notes\n"), "--force")),
    ("--out an unrelated file, with --resume", out_at(file_with("my notes\n"), "--resume")),
    ("--out an empty file", out_at(file_with(""))),
    ("--out JSON that is not a result", out_at(file_with('{"a": 1}'))),
    ("--out an earlier result, no --resume/--force", out_at(copied_result())),
    ("--out a symlink to a result", out_at(symlink_to(copied_result()), "--resume")),
    ("--out a symlink to an unrelated file", out_at(symlink_to(file_with("x", "t.txt")))),
    ("--out a folder", out_at(lambda tmp, s: tmp)),
    ("--out /dev/null", out_at(lambda tmp, s: __import__("pathlib").Path("/dev/null"))),
    ("--out a named pipe", out_at(fifo)),
    ("--out under /proc", out_at(lambda tmp, s: __import__("pathlib").Path("/proc/x/r.json"))),
    ("--out whose folder is a file", out_at(lambda tmp, s: tmp / "good" / "r.json"
                                            if (tmp / "good").write_text("x") else None)),
    ("--out a damaged result, --resume", out_at(file_with('{"schema_version": 1, '
                                                          '"scenarios": 3}'), "--resume")),
    ("--out a newer-schema result, --resume",
     resume_with(_set(("schema_version",), 99))),
]

RESUME = [
    ("--resume with another --steps", resume_with(lambda d: None, "--steps", "3")),
    ("--resume with another --repeats", resume_with(lambda d: None, "--repeats", "2")),
    ("--resume a file of another suite", resume_with(_set(("suite",), "other"))),
    ("--resume a file of another version", resume_with(_set(("tool", "version"), "0.0.1"))),
    ("--resume a file from another host", resume_with(_set(("env", "host"), "elsewhere"))),
    ("--resume a file on other data", resume_with(_set(("dataset", "rows"), 7))),
    ("--resume a file with another step", resume_with(_scenario_field("step", "none"))),
    ("--resume a file with other options", resume_with(_scenario_field("options",
                                                                      {"batch_size": 8}))),
]

SUITE = [
    ("suite = 3", suite_text("suite = 3\n")),
    ("[scenario] instead of [[scenario]]", suite_text('[scenario]\nloader = "vectorized"\n')),
    ("scenario = [1, 2]", suite_text("scenario = [1, 2]\n")),
    ("scenario = 3", suite_text("scenario = 3\n")),
    ("options = 3", scenario_field("options = 3")),
    ("[suite] defaults = 3", suite_text('[suite]\ndefaults = 3\n[[scenario]]\nloader = "x"\n')),
    ("dataset = 3", suite_text('dataset = 3\n[[scenario]]\nloader = "vectorized"\n')),
    ("non-UTF-8 bytes", suite_text(b'[suite]\nname = "\xff\xfe"\n')),
    ("invalid TOML", suite_text("[[scenario\n")),
    ("empty file", suite_text("")),
    ("no loader", suite_text("[[scenario]]\nsteps = 3\n")),
    ("loader = 3", suite_text("[[scenario]]\nloader = 3\n")),
    ("unknown field", scenario_field("colour = 'red'")),
    ("timeout_s = 'abc'", scenario_field('timeout_s = "abc"')),
    ("timeout_s = 0", scenario_field("timeout_s = 0")),
    ("timeout_s = -5", scenario_field("timeout_s = -5")),
    ("timeout_s = inf", scenario_field("timeout_s = inf")),
    ("timeout_s = nan", scenario_field("timeout_s = nan")),
    ("seed = -1", scenario_field("seed = -1")),
    ("seed = 'x'", scenario_field('seed = "x"')),
    ("seed = 1.5", scenario_field("seed = 1.5")),
    ("check_values = 'no'", scenario_field('check_values = "no"')),
    ("non_blocking = 'yes'", scenario_field('non_blocking = "yes"')),
    ("device = 3", scenario_field("device = 3")),
    ("step = 'gpu'", scenario_field('step = "gpu"')),
    ("step = 3", scenario_field("step = 3")),
    ("steps = 0", scenario_field("steps = 0")),
    ("steps = 1.5", scenario_field("steps = 1.5")),
    ("steps = true", scenario_field("steps = true")),
    ("warmup = -1", scenario_field("warmup = -1")),
    ("repeats = 0", scenario_field("repeats = 0")),
    ("transfer = 'fast'", scenario_field('transfer = "fast"')),
    ("steps and epochs both", scenario_field("steps = 2\nepochs = 1")),
    ("batch_size = []", scenario_field("[scenario.options]\nbatch_size = []")),
    ("batch_size = [[1, 2]]", scenario_field("[scenario.options]\nbatch_size = [[1, 2]]")),
    ("batch_size = 'big'", scenario_field('[scenario.options]\nbatch_size = "big"')),
    ("batch_size = 0", scenario_field("[scenario.options]\nbatch_size = 0")),
    ("unknown loader option", scenario_field("[scenario.options]\nspeed = 11")),
    ("name = 3", scenario_field("name = 3")),
    ("[suite] description = 3", suite_text('[suite]\ndescription = 3\n[[scenario]]\n'
                                           'loader = "vectorized"\n')),
    ("[dataset] rows = 'x'", suite_text('[dataset]\nrows = "x"\n[[scenario]]\n'
                                        'loader = "vectorized"\n')),
    ("[dataset] rows = true", suite_text('[dataset]\nrows = true\n[[scenario]]\n'
                                         'loader = "vectorized"\n')),
    ("[dataset] nan_fraction = 1.5", suite_text('[dataset]\nnan_fraction = 1.5\n[[scenario]]\n'
                                                'loader = "vectorized"\n')),
    ("[dataset] unknown key", suite_text('[dataset]\nwidth = 3\n[[scenario]]\n'
                                         'loader = "vectorized"\n')),
    ("suite path is a folder named x.toml",
     lambda tmp, s: Setup(run_args(tmp, s, suite=(tmp / "x.toml").mkdir() or tmp / "x.toml"))),
    ("suite path does not exist", lambda tmp, s: Setup(run_args(tmp, s, suite=tmp / "no.toml"))),
    ("a 2,400-scenario grid without --yes",
     scenario_field("[scenario.options]\nbatch_size = [" + ", ".join(map(str, range(1, 2401)))
                    + "]")),
]


def _strings(n: int = 200) -> pa.Array:
    return pa.array([str(i) for i in range(n)])


DATA = [
    ("--data a missing folder", lambda tmp, s: Setup(run_args(tmp, s, data=tmp / "none"))),
    ("--data a file", lambda tmp, s: Setup(run_args(tmp, s, data=s.suite))),
    ("--data an empty folder", lambda tmp, s: Setup(run_args(tmp, s, data=tmp))),
    ("a text file named .parquet", data_bytes(lambda b: b"hello, not parquet\n")),
    ("a truncated Parquet file", data_bytes(lambda b: b[: len(b) // 2])),
    ("a zero-byte .parquet file", data_bytes(lambda b: b"")),
    ("corrupt bytes inside a Parquet file", data_bytes(
        lambda b: b[:4] + bytes(x ^ 0x5A for x in b[4:-2000]) + b[-2000:])),
    ("a CSV file named .parquet", data_bytes(lambda b: b"row_id,label\n0,1\n")),
    ("float row_id", data_case(lambda: table(row_id=pa.array([float(i) for i in range(200)])))),
    ("string row_id", data_case(lambda: table(row_id=_strings()))),
    ("duplicate row_id", data_case(second=lambda: table(start=0))),
    ("row_id with a gap", data_case(second=lambda: table(start=300))),
    ("negative row_id", data_case(lambda: table(row_id=pa.array(range(-200, 0))))),
    ("row_id of 10**12", data_case(lambda: table(row_id=pa.array([10**12] * 200)))),
    ("null row_id", data_case(lambda: table(row_id=pa.array([None] * 200, pa.int64())))),
    ("zero rows in every file", data_case(lambda: table(0), lambda: table(0))),
    ("strings in a numeric column", data_case(lambda: table(num_a=_strings()))),
    ("inf in a numeric column", data_case(lambda: table(num_a=pa.array([float("inf")] * 200)))),
    ("-inf in a numeric column", data_case(second=lambda: table(
        start=200, num_b=pa.array([0.0] * 199 + [float("-inf")])))),
    ("booleans in a numeric column", data_case(lambda: table(num_a=pa.array([True] * 200)))),
    ("a list column as numeric", data_case(lambda: table(num_a=pa.array([[1.0]] * 200)))),
    ("a numeric column int in one file, float in the other",
     data_case(second=lambda: table(start=200, num_a=pa.array(range(200))))),
    ("a categorical column string in one file, int in the other",
     data_case(second=lambda: table(start=200, cat_a=pa.array(range(200))))),
    ("no label column", data_case(lambda: table().drop(["label"]))),
    ("no numeric column", data_case(lambda: table().drop(["num_a", "num_b"]))),
    ("second file lacks a feature", data_case(second=lambda: table(start=200).drop(["num_b"]))),
    ("string label", data_case(lambda: table(label=_strings()),
                               lambda: table(start=200, label=_strings()))),
    ("null labels", data_case(lambda: table(label=pa.array([None] * 200, pa.int64())))),
    ("negative labels", data_case(lambda: table(label=pa.array([-1] * 200)))),
]

CACHE = [
    ("LOADERBENCH_CACHE is a file", with_env("LOADERBENCH_CACHE", a_file,
                                             lambda tmp, s: run_args(tmp, s))),
    ("LOADERBENCH_CACHE under /proc", with_env("LOADERBENCH_CACHE", lambda tmp: "/proc/x/c",
                                               lambda tmp, s: run_args(tmp, s))),
    ("data --root a file", lambda tmp, s: Setup(["data", "--rows", "64", "--root",
                                                 a_file(tmp)])),
    ("a preprocessing cache that is not JSON (rebuilt)", damaged_fit("{garbage")),
    ("a preprocessing cache of another shape (rebuilt)",
     damaged_fit('{"numeric": ["num_a"], "categorical": [], "impute": [0], "mean": [0], '
                 '"scale": [1], "vocab": {}}')),
    ("a generated dataset with a file deleted (rebuilt)", damaged_dataset(lambda p: p.unlink())),
    ("a generated dataset with a truncated file (rebuilt)",
     damaged_dataset(lambda p: p.write_bytes(p.read_bytes()[:100]))),
]

RESULTS = [
    ("report: not JSON", report_of("{not json")),
    ("report: empty file", report_of("")),
    ("report: JSON without schema_version", report_of('{"a": 1}')),
    ("report: newer schema", report_of(_set(("schema_version",), 99))),
    ("report: scenarios not a list", report_of(_set(("scenarios",), 3))),
    ("report: scenarios [1]", report_of(_set(("scenarios",), [1]))),
    ("report: null steps", report_of(first_scenario("steps", None))),
    ("report: null metrics", report_of(first_scenario("metrics", None))),
    ("report: null env", report_of(_set(("env",), None))),
    ("report: step times as strings", report_of(step_times_as_strings)),
    ("report: unknown status", report_of(first_scenario("status", "great"))),
]

CASES = [Case(group, what, build) for group, cases in (
    ("arguments", ARGS), ("--out", OUT), ("--resume", RESUME), ("suite", SUITE),
    ("data", DATA), ("cache", CACHE), ("result file", RESULTS)) for what, build in cases]
