"""torchdata-nodes — the `vectorized` pipeline written as a graph of `torchdata.nodes`.

Trade-off: the same work as `vectorized` (each Parquet row group to pandas, sklearn's scaler
on the whole chunk, `map` encoding), spread by `ParallelMapper` over `num_workers` threads or
processes, which is what torchdata.nodes offers over a DataLoader: the parallelism is chosen
per node, and threads share memory with no copy of the batches. Threads pay off only as far
as the work releases the GIL (PyArrow's decoding, numpy's arithmetic do; pandas' per-cell
category mapping does not); processes escape the GIL but pickle every chunk back through a
queue and start afresh each epoch. Each epoch also pays the graph's start-up: the mapper's
threads or processes, and a 10 ms sleep inside `ParallelMapper`'s start.

The graph, one epoch:

    IterableWrapper(row groups, in the epoch's file order)   the reader: (file, row group)
    -> ParallelMapper(read + preprocess, thread | process)     one Chunk per row group, in order
       (Mapper, inline, when num_workers = 0)
    -> Rebatch                                                 exact batch_size rows
    -> PinMemory (target cuda and pin_memory)                  a thread pins each batch
    -> Prefetcher(prefetch_factor)                             a thread keeps batches ready
    -> Loader

`torchdata.nodes.Batcher` is not in it: it gathers `batch_size` items into a list, so with a
row per item it would put a Python object per row back into a vectorized pipeline. Chunks
of rows are cut into exact batches by `Rebatch`, a small BaseNode around the
`chunks.rebatch` that `vectorized` uses.

Noticed: each torchdata worker thread (and its PinMemory thread) calls
`torch.set_num_threads(1)`. Torch keeps the count per thread, but the call also writes the
process-wide default that a thread takes on its first parallel op (`lazy_init_num_threads`),
so a training loop whose first op comes after the loader's threads started runs on one
thread: the main thread read 1 after a thread-mode epoch here. Through the harness on 2 busy
cores the `mlp` step then ran ~4x faster behind thread mode than behind process mode (p50
156 vs 596 ms; one thread oversubscribes less), crediting the loader with a change to the
model. So by default (`torch_threads = "keep"`) the loader sets the consumer's thread count
again before it hands out each batch (~0.2 us); `torch_threads = "library"` leaves it. With
`keep` the gap narrowed (270 vs 671 ms) but did not close: the rest is not explained yet.

Options: `num_workers` mapper threads or processes (0: inline `Mapper`); `method` thread |
process; `prefetch_factor` batches the Prefetcher holds; `pin_memory` (cuda only);
`shuffle_files` shuffles the row groups' files each epoch; `columns` needed | all;
`drop_last`; `torch_threads` keep | library (above).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import torch

from loaderbench.loaders._support.chunks import Chunk, frame_chunk, rebatch
from loaderbench.loaders._support.orders import shuffled
from loaderbench.loaders.base import Batch, Loader, LoaderContext, LoaderOptions
from loaderbench.loaders.options import option
from loaderbench.scenarios.rows import read_file

Piece = tuple[str, int]


@dataclass(frozen=True)
class TorchdataNodesOptions(LoaderOptions):
    num_workers: int = option(2, minimum=0, help="mapper threads or processes; 0: inline")
    method: Literal["thread", "process"] = "thread"
    prefetch_factor: int = option(2, minimum=1, help="batches the Prefetcher keeps ready")
    pin_memory: bool = False
    shuffle_files: bool = False
    columns: Literal["needed", "all"] = "needed"
    drop_last: bool = False
    torch_threads: Literal["keep", "library"] = "keep"


class ReadPiece:
    """The mapper's function: one row group of one file, read and preprocessed to a Chunk.
    A plain picklable object, so process workers can receive it."""

    def __init__(self, context: LoaderContext, columns: list[str] | None) -> None:
        self.context, self.columns = context, columns

    def __call__(self, piece: Piece) -> Chunk:
        path, group = piece
        source = self.context.source
        table = read_file(source, source.file_index[path], self.columns is None, [group])
        return frame_chunk(self.context, table.to_pandas())


def row_groups(files: list[Path]) -> dict[Path, int]:
    import pyarrow.parquet as pq

    out = {}
    for path in files:
        with pq.ParquetFile(path) as handle:
            out[path] = handle.metadata.num_row_groups
    return out


def rebatch_node(source: Any, batch_size: int, drop_last: bool) -> Any:
    """A BaseNode yielding exact batches from the Chunks of `source` (built per epoch)."""
    import torchdata.nodes as tn

    class Rebatch(tn.BaseNode[Batch]):
        def __init__(self) -> None:
            super().__init__()
            self.source = source
            self._it: Iterator[Batch] | None = None

        def reset(self, initial_state: dict | None = None) -> None:
            super().reset(initial_state)
            self.source.reset()
            self._it = rebatch(_drain(self.source), batch_size, drop_last)

        def next(self) -> Batch:
            assert self._it is not None
            return next(self._it)

        def get_state(self) -> dict:
            return {}

    return Rebatch()


def keep_torch_threads(batches: Iterator[Batch], threads: int) -> Iterator[Batch]:
    """Set the consumer's torch thread count again before each batch is handed out (the worker
    threads' `torch.set_num_threads(1)` may have reached it)."""
    for batch in batches:
        torch.set_num_threads(threads)
        yield batch


