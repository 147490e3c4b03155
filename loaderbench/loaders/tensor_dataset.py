"""tensor-dataset — TensorDataset + DataLoader over in-memory tensors (seed 001).

Trade-off: the same set-up as `manual-slice` (every row read and preprocessed once, timed
apart; the whole dataset in RAM), but batches come the standard way: the sampler draws
`batch_size` indices, `TensorDataset[i]` indexes each of the three tensors once per sample,
and `collate_fn` stacks the samples back into a batch. That is three tensor indexings and a
stack per row in Python, so it is far slower than slicing at large batch sizes, in exchange
for the DataLoader's interface: `shuffle`, `sampler`, `drop_last`, `collate_fn` and workers
(which split the indices, but each batch then crosses a process boundary, so on tensors
already in memory they rarely pay).
"""

from __future__ import annotations

from dataclasses import dataclass

from torch.utils.data import TensorDataset

from loaderbench.loaders._support.dataloader import (
    COLLATE,
    DataLoaderLoader,
    SampleOptions,
    make_dataloader,
    make_sampler,
)
from loaderbench.loaders._support.memory import read_tensors


@dataclass(frozen=True)
class TensorDatasetOptions(SampleOptions):
    batch_size: int = 4096


class TensorDatasetLoader(DataLoaderLoader):
    name = "tensor-dataset"
    Options = TensorDatasetOptions
    options: TensorDatasetOptions
    shards_by_rank = True

    def setup(self) -> None:
        opt, ctx = self.options, self.context
        data = read_tensors(ctx)
        self.sampler = make_sampler(opt, data.target.numpy(), ctx.seed)
        self.loader = make_dataloader(TensorDataset(*data), opt, ctx, self.pins_memory(),
                                      batch_size=opt.batch_size, shuffle=opt.shuffle,
                                      sampler=self.sampler, drop_last=opt.drop_last,
                                      collate_fn=COLLATE[opt.collate_fn])
