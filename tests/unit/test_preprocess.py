from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from loaderbench.scenarios.preprocess import Preprocessor


def frame(source, n=400):
    return pq.read_table(source.files[0]).slice(0, n).to_pandas()


def test_map_and_apply_give_identical_codes(tiny_source, tiny_pre):
    df = frame(tiny_source)
    assert np.array_equal(tiny_pre.encode(df, "map"), tiny_pre.encode(df, "apply"))


def test_null_and_unseen_share_the_explicit_code(tiny_pre):
    column = tiny_pre.state.categorical[0]
    known = tiny_pre.state.vocab[column][0]
    df = pd.DataFrame({c: [known, None, "never-seen"] for c in tiny_pre.state.categorical})
    unknown = tiny_pre.unknown_code(column)
    for how in ("map", "apply"):
        codes = tiny_pre.encode(df, how)[:, 0]
        assert codes.tolist() == [0, unknown, unknown]


def test_codes_follow_sorted_classes(tiny_pre):
    for column, classes in tiny_pre.state.vocab.items():
        assert list(classes) == sorted(classes)
        assert tiny_pre.class_to_idx[column][classes[-1]] == len(classes) - 1


def test_numeric_is_imputed_and_scaled_float32(tiny_source, tiny_pre):
    df = frame(tiny_source, 3000)
    out = tiny_pre.numeric(df)
    assert out.dtype == np.float32 and not np.isnan(out).any()
    assert np.allclose(out.mean(axis=0), 0, atol=0.15)
    assert np.allclose(out.std(axis=0), 1, atol=0.15)


def test_json_round_trip_gives_identical_features(tiny_source, tiny_pre, tmp_path):
    tiny_pre.save(tmp_path / "fit.json")
    loaded = Preprocessor.load(tmp_path / "fit.json")
    df = frame(tiny_source)
    assert np.array_equal(loaded.features(df), tiny_pre.features(df))


def test_one_row_equals_the_vectorized_rows(tiny_source, tiny_pre):
    df = frame(tiny_source, 50)
    whole = tiny_pre.features(df, "map")
    for i in (0, 17, 49):
        assert np.array_equal(tiny_pre.features(df.iloc[i : i + 1], "apply")[0], whole[i])
