"""The page allocator: every request is its own ``mmap``, as Zig's ``std.heap.page_allocator``.

Each allocation asks the OS for whole pages (the request rounded up to the page size, 4 KiB
here) and each free gives them back with ``munmap``. Nothing is cached, so every alloc and every
free is a system call, and a 16-byte request costs a whole 4096-byte page. That is exactly why
general-purpose allocators (glibc's malloc, the free-list heaps of notebooks 03-05) take big
pieces from the OS and cut them up themselves, and why they call ``mmap`` directly only for
large requests (glibc: from 128 KiB up). Zig programs use the page allocator as the *child* of
an ArenaAllocator or for big buffers.

As in Zig:

* an alignment above the page size is met by mapping extra pages and unmapping the excess
  before and after the aligned block;
* ``resize`` succeeds in place when the number of pages stays the same, and when shrinking
  (the tail pages are unmapped); growing fails, so ``realloc`` maps new pages, copies and
  unmaps the old ones.

Simplification: Zig on Linux first tries ``mremap`` to grow; the simulated OS has no mremap.
``stats().syscalls`` shows the OS's counters; :attr:`PageAllocator.mapped_pages` the pages held.
"""

from __future__ import annotations

from ..events import Grow, Shrink
from ..memory import align_up
from .base import ALLOCATED, DEAD, FREE, Allocator, Block


class PageAllocator(Allocator):
    """Whole pages from mmap for every request (Zig's page_allocator)."""

    name = "page"

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.page_size = self.os.page_size
        self._maps: dict[int, int] = {}  # start -> mapped length (whole pages)
        self._cache: tuple[tuple, list[Block]] = ((), [])

    @property
    def mapped_pages(self) -> int:
        """Pages this allocator holds right now."""
        return sum(self._maps.values()) // self.page_size

    # -- system calls, each one an event ---------------------------------------------------------
    def _map(self, length: int) -> int:
        address = self.os.mmap(length)
        self._maps[address] = length
        self._add_footprint(length)
        if self.recorder is not None:
            self._emit(Grow(self.step, address, length, "mmap"))
        return address

    def _unmap(self, address: int, length: int) -> None:
        self.os.munmap(address, length)
        self._add_footprint(-length)
        if self.recorder is not None:
            self._emit(Shrink(self.step, address, length, "munmap"))

    # -- the algorithm ---------------------------------------------------------------------------
    def _alloc(self, size: int, align: int) -> int:
        length = align_up(size, self.page_size)
        if align <= self.page_size:
            return self._map(length)
        over = length + align - self.page_size
        raw = self._map(over)
        address = align_up(raw, align)
        del self._maps[raw]
        self._maps[address] = length
        if address > raw:
            self._unmap(raw, address - raw)
        if raw + over > address + length:
            self._unmap(address + length, raw + over - address - length)
        return address

    def _free(self, address: int, size: int) -> None:
        length = self._maps.pop(address)
        self._unmap(address, length)

    def _resize(self, address: int, old_size: int, new_size: int) -> bool:
        length = self._maps[address]
        wanted = align_up(new_size, self.page_size)
        if wanted > length:
            return False
        if wanted < length:
            self._maps[address] = wanted
            self._unmap(address + wanted, length - wanted)
        return True

    # -- views -------------------------------------------------------------------------------------
    def layout(self) -> list[Block]:
        key = (self.step, len(self._live), self._live_bytes, len(self._maps), self._footprint)
        if self._cache[0] != key:
            self._cache = (key, self._layout())
        return list(self._cache[1])

    def extent(self) -> tuple[int, int]:
        if not self._maps:
            return 0, 0
        return min(self._maps), max(a + n for a, n in self._maps.items())

    def _layout(self) -> list[Block]:
        blocks = []
        for address, length in sorted(self._maps.items()):
            entry = self._live.get(address)
            if entry is None:
                blocks.append(Block(address, length, FREE, "fresh pages from mmap"))
                continue
            size = entry[0]
            blocks.append(Block(address, size, ALLOCATED, requested=size))
            if length > size:
                blocks.append(Block(address + size, length - size, DEAD, "rest of the last page, mapped but unused"))
        return blocks

    def reclaimed(self) -> bool:
        return not self._live and not self._maps

    def _check(self) -> None:
        if sum(self._maps.values()) != self._footprint:
            self._corrupt(f"mappings hold {sum(self._maps.values())} bytes, the footprint says {self._footprint}")
        for address, length in self._maps.items():
            if address % self.page_size or length % self.page_size:
                self._corrupt(f"mapping {address:#x} of {length} bytes is not whole pages", address)
            size = self._live.get(address, (None,))[0]
            if size is not None and size > length:
                self._corrupt(f"block {address:#x} of {size} bytes is larger than its {length}-byte mapping", address)
