"""polars — polars reads each file and applies the fitted preprocessing as expressions.

Trade-off: no pandas and no sklearn at load time, and no code of ours per column either: the
imputation, scaling and category lookup are polars expressions (`fill_nan`/`fill_null`,
arithmetic, `replace_strict` against the fitted vocabulary), run by polars' Rust engine on
its own thread pool (POLARS_MAX_THREADS, all cores by default), over only the needed columns.
What a user gets by swapping pandas for polars, with the fitted state carried over. The price:
a file is the unit of work (one `scan_parquet(...).select(...).collect()` per file, so memory
grows with the file), one `to_numpy` copy of the features per file, and polars' thread pool
competes with the training step for the cores; batches are then cut from the file's rows
with `chunks.rebatch`, as in `vectorized`. Values equal the reference (same float64 formula,
then float32; null and unseen categories get the unknown code).

Options: `shuffle` none | permutation (rows within each file); `shuffle_files` shuffles the
file order each epoch; `drop_last`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from loaderbench.loaders._support.chunks import Chunk, rebatch
from loaderbench.loaders._support.orders import Salt, epoch_rng, shuffled
from loaderbench.loaders.base import Batch, Loader, LoaderOptions
from loaderbench.scenarios.preprocess import FittedState
from loaderbench.scenarios.source import plain_only


@dataclass(frozen=True)
class PolarsOptions(LoaderOptions):
    shuffle: Literal["none", "permutation"] = "none"
    shuffle_files: bool = False
    drop_last: bool = False


def feature_exprs(state: FittedState) -> list[Any]:
    """The fitted preprocessing as polars expressions, numeric columns then categorical."""
    import polars as pl

    out = []
    for column, fill, mean, scale in zip(state.numeric, state.impute, state.mean, state.scale,
                                         strict=True):
        value = pl.col(column).cast(pl.Float64).fill_nan(None).fill_null(fill)
        out.append(((value - mean) / scale).cast(pl.Float32))
    for column in state.categorical:
        words = list(state.vocab[column])
        unknown = len(words)
        out.append(pl.col(column).cast(pl.String)
                   .replace_strict(words, list(range(unknown)), default=unknown,
                                   return_dtype=pl.Float32)
                   .fill_null(unknown))
    return out


class PolarsLoader(Loader):
    name = "polars"
    Options = PolarsOptions
    options: PolarsOptions
    requires = ("polars",)
    extra = "peers"

    def setup(self) -> None:
        plain_only(self.context.source, self.name)
        self.exprs = feature_exprs(self.context.preprocessor.state)

    def file_chunk(self, path: Path, rng: np.random.Generator) -> Chunk:
        import polars as pl

        roles = self.context.source.roles
        frame = pl.scan_parquet(path).select(
            [*self.exprs, pl.col(roles.label).cast(pl.Int64), pl.col(roles.row_id).cast(pl.Int64)]
        ).collect()
        n_features = len(self.exprs)
        chunk = Chunk(frame[:, :n_features].to_numpy(order="c"),
                      frame[roles.label].to_numpy(), frame[roles.row_id].to_numpy())
        if self.options.shuffle == "permutation":
            chunk = chunk.take(rng.permutation(len(chunk)))
        return chunk

    def chunks(self, index: int) -> Iterator[Chunk]:
        ctx = self.context
        rng = epoch_rng(ctx.seed, index, Salt.ROWS)
        for path in shuffled(ctx.source.files, self.options.shuffle_files, ctx.seed, index):
            yield self.file_chunk(path, rng)

    def epoch(self, index: int) -> Iterator[Batch]:
        return rebatch(self.chunks(index), self.options.batch_size, self.options.drop_last)
