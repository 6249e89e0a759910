"""Sampling N items across the processes of a ``torchrun``/``accelerate launch`` run.

Rank r of W draws the contiguous slice [⌊rN/W⌋, ⌊(r+1)N/W⌋) of the sample indices, and rank 0
gathers the slices in rank order. Because ``DiffusionGenerator`` keys every sample's noise by
its index (``PerSampleNoise``), the N samples are exactly those of one process, whatever W.
The gather goes through a gloo group on the CPU: it carries finished samples once, so it
needs no NCCL, and the same code runs on CPUs and GPUs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist
from torch import Tensor

from diffmm.models.generation import DiffusionGenerator


@dataclass(frozen=True)
class ProcessShard:
    rank: int = 0
    world_size: int = 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def indices(self, num_samples: int) -> range:
        """This rank's contiguous slice of 0 … num_samples − 1."""
        return range(
            self.rank * num_samples // self.world_size,
            (self.rank + 1) * num_samples // self.world_size,
        )


def join_launch() -> ProcessShard:
    """This process's place in the launch: joins (once) the gloo group that ``torchrun`` set
    up through RANK/WORLD_SIZE/MASTER_ADDR, or a single shard when run alone."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size == 1:
        return ProcessShard()
    if not dist.is_initialized():
        dist.init_process_group(backend="gloo")
    return ProcessShard(dist.get_rank(), dist.get_world_size())


def device_for_rank(device: str) -> str:
    """``cuda`` means this process's own GPU (LOCAL_RANK) when several share a machine."""
    if device == "cuda" and "LOCAL_RANK" in os.environ:
        return f"cuda:{os.environ['LOCAL_RANK']}"
    return device


def sample_sharded(
    generator: DiffusionGenerator, num_samples: int, shard: ProcessShard, **options: Any
) -> Tensor | None:
    """Samples 0 … num_samples − 1 of ``options["seed"]``, drawn ``shard.world_size`` ways:
    (num_samples, *data_shape) float32 on rank 0, None on the other ranks. ``options`` are
    ``DiffusionGenerator.sample``'s."""
    part = shard.indices(num_samples)
    if len(part):
        local = generator.sample(len(part), first_index=part.start, **options)
    else:  # more processes than samples
        local = torch.empty(0, *generator.data_shape)
    if shard.world_size == 1:
        return local
    parts: list[Tensor] | None = [torch.empty(0)] * shard.world_size if shard.is_main else None
    dist.gather_object(local, parts, dst=0)
    return torch.cat(parts) if shard.is_main else None


def leave_launch(shard: ProcessShard) -> None:
    """Tear the group down after the last collective (a rank that exits first would abort it)."""
    if shard.world_size > 1 and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
