"""Progress: shown on a terminal only, silent with --quiet or when stderr is redirected, and
fed by every long phase (data generation, fitting, calibration, scenarios)."""

from __future__ import annotations

import sys

from loaderbench.harness import prepare as prepare_mod
from loaderbench.harness.progress import display
from loaderbench.scenarios.dataset import DatasetSpec


def test_no_display_when_quiet_or_not_a_terminal(monkeypatch):
    with display(quiet=True) as progress:
        assert progress is None
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False, raising=False)
    with display(quiet=False) as progress:
        assert progress is None


def test_display_on_a_terminal_takes_updates(monkeypatch):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    with display(quiet=False, show_after_s=0.0) as progress:
        assert progress is not None
        progress("generating the dataset", 1, 4)
        progress("calibrating", 0, 0)  # unknown length


def test_preparation_reports_each_phase():
    seen = []
    spec = DatasetSpec(rows=600, dates=1, files_per_date=3, numeric=2, categorical=2, filler=1,
                       row_group_size=100, seed=11)
    prepare_mod.prepare(spec, progress=lambda label, done, total: seen.append(
        (label.split(" (")[0], done, total)))
    files = [(d, t) for label, d, t in seen if label == "generating the dataset"]
    assert files == [(1, 3), (2, 3), (3, 3)]
    labels = [label for label, _, _ in seen]
    assert labels[0] == "looking for the dataset"
    assert labels[-1].startswith("fitting the preprocessing")  # the classes come with the data
    seen.clear()
    prepare_mod.prepare(spec, progress=lambda label, done, total: seen.append(label))
    assert not any(label.startswith(("generating", "fitting")) for label in seen)  # cached
