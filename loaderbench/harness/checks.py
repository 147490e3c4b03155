"""Checks run on every scenario, outside the timed parts of each step.

contract  every batch: features float32 [B, F], target int64 [B], row_id int64 [B]
coverage  each complete epoch holds every row_id exactly once; duplicates and missing rows
          are counted per epoch. An epoch cut short by a step limit is checked for
          duplicates only and marked partial.
values    a fixed sample of rows (row_id % stride == 0) compared with the reference
          preprocessing (pandas + sklearn + map encoding) within float32 rounding.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from loaderbench.loaders.base import Batch
from loaderbench.scenarios.dataset import DataSource
from loaderbench.scenarios.preprocess import Preprocessor

VALUE_SAMPLE = 2000
RTOL = 1e-5
ATOL = 1e-5


@dataclass
class EpochCoverage:
    epoch: int
    complete: bool
    rows_seen: int
    duplicates: int
    missing: int | None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def contract_error(batch: Batch, n_features: int) -> str | None:
    """What is wrong with this batch's shapes and dtypes, or None."""
    if not isinstance(batch, tuple) or len(batch) != 3:
        return f"a loader must yield Batch(features, target, row_id), got {type(batch).__name__}"
    f, t, r = batch
    if not all(isinstance(x, torch.Tensor) for x in batch):
        return "Batch fields must be torch tensors"
    if f.dtype != torch.float32 or f.dim() != 2 or f.shape[1] != n_features:
        return f"features must be float32 [B, {n_features}], got {f.dtype} {list(f.shape)}"
    if t.dtype != torch.int64 or t.dim() != 1 or r.dtype != torch.int64 or r.dim() != 1:
        return f"target and row_id must be int64 [B], got {t.dtype} {list(t.shape)}, " \
               f"{r.dtype} {list(r.shape)}"
    if not f.shape[0] == t.shape[0] == r.shape[0] or f.shape[0] == 0:
        return f"batch parts disagree on B or are empty: {f.shape[0]}, {t.shape[0]}, {r.shape[0]}"
    return None


