"""The preprocessing's fit sample: row groups from every file, a settable size, and the
unknown rate of each categorical column recorded."""

from __future__ import annotations

from loaderbench.scenarios.preprocess import Preprocessor, describe_fit, pick_groups


def test_every_file_gives_a_row_group_even_to_a_small_sample(tiny_source):
    picked = pick_groups(tiny_source, 10, seed=0)
    assert sorted(picked) == list(range(len(tiny_source.files)))
    assert all(len(groups) == 1 for groups in picked.values())


def test_a_larger_sample_takes_more_groups_round_robin(tiny_source):
    picked = pick_groups(tiny_source, 2000, seed=0)
    rows = sum(tiny_source.row_groups[f][g] for f, gs in picked.items() for g in gs)
    assert rows >= 2000
    assert max(len(gs) for gs in picked.values()) - min(len(gs) for gs in picked.values()) <= 1


def test_fit_size_is_settable_and_unknown_rates_are_recorded(tiny_source):
    state = Preprocessor.fit(tiny_source, sample_rows=50).state
    assert state.sample_rows == 50
    assert set(state.unknown) == set(tiny_source.roles.categorical)
    rates = state.unknown["cat_02"]  # 24 values, long tail: 50 rows miss some
    assert rates["rows"] == tiny_source.rows
    assert 0 < rates["unseen"] < 1 and 0 < rates["null"] < 0.1
    assert "unknown code most often in: cat_0" in describe_fit(state)