def _drain(node: Any) -> Iterator[Chunk]:
    while True:
        try:
            yield node.next()
        except StopIteration:
            return


class TorchdataNodesLoader(Loader):
    name = "torchdata-nodes"
    Options = TorchdataNodesOptions
    options: TorchdataNodesOptions
    requires = ("torchdata",)
    extra = "peers"

    def setup(self) -> None:
        self.groups = row_groups(list(self.context.source.files))
        needed = list(self.context.source.roles.needed)
        self.read = ReadPiece(self.context, needed if self.options.columns == "needed" else None)
        if self.options.method == "process" and self.options.num_workers:
            self.context.preprocessor.warm()
        self.loader: Any = None

    def pieces(self, index: int) -> list[Piece]:
        ctx = self.context
        files = shuffled(ctx.source.files, self.options.shuffle_files, ctx.seed, index)
        return [(str(f), g) for f in files for g in range(self.groups[f])]

    def graph(self, index: int) -> Any:
        import torchdata.nodes as tn

        opt = self.options
        node: Any = tn.IterableWrapper(self.pieces(index))
        if opt.num_workers:
            node = tn.ParallelMapper(node, self.read, num_workers=opt.num_workers,
                                     in_order=True, method=opt.method)
        else:
            node = tn.Mapper(node, self.read)
        node = rebatch_node(node, opt.batch_size, opt.drop_last)
        if self.pins_memory():
            node = tn.PinMemory(node)
        return tn.Loader(tn.Prefetcher(node, prefetch_factor=opt.prefetch_factor))

    def epoch(self, index: int) -> Iterator[Batch]:
        self.close()
        self.loader = self.graph(index)
        if self.options.torch_threads == "library" or self.options.method == "process":
            return iter(self.loader)
        return keep_torch_threads(iter(self.loader), torch.get_num_threads())

    def close(self) -> None:
        """Stop the graph's threads and processes (they would stop when collected)."""
        loader, self.loader = getattr(self, "loader", None), None
        iterator = getattr(loader, "_it", None)
        if iterator is not None:
            _shutdown(iterator.root)


def _shutdown(node: Any) -> None:
    """Walk the graph from its root down and stop every node's background iterator."""
    while node is not None:
        inner = getattr(node, "_it", None)
        for target in (inner, getattr(inner, "_it", None)):
            stop = getattr(target, "_shutdown", None)
            if stop is not None:
                stop()
        node = getattr(node, "source", None)