@dataclass
class Checker:
    """Collects what each batch shows and judges it at the end of each epoch and run."""

    source: DataSource
    preprocessor: Preprocessor
    covers_dataset: bool = True
    allowed_missing: int = 0
    check_values: bool = True
    contract: str | None = None
    epochs: list[EpochCoverage] = field(default_factory=list)
    _ids: list[np.ndarray] = field(default_factory=list)
    _samples: dict[int, tuple[np.ndarray, int]] = field(default_factory=dict)

    @property
    def stride(self) -> int:
        return max(1, self.source.rows // VALUE_SAMPLE)

    def observe(self, batch: Batch) -> None:
        """Record one batch (on any device); called outside the timed step."""
        if self.contract is None:
            self.contract = contract_error(batch, self.preprocessor.n_features)
        if self.contract is not None:
            return
        # A copy: a loader may reuse the batch's buffers once the consumer moves on.
        ids = batch.row_id.cpu().numpy().copy()
        if ids.min() < 0 or ids.max() >= self.source.rows:
            self.contract = (f"row_id out of range 0..{self.source.rows - 1}: "
                             f"{ids.min()}..{ids.max()}")
            return
        self._ids.append(ids)
        if self.check_values:
            self._sample_values(batch, ids)

    def _sample_values(self, batch: Batch, ids: np.ndarray) -> None:
        picked = np.flatnonzero(ids % self.stride == 0)
        if not len(picked):
            return
        rows = torch.from_numpy(picked)
        feats = batch.features[rows.to(batch.features.device)].cpu().numpy()
        targets = batch.target[rows.to(batch.target.device)].cpu().numpy()
        for k, i in enumerate(picked):
            self._samples.setdefault(int(ids[i]), (feats[k], int(targets[k])))

    def end_epoch(self, epoch: int, complete: bool) -> None:
        ids = np.concatenate(self._ids) if self._ids else np.zeros(0, dtype=np.int64)
        self._ids = []
        if not self.covers_dataset:
            return
        counts = np.bincount(ids, minlength=self.source.rows) if len(ids) else np.zeros(1)
        duplicates = int((counts[counts > 1] - 1).sum())
        missing = int((counts[: self.source.rows] == 0).sum()) if complete else None
        self.epochs.append(EpochCoverage(epoch, complete, len(ids), duplicates, missing))

    def verdict(self) -> tuple[dict[str, Any], str | None]:
        """The checks' record for the result, and a failure reason if any check failed."""
        values, value_error = self._values_verdict()
        out: dict[str, Any] = {"contract": self.contract or "ok", "values": values}
        out.update(self._coverage_summary())
        out["epochs"] = [e.to_dict() for e in self.epochs]
        return out, self.contract or self._coverage_error(out) or value_error

    def _coverage_summary(self) -> dict[str, Any]:
        if not self.covers_dataset:
            return {"coverage": "n/a (does not read the dataset)", "duplicates": None,
                    "missing": None}
        complete = [e for e in self.epochs if e.complete]
        partial = any(not e.complete for e in self.epochs)
        missing = sum(e.missing or 0 for e in complete) if complete else None
        coverage = "exact" if complete else "partial epoch"
        if complete and partial:
            coverage = "exact + partial epoch"
        return {"coverage": coverage, "partial": partial,
                "duplicates": sum(e.duplicates for e in self.epochs), "missing": missing,
                "allowed_missing": self.allowed_missing}

    def _coverage_error(self, out: dict[str, Any]) -> str | None:
        if out.get("duplicates"):
            return (f"coverage: {out['duplicates']:,} duplicate rows "
                    f"(over {len(self.epochs)} epoch(s); each row should come once per epoch)")
        over = [e for e in self.epochs if e.complete and (e.missing or 0) > self.allowed_missing]
        if over:
            return (f"coverage: {over[0].missing:,} rows missing from epoch {over[0].epoch} "
                    f"(allowed {self.allowed_missing})")
        return None

    def _values_verdict(self) -> tuple[str, str | None]:
        if not self.check_values:
            return "skipped (--no-check)", None
        if self.contract is not None or not self._samples:
            return "not checked (no sampled rows)", None
        ids = np.array(sorted(self._samples), dtype=np.int64)
        ref_x, ref_y = reference_rows(self.source, self.preprocessor, ids)
        got_x = np.stack([self._samples[int(i)][0] for i in ids])
        got_y = np.array([self._samples[int(i)][1] for i in ids])
        bad_x = ~np.isclose(got_x, ref_x, rtol=RTOL, atol=ATOL).all(axis=1)
        bad = bad_x | (got_y != ref_y)
        if not bad.any():
            return f"ok ({len(ids):,} rows)", None
        first = int(np.flatnonzero(bad)[0])
        diff = float(np.abs(got_x[first] - ref_x[first]).max())
        return "mismatch", (f"values: {int(bad.sum()):,} of {len(ids):,} sampled rows differ from "
                            f"the reference (row_id {ids[first]}: max |diff| {diff:.3g}, "
                            f"target {got_y[first]} vs {ref_y[first]})")


def reference_rows(source: DataSource, pre: Preprocessor,
                   ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The reference features and targets of `ids`, in the order of `ids` (sorted)."""
    import pyarrow.compute as pc
    import pyarrow.dataset as ds

    roles = source.roles
    table = ds.dataset(list(map(str, source.files)), format="parquet").to_table(
        columns=list(roles.needed), filter=pc.field(roles.row_id).isin(ids))
    frame = table.to_pandas().sort_values(roles.row_id, kind="stable")
    frame = frame.drop_duplicates(roles.row_id).reset_index(drop=True)
    if len(frame) != len(ids) or not np.array_equal(frame[roles.row_id].to_numpy(), ids):
        raise ValueError("reference read did not return every sampled row_id once")
    return pre.features(frame, "map"), frame[roles.label].to_numpy(dtype=np.int64)
