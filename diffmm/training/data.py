"""Resumable shuffling: the order of epoch e is a permutation drawn from ``seed + e`` alone.

Because the order does not depend on any global random state, a run resumed at batch b of
epoch e sees exactly the batches an uninterrupted run sees (the trainer skips the first b
batches). Accelerate shards the batches of this sampler across processes.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
from torch.utils.data import Sampler


class EpochShuffleSampler(Sampler[int]):
    """A fresh permutation of ``range(num_items)`` per epoch, drawn from ``seed + epoch``."""

    def __init__(self, num_items: int, seed: int) -> None:
        self.num_items = num_items
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __iter__(self) -> Iterator[int]:
        order_generator = torch.Generator().manual_seed(self.seed + self.epoch)
        return iter(torch.randperm(self.num_items, generator=order_generator).tolist())

    def __len__(self) -> int:
        return self.num_items
