"""Scratch buffers advised onto 2 MiB pages: same tensor semantics, advice reaching the kernel."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from diffmm.nn.huge_pages import HUGE_PAGE, MIN_HUGE_BYTES, empty_huge, libc_madvise

pytestmark = pytest.mark.nn
THP_MODE = Path("/sys/kernel/mm/transparent_hugepage/enabled")
# above glibc's largest mmap threshold (32 MiB), so that each buffer is a fresh mapping and not
# heap memory that an earlier, advised buffer left behind
FRESH_MAPPING_BYTES = 40 << 20


def mapping_of(address: int) -> dict[str, str]:
    """The /proc/self/smaps fields of the mapping that holds ``address``."""
    fields: dict[str, str] = {}
    inside = False
    for line in Path("/proc/self/smaps").read_text().splitlines():
        head = line.split()[0]
        if "-" in head and ":" not in head:  # a mapping's first line: start-end perms ...
            start, end = (int(part, 16) for part in head.split("-"))
            if inside:
                break
            inside = start <= address < end
        elif inside:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    return fields


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_large_buffer_is_an_aligned_writable_contiguous_tensor(dtype):
    shape = (3, MIN_HUGE_BYTES // (3 * dtype.itemsize) + 5)
    out = empty_huge(shape, dtype, torch.device("cpu"))
    assert out.shape == shape and out.dtype == dtype and out.is_contiguous()
    if libc_madvise() is not None:
        assert out.data_ptr() % HUGE_PAGE == 0
    out.fill_(1.5)
    assert bool((out == 1.5).all())


def test_small_buffer_is_a_plain_empty():
    out = empty_huge((7, 5), torch.float32, torch.device("cpu"))
    assert out.shape == (7, 5) and out.untyped_storage().nbytes() == 7 * 5 * 4


@pytest.mark.skipif(
    libc_madvise() is None or not THP_MODE.exists() or "[never]" in THP_MODE.read_text(),
    reason="no transparent huge pages on this machine",
)
def test_the_kernel_marks_the_buffer_eligible_for_huge_pages():
    out = empty_huge((FRESH_MAPPING_BYTES,), torch.uint8, torch.device("cpu"))
    assert mapping_of(out.data_ptr()).get("THPeligible") == "1"
    plain = torch.empty(FRESH_MAPPING_BYTES, dtype=torch.uint8)
    if "[madvise]" in THP_MODE.read_text():  # only advised mappings qualify in this mode
        assert mapping_of(plain.data_ptr()).get("THPeligible") == "0"
