"""The loader registry: a plain dict of built-ins plus the entry-point group
``loaderbench.loaders`` for third-party loaders (``name = "package.module:LoaderClass"``).

Modules are imported only when a loader is asked for, so listing names stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from loaderbench.registry import entry_point_table, load

if TYPE_CHECKING:
    from loaderbench.loaders.base import Loader

ENTRY_POINT_GROUP = "loaderbench.loaders"

BUILTIN: dict[str, str] = {
    "rowwise": "loaderbench.loaders.rowwise:RowwiseLoader",
    "rowwise-map": "loaderbench.loaders.rowwise_map:RowwiseMapLoader",
    "vectorized": "loaderbench.loaders.vectorized:VectorizedLoader",
    "batched-map": "loaderbench.loaders.batched_map:BatchedMapLoader",
    "sharded": "loaderbench.loaders.sharded:ShardedLoader",
    "manual-slice": "loaderbench.loaders.manual_slice:ManualSliceLoader",
    "tensor-dataset": "loaderbench.loaders.tensor_dataset:TensorDatasetLoader",
    "synthetic": "loaderbench.loaders.synthetic:SyntheticLoader",
    "gpu-preprocess": "loaderbench.loaders.gpu_preprocess:GpuPreprocessLoader",
    "arrow-native": "loaderbench.loaders.arrow_native:ArrowNativeLoader",
    "hf-datasets": "loaderbench.loaders.hf_datasets:HfDatasetsLoader",
    "polars": "loaderbench.loaders.polars_reader:PolarsLoader",
    "torchdata-nodes": "loaderbench.loaders.torchdata_nodes:TorchdataNodesLoader",
    "arrow-shm": "loaderbench.loaders.arrow_shm:ArrowShmLoader",
}


def _plugins() -> dict[str, str]:
    return entry_point_table(ENTRY_POINT_GROUP)


def registry() -> dict[str, str]:
    """Every loader name and where it lives; built-ins win over a plugin of the same name."""
    return {**_plugins(), **BUILTIN}


def names() -> list[str]:
    return list(registry())


def get(name: str) -> type[Loader]:
    """The loader class registered under `name`; a UsageError names the known ones."""
    return load(name, registry(), "loader")
