"""gpu-preprocess — raw columns to the device; impute, scale and encode there (beyond the seeds).

Trade-off: the host does the least work any loader can do: PyArrow reads only the needed
columns, categoricals stay Arrow dictionaries, and per chunk the host builds one small lookup
table per column (dictionary value -> code, not per row). Raw numerics, int32 dictionary
indices, targets and row ids are copied to the device in one pinned transfer per chunk; the
device then imputes NaNs, standardises, gathers codes through the lookup tables and assembles
the float32 feature matrix (impute and scale in float64, as the reference does: a year minus
its mean in float32 loses the digits that matter). Raw numerics travel as float32, or as
float64 when a column's values sit far from zero relative to their spread (|mean| > 100 x
scale: a year, a timestamp), where float32 rounding would survive the scaling. This moves
per-row arithmetic off the CPU, which pays when the host is the bottleneck and the device
has idle time; on a CPU target it runs the same torch ops on the host (useful for checking
values, not a fast path). The copy to the device happens inside the loader, so the harness's
transfer time is ~0 and the data wait includes the copy and the
device's preprocessing. Runs in the main process: CUDA work must not start in DataLoader workers.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch

from loaderbench.loaders._support.batching import tensor_batches
from loaderbench.loaders._support.orders import Salt, epoch_seed, shuffled
from loaderbench.loaders.base import Batch, Loader, LoaderOptions
from loaderbench.loaders.options import option
from loaderbench.scenarios.rows import column_numpy, scan_fragments


@dataclass(frozen=True)
class GpuPreprocessOptions(LoaderOptions):
    chunk_rows: int = option(65_536, minimum=1, help="rows per record batch")
    shuffle: Literal["none", "permutation"] = "none"
    shuffle_files: bool = False
    pin_memory: bool = True
    use_threads: bool = True
    drop_last: bool = False


FLOAT32_OFFSET = 100.0


class DeviceTables:
    """The fitted state as device tensors, built once."""

    def __init__(self, pre, device: torch.device) -> None:
        state = pre.state
        self.impute = torch.tensor(state.impute, dtype=torch.float64, device=device)
        self.mean = torch.tensor(state.mean, dtype=torch.float64, device=device)
        self.inv_scale = 1.0 / torch.tensor(state.scale, dtype=torch.float64, device=device)
        self.unknown = [pre.unknown_code(c) for c in state.categorical]
        offsets = np.abs(np.asarray(state.mean)) / np.maximum(np.asarray(state.scale), 1e-300)
        #: float64 when float32 would round away digits that survive scaling
        self.raw = np.float64 if (offsets > FLOAT32_OFFSET).any() else np.float32


def dictionary_codes(pre, column: str, chunked) -> tuple[np.ndarray, np.ndarray]:
    """(indices int32 with -1 for null, lookup table int32) for one dictionary column."""
    import pyarrow as pa

    array = chunked.combine_chunks() if isinstance(chunked, pa.ChunkedArray) else chunked
    if not pa.types.is_dictionary(array.type):
        array = array.dictionary_encode()
    lookup = pre.class_to_idx[column]
    unknown = pre.unknown_code(column)
    words = array.dictionary.to_pylist()
    table = np.fromiter((lookup.get(w, unknown) for w in words), dtype=np.int32, count=len(words))
    indices = array.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int32)
    return indices, table


class GpuPreprocessLoader(Loader):
    name = "gpu-preprocess"
    Options = GpuPreprocessOptions
    yields_on_device = True

    def setup(self) -> None:
        self.device = torch.device(self.context.device)
        self.tables = DeviceTables(self.context.preprocessor, self.device)

    def _host_chunk(self, record_batch) -> dict[str, torch.Tensor]:
        """Raw numerics (float32, NaN kept), dictionary indices and lookup tables, on the host."""
        pre, roles = self.context.preprocessor, self.context.source.roles
        n = record_batch.num_rows
        numeric = np.empty((n, len(roles.numeric)), dtype=self.tables.raw)
        for j, c in enumerate(roles.numeric):
            numeric[:, j] = record_batch.column(c).to_numpy(zero_copy_only=False)
        target = self.context.source.target.dtype
        out = {"numeric": torch.from_numpy(numeric),
               "target": torch.from_numpy(column_numpy(record_batch.column(roles.label), target,
                                                       copy=True)),
               "row_id": torch.from_numpy(column_numpy(record_batch.column(roles.row_id),
                                                       np.int64, copy=True))}
        for j, column in enumerate(roles.categorical):
            indices, table = dictionary_codes(pre, column, record_batch.column(column))
            out[f"idx{j}"], out[f"lut{j}"] = torch.from_numpy(indices), torch.from_numpy(table)
        return out

    def _to_device(self, host: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        pin = self.pins_memory()
        return {k: (v.pin_memory() if pin else v).to(self.device, non_blocking=pin)
                for k, v in host.items()}

    def _features(self, dev: dict[str, torch.Tensor]) -> torch.Tensor:
        """Impute, standardise and encode on the device: float32 [n, F]."""
        t = self.tables
        num = dev["numeric"].double()  # float32 - mean in float32 cancels: 2008 - 2008.03
        num = torch.where(torch.isnan(num), t.impute, num)
        num = ((num - t.mean) * t.inv_scale).float()
        codes = []
        for j, unknown in enumerate(t.unknown):
            idx = dev[f"idx{j}"].long()
            lut = torch.cat([dev[f"lut{j}"], torch.tensor([unknown], dtype=torch.int32,
                                                          device=self.device)])
            codes.append(lut[torch.where(idx < 0, len(lut) - 1, idx)])
        parts = [num] + ([torch.stack(codes, dim=1).float()] if codes else [])
        return torch.cat(parts, dim=1)

    def _chunks(self, epoch: int) -> Iterator[Batch]:
        import pyarrow.dataset as ds
        import pyarrow.fs as pafs

        ctx, opt = self.context, self.options
        roles = ctx.source.roles
        fmt = ds.ParquetFileFormat(read_options={"dictionary_columns": [
            c for c in roles.categorical if c not in roles.partition]})
        files = shuffled(ctx.source.files, opt.shuffle_files, ctx.seed, epoch)
        fs = pafs.LocalFileSystem()
        fragments = [fmt.make_fragment(str(f), fs) for f in files]
        gen = torch.Generator(device=self.device).manual_seed(
            epoch_seed(ctx.seed, epoch, Salt.DEVICE))
        for record_batch in scan_fragments(ctx.source, fragments, fmt, opt.chunk_rows,
                                           opt.use_threads):
            dev = self._to_device(self._host_chunk(record_batch))
            batch = Batch(self._features(dev), dev["target"], dev["row_id"])
            if opt.shuffle == "permutation":
                order = torch.randperm(batch.rows, generator=gen, device=self.device)
                batch = Batch(*(t[order] for t in batch))
            yield batch

    def epoch(self, index: int) -> Iterator[Batch]:
        return tensor_batches(self._chunks(index), self.options.batch_size,
                              self.options.drop_last)
