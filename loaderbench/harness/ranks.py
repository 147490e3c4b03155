"""One scenario across ranks, each rank a process started by torchrun (torch.distributed.run).

    python -m torch.distributed.run --standalone --nproc-per-node N \\
        -m loaderbench.harness.ranks JOB.json RESULT.json

Every rank runs the ordinary worker (loader, step loop, checks) on its own share of the rows
(the loader's `shards_by_rank`), with backend gloo on CPU and nccl on CUDA (one GPU per rank,
`LOCAL_RANK`). The `mlp` step is wrapped in DistributedDataParallel, so gradients are
all-reduced each step as in real data-parallel training and a slow rank holds the others
back; `Join` lets ranks with fewer batches finish. The checks are judged over all ranks
(rank_checks.py). Rank 0 gathers every rank's result with a gloo collective and writes one
ScenarioResult whose steps carry their rank.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from loaderbench.harness.protocol import Job, read_request, write_reply
from loaderbench.results.records import RankRun, Ranks, Status
from loaderbench.results.schema import ScenarioResult, StepSamples


@dataclass(frozen=True)
class RankContext:
    """This process's place among the ranks, from torchrun's environment."""

    rank: int
    world_size: int
    local_rank: int
    backend: str
    group: Any = None  # gloo group for object collectives

    @classmethod
    def from_env(cls, device: str) -> RankContext:
        env = os.environ
        return cls(int(env.get("RANK", 0)), int(env.get("WORLD_SIZE", 1)),
                   int(env.get("LOCAL_RANK", 0)), "nccl" if device == "cuda" else "gloo")

    def wrap_step(self, step: Any) -> Any:
        """The mlp step's model in DistributedDataParallel; other steps as they are."""
        model = getattr(step, "model", None)
        if model is None:
            return step
        from torch.nn.parallel import DistributedDataParallel as DDP

        ids = [self.local_rank] if self.backend == "nccl" else None
        step.model = DDP(model, device_ids=ids)
        return step

    @contextlib.contextmanager
    def joined(self, step: Any) -> Iterator[None]:
        """All ranks start the loop together; DDP's Join covers ranks with fewer batches."""
        import torch.distributed as dist
        from torch.distributed.algorithms.join import Join

        dist.barrier(group=self.group)
        model = getattr(step, "model", None)
        with Join([model]) if hasattr(model, "join") else contextlib.nullcontext():
            yield


def start(device: str) -> RankContext:
    import torch
    import torch.distributed as dist

    ctx = RankContext.from_env(device)
    if ctx.backend == "nccl":
        torch.cuda.set_device(ctx.local_rank)
    dist.init_process_group(ctx.backend)
    group = dist.new_group(backend="gloo") if ctx.backend != "gloo" else dist.group.WORLD
    return RankContext(ctx.rank, ctx.world_size, ctx.local_rank, ctx.backend, group)


def merge_ranks(parts: list[dict[str, Any]], ctx: RankContext) -> ScenarioResult:
    """Rank 0's result with every rank's steps (rank column) and a per-rank summary."""
    results = [ScenarioResult.from_dict(p) for p in parts]
    first = results[0]
    steps = StepSamples.concat([replace(r.steps, rank=(i,) * len(r.steps))
                                for i, r in enumerate(results)])
    ranks = Ranks(ctx.world_size, ctx.backend, int(os.environ.get("GROUP_WORLD_SIZE", 1)),
                  tuple(rank_run(i, r) for i, r in enumerate(results)))
    out = first.with_(steps=steps, ranks=ranks)
    bad = next((r for r in results if r.status is Status.FAILED), None)
    if bad is not None and first.status is not Status.FAILED:
        out = out.with_(status=Status.FAILED, reason=f"rank {results.index(bad)}: {bad.reason}")
    return out


def rank_run(rank: int, r: ScenarioResult) -> RankRun:
    first = lambda values: values[0] if values else None  # noqa: E731 - one per repeat
    return RankRun(rank, r.status, r.reason, first(r.timing.setup_s), first(r.timing.loop_s),
                   first(r.resources.peak_rss_mib))


def main(argv: list[str] | None = None) -> int:
    import torch.distributed as dist

    from loaderbench.harness import worker

    args = sys.argv[1:] if argv is None else argv
    job = Job.from_dict(read_request(args[0]))
    ctx = start(job.scenario.device)
    result = worker.execute(job, ranks=ctx)
    parts: list[Any] = [None] * ctx.world_size
    dist.all_gather_object(parts, result.to_dict(), group=ctx.group)
    if ctx.rank == 0:
        merged = merge_ranks(parts, ctx)
        write_reply(args[1], merged.to_dict())
    dist.barrier(group=ctx.group)
    dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(main())
