"""Lecture demo: the page allocator calls the kernel for every request; a heap almost never does.

Follows Zig's page_allocator (see :mod:`memlab.allocators.page`): each alloc is an mmap of whole
pages, each free an munmap, so a 24-byte request costs a 4096-byte page and a system call.
"""

from __future__ import annotations

from ..allocators.page import PageAllocator
from ..widgets import heap_player
from ..widgets.player import Player

TITLE = "Pages: one system call per request"


def demo(scale: float = 1.6) -> Player:
    pages = PageAllocator(limit=1 << 20)
    with pages.record() as rec:
        small = pages.alloc(24)
        big = pages.alloc(10_000)
        other = pages.alloc(5000)
        pages.resize(big, 12_000)  # still 3 pages: in place, no system call
        pages.free(small)
        pages.resize(other, 3000)  # 2 pages -> 1: the tail page is unmapped
        pages.alloc(100, 16384)  # over-aligned: map extra pages, unmap the excess
        calls = dict(pages.os.syscalls)
        pages.note(f"{sum(calls.values())} system calls ({calls}) for 4 allocations, 1 free and 2 resizes")
    return heap_player(rec.recording, title=TITLE, scale=scale)
