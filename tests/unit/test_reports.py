"""Grid axes, who-wins-where normalisation, exports and the Markdown summary."""

from __future__ import annotations

import json

import pytest

from loaderbench.errors import UsageError
from loaderbench.results import export, normalize
from loaderbench.results.access import loader_colours, view
from loaderbench.results.grids import swept
from loaderbench.results.summary import markdown
from tests import report_runs


def test_grid_axes_are_found_with_their_curves():
    entries = view(report_runs.run(), "a").entries
    found = swept(entries)
    assert list(found) == ["num_workers"]  # batch_size never varies with all else equal
    (curve,) = found["num_workers"]
    assert curve.loader == "sharded"
    assert [p.x for p in curve.points] == [0, 2, 4]
    rates = [p.samples_per_s for p in curve.points]
    assert rates == sorted(rates)  # step time falls as 1 / (1 + workers) in the fixture
    assert all(p.ci and p.ci[0] <= p.samples_per_s <= p.ci[1] for p in curve.points)


def test_normalize_ranks_each_machine_on_its_own():
    slow, fast = view(report_runs.run(1.0), "slow"), view(report_runs.run(3.0), "fast")
    keys, ratios, ranks = normalize.relative([slow, fast], "vectorized", "name")
    arrow = ("arrow-native batch_size=100", "")
    # the same shape on both machines: arrow-native is ~10x vectorized and first on each
    assert ratios[0][arrow] == pytest.approx(ratios[1][arrow])
    assert ratios[0][arrow] > 5
    assert ranks[0][arrow] == ranks[1][arrow] == 1
    assert ("sharded sharding=none", "") in keys
    text = normalize.render([slow, fast], "vectorized", by="name")
    assert "#1" in text and "failed" in text
    assert "fast / slow" in text


def test_normalize_lists_environment_differences():
    a = view(report_runs.run(cpu="CPU A", cores=2), "a")
    b = view(report_runs.run(cpu="CPU B", cores=16), "b")
    lines = normalize.env_differences([a, b])
    assert any(line.strip().startswith("cpu: a: CPU A; b: CPU B") for line in lines)
    assert any("cores_logical" in line for line in lines)
    assert not any("torch" in line for line in lines)


def test_normalize_to_a_loader_that_did_not_run_is_a_usage_error():
    with pytest.raises(UsageError, match="no ok 'rowwise' scenario"):
        normalize.render([view(report_runs.run(), "a")], "rowwise")


def test_pytest_benchmark_stats_match_pytest_benchmarks_own():
    from pytest_benchmark.stats import Stats

    for data in ([0.3, 0.1, 0.2], [0.5, 0.1, 0.4, 0.2], [1.0, 2.0, 4.0, 8.0, 3.0], [0.2],
                 [0.1 * (i % 7) + 0.01 for i in range(23)]):
        ours = export.step_stats(data)
        theirs = Stats()
        for x in data:
            theirs.update(x)
        for name, value in theirs.as_dict().items():
            assert ours[name] == pytest.approx(value), name


def test_pytest_benchmark_export_has_one_benchmark_per_ok_scenario():
    out = export.pytest_benchmark(view(report_runs.run(), "a"))
    names = [b["name"] for b in out["benchmarks"]]
    assert len(names) == 5 and "sharded sharding=none [cpu]" not in names
    assert all(b["stats"]["rounds"] == 19 for b in out["benchmarks"])  # warm-up step left out


def test_github_action_benchmark_lists_carry_ranges():
    run = view(report_runs.run(), "a")
    bigger = json.loads(export.export_json(run, "github-action-benchmark"))
    smaller = json.loads(export.export_json(run, "github-action-benchmark-time"))
    assert {b["unit"] for b in bigger} == {"samples/s"}
    assert {s["unit"] for s in smaller} == {"ms/step"}
    assert all(item["range"].startswith("± ") for item in bigger + smaller)
    assert len(bigger) == len(smaller) == 5


def test_markdown_summary_has_table_and_gate_verdicts():
    base, cur = view(report_runs.run(1.0), "base"), view(report_runs.run(0.5), "cur")
    text = markdown(cur, base, threshold=0.1)
    assert text.startswith("## loaderbench: cur")
    assert "gate: REGRESSION" in text  # twice as slow, and a failed scenario
    assert "| arrow-native batch_size=100" in text
    assert "SLOWER" in text
    assert "gate" not in markdown(cur).lower()


def test_loader_colours_are_stable_and_distinct():
    names = ["rowwise", "vectorized", "sharded", "arrow-native", "synthetic", "manual-slice"]
    first, second = loader_colours(names), loader_colours(reversed(names))
    assert first == second
    assert len(set(first.values())) == len(names)
    assert loader_colours(["vectorized"])["vectorized"] == first["vectorized"]
