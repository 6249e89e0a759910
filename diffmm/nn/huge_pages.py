"""Large CPU scratch buffers that the kernel is asked to back with 2 MiB pages.

The first write to each fresh 4 KiB page of a large allocation is a page fault. Vocoding one
second of audio in float32 allocates a 338 MB conditioner cache and ≈ 34 MB of block buffers
per network call, about 135,000 faults a call. Measured on this project's 2-core machine,
filling 354 MB of fresh memory took 104–108 ms with 4 KiB pages and 42–58 ms with
``madvise(MADV_HUGEPAGE)`` (warm memory: 24–28 ms). The advice only changes which pages back the
buffer, never its values. Where free 2 MiB pages are scarce, the kernel compacts memory on the
first touch or falls back to 4 KiB pages, as its ``transparent_hugepage/defrag`` setting says.
The advice is skipped where it cannot apply: off Linux, off the CPU, for small buffers, or when
the kernel refuses it (transparent huge pages set to ``never``).
"""

from __future__ import annotations

import ctypes
import functools
import math
import sys
from collections.abc import Callable

import torch
from torch import Tensor

HUGE_PAGE = 2 << 20  # bytes: the x86-64 and arm64 transparent huge page
MADV_HUGEPAGE = 14  # <asm-generic/mman-common.h>
MIN_HUGE_BYTES = 4 * HUGE_PAGE  # each buffer carries 2 MiB of alignment slack: keep it a fraction


@functools.cache
def libc_madvise() -> Callable[[int, int, int], int] | None:
    """``madvise(2)`` from the C library, or None where there is none to call."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        madvise = ctypes.CDLL(None, use_errno=True).madvise
    except (OSError, AttributeError):
        return None
    madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    madvise.restype = ctypes.c_int
    return madvise


def empty_huge(shape: tuple[int, ...], dtype: torch.dtype, device: torch.device) -> Tensor:
    """``torch.empty(shape)``, contiguous, starting on a 2 MiB boundary and advised to be
    backed by huge pages when it is a large CPU buffer; a plain ``torch.empty`` otherwise."""
    nbytes = math.prod(shape) * dtype.itemsize
    madvise = libc_madvise()
    if torch.device(device).type != "cpu" or madvise is None or nbytes < MIN_HUGE_BYTES:
        return torch.empty(shape, dtype=dtype, device=device)
    raw = torch.empty(nbytes + HUGE_PAGE, dtype=torch.uint8)
    start = -raw.data_ptr() % HUGE_PAGE
    advised = nbytes // HUGE_PAGE * HUGE_PAGE
    madvise(raw.data_ptr() + start, advised, MADV_HUGEPAGE)  # a refusal leaves 4 KiB pages
    return raw[start : start + nbytes].view(dtype).view(shape)
