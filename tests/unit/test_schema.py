"""Result files: every committed file prints the tables it printed before schema 2, metrics
come from the raw steps (a stored copy is only a tagged cache), and a damaged file is one
line naming the field and the value."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from dataclasses import replace
from functools import partial
from pathlib import Path

import pytest

from loaderbench.cli import main
from loaderbench.errors import UsageError
from loaderbench.results import store
from loaderbench.results.metrics import COUNTING_RULE
from loaderbench.results.records import Pinning, ValueCheck

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
GOLDEN = ROOT / "tests" / "golden"
COMMITTED = sorted(p for p in (ROOT / "results").glob("*.json")
                   if '"schema_version"' in p.read_text())  # not the bare env files


def printed(capsys, *argv: str) -> str:
    assert main(list(argv)) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("path", COMMITTED, ids=lambda p: p.stem)
def test_every_committed_file_prints_the_tables_it_printed_before(path, capsys):
    """Captured from schema-1 loaderbench before the change (tests/golden/results)."""
    golden = GOLDEN / "results"
    assert printed(capsys, "report", str(path)) == (golden / f"{path.stem}.report.txt").read_text()
    assert printed(capsys, "report", "--details", str(path)) == \
        (golden / f"{path.stem}.details.txt").read_text()


@pytest.mark.parametrize("name", ["h200-fed", "h200-fed-check", "h200-stream-16"])
def test_the_scaling_view_of_committed_files_is_unchanged(name, capsys):
    out = printed(capsys, "report", "--scaling", str(ROOT / "results" / f"{name}.json"))
    assert out == (GOLDEN / "results" / f"{name}.scaling.txt").read_text()


def test_compare_of_committed_files_is_unchanged(capsys):
    out = printed(capsys, "compare", str(ROOT / "results/h200-default.json"),
                  str(ROOT / "results/cpu-2core-default.json"), "--by", "name")
    assert out == (GOLDEN / "results" / "compare-default.txt").read_text()


def write(tmp_path: Path, data: dict, name: str = "r.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


def v2() -> dict:
    return json.loads((DATA / "v2-small.json").read_text())


def test_v1_and_v2_golden_files_hold_the_same_records(capsys):
    old, new = store.load(DATA / "v1-small.json"), store.load(DATA / "v2-small.json")
    assert old.schema_version == new.schema_version == 2
    assert old.scenarios == new.scenarios
    golden = (GOLDEN / "small-details.txt").read_text()
    for name in ("v1-small.json", "v2-small.json"):
        assert printed(capsys, "report", "--details", str(DATA / name)) == golden


def test_v1_phrases_become_typed_fields():
    run = store.load(DATA / "v1-small.json")
    by_name = {s.name.split()[0]: s for s in run.scenarios}
    assert by_name["gpu-preprocess"].transfer.pinning is Pinning.IN_LOADER
    assert by_name["gpu-preprocess"].metrics.h2d_gbps is None  # the loader copied, not us
    assert by_name["synthetic"].checks.covers_dataset is False
    assert by_name["rowwise"].checks.values is ValueCheck.OK
    assert by_name["rowwise"].checks.value_rows == 3
    assert by_name["sharded"].checks.duplicates == 200_000
    assert len(by_name["arrow-native"].timing.setup_s) == 2  # one per repeat, as stored


def test_stale_v1_metrics_are_ignored():
    """The small v1 file's steps were cut short: its stored metrics no longer fit them."""
    stored = json.loads((DATA / "v1-small.json").read_text())["scenarios"][0]["metrics"]
    derived = store.load(DATA / "v1-small.json").scenarios[0].metrics
    assert derived.counted_steps == 3 and stored["counted_steps"] == 3
    assert derived.steps_per_s == pytest.approx(stored["steps_per_s"])  # 4 steps: untouched
    arrow_stored = json.loads((DATA / "v1-small.json").read_text())["scenarios"][2]["metrics"]
    arrow = store.load(DATA / "v1-small.json").scenarios[2].metrics
    assert arrow.counted_steps < arrow_stored["counted_steps"]


def test_without_stored_metrics_the_tables_are_the_same(tmp_path, capsys):
    data = v2()
    for s in data["scenarios"]:
        del s["metrics"]
    path = write(tmp_path, data)
    assert printed(capsys, "report", "--details", str(path)) == \
        (GOLDEN / "small-details.txt").read_text()


def test_a_cache_of_another_counting_rule_is_ignored(tmp_path):
    data = v2()
    data["scenarios"][0]["metrics"].update(counting_rule=COUNTING_RULE - 1, steps_per_s=1e9)
    run = store.load(write(tmp_path, data))
    assert run.scenarios[0].metrics.steps_per_s == pytest.approx(0.752, rel=1e-3)


def test_a_cache_of_this_counting_rule_is_used(tmp_path):
    data = v2()
    data["scenarios"][0]["metrics"]["steps_per_s"] = 123.0
    assert store.load(write(tmp_path, data)).scenarios[0].metrics.steps_per_s == 123.0


def test_changed_records_derive_their_metrics_again():
    s = store.load(DATA / "v2-small.json").scenarios[0]
    halved = s.steps.__class__(**{**s.steps.__dict__,
                                  "wait_s": tuple(w * 2 for w in s.steps.wait_s)})
    assert s.with_(steps=halved).metrics.steps_per_s < s.metrics.steps_per_s


DAMAGE = [
    (("timing", "setup_s"), "x", "scenarios[0].timing.setup_s: expected a list, got 'x'"),
    (("timing", "setup_s"), ["x"], "scenarios[0].timing.setup_s[0]: expected a number"),
    (("transfer", "pinning"), "sideways", "scenarios[0].transfer.pinning: expected one of"),
    (("checks", "values"), 3, "scenarios[0].checks.values: expected one of"),
    (("checks", "epochs"), [{"epoch": 0}], "scenarios[0].checks.epochs[0].complete: missing"),
    (("steps", "rows"), [1], "scenarios[0].steps: steps.rows has 1 values for 4 steps"),
    (("status",), "weird", "scenarios[0].status: expected one of 'ok', 'skipped', 'failed'"),
    (("row_bytes",), True, "scenarios[0].row_bytes: expected an integer, got True"),
    (("resources",), [], "scenarios[0].resources: expected an object, got []"),
]


@pytest.mark.parametrize(("where", "value", "message"), DAMAGE)
def test_a_damaged_file_names_the_field_and_the_value(tmp_path, where, value, message):
    data = v2()
    target = data["scenarios"][0]
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = value
    with pytest.raises(UsageError, match="damaged result file") as err:
        store.load(write(tmp_path, data))
    assert message in str(err.value)


def test_a_damaged_v1_file_names_the_field(tmp_path):
    data = json.loads((DATA / "v1-small.json").read_text())
    data["scenarios"][1]["timing"]["loop_s"] = "soon"
    with pytest.raises(UsageError, match=r"scenarios\[1\].timing.loop_s\[0\]: expected a num"):
        store.load(write(tmp_path, data))


def test_a_damaged_file_is_one_line_and_exit_2(tmp_path, capsys):
    data = copy.deepcopy(v2())
    data["scenarios"][3]["transfer"]["non_blocking"] = "maybe"
    assert main(["report", str(write(tmp_path, data))]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "scenarios[3].transfer.non_blocking: expected true or false, got 'maybe'" in err


def test_reading_results_imports_neither_torch_nor_pyarrow():
    code = ("import sys; from loaderbench.results.store import load; "
            "from loaderbench.results.details import render_details; "
            f"render_details(load({str(DATA / 'v1-small.json')!r})); "
            "print(sorted(m for m in ('torch', 'pyarrow') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


def test_behaviour_follows_the_typed_fields_not_the_words():
    """The pinning enum decides whether a copy was timed by the harness; the mode's words
    (for people) decide nothing."""
    s = store.load(DATA / "v2-small.json").scenarios[4]  # synthetic, pageable, on cuda
    assert s.metrics.h2d_gbps is not None
    reworded = s.with_(transfer=replace(s.transfer, mode="n/a (the loader copies)"))
    assert reworded.metrics.h2d_gbps == s.metrics.h2d_gbps
    in_loader = s.with_(transfer=replace(s.transfer, pinning=Pinning.IN_LOADER, mode="pageable"))
    assert in_loader.metrics.h2d_gbps is None
    assert in_loader.transfer.describe("cuda") == "n/a (the loader copies)"


def leaves(node, path=()):
    """Every value's path in a JSON tree (lists: their first two items; steps: whole)."""
    if path:
        yield path
    if isinstance(node, dict) and path[-1:] != ("steps",):
        for key, value in node.items():
            yield from leaves(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node[:2]):
            yield from leaves(value, (*path, i))


@pytest.mark.slow
@pytest.mark.parametrize("name", ["v1-small.json", "v2-small.json"])
def test_any_one_damaged_value_loads_and_renders_or_is_one_clear_error(tmp_path, monkeypatch,
                                                                       name):
    """Each value replaced in turn by a wrong type: never a crash inside a table."""
    from loaderbench.results import stats
    from loaderbench.results.details import render_details
    from loaderbench.results.tables import render

    monkeypatch.setattr(stats, "bootstrap_ci", partial(stats.bootstrap_ci, resamples=10))
    original = json.loads((DATA / name).read_text())
    for path in leaves(original):
        for wrong in ("x", None):
            data = copy.deepcopy(original)
            target = data
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = wrong
            try:
                run = store.load(write(tmp_path, data))
            except UsageError:
                continue
            render(run)
            render_details(run)
