"""kmalloc: allocation of any size from a ladder of slab caches, as in the Linux kernel.

Linux serves ``kmalloc(size)`` from general caches named ``kmalloc-8``, ``kmalloc-16``, ...
``kmalloc-512``, ``kmalloc-1k``, ... ``kmalloc-8k``: from 1024 bytes on, the kernel's table of
kmalloc caches (``kmalloc_info`` in ``mm/slab_common.c``) names a size in KiB, then MiB, and
:func:`kmalloc_name` does the same. A request goes to the smallest cache whose objects are big
enough (sizes 96 and 192 fill the gaps between powers of two), and ``kfree`` finds the cache
from the page the object lives on. Power-of-two caches hand out naturally aligned objects.
Requests above the largest cache go straight to whole pages (Linux's ``kmalloc_large``). Each
cache is a :class:`~.cache.SlabCache` (Bonwick's slabs: sorted slab list, colouring, reaping)
without a constructor.

Simplifications: pages come from the simulated OS (mmap) rather than a buddy page allocator,
and there is no per-CPU layer (see :mod:`.magazine` for Bonwick's magazines). Slabs keep
Bonwick's on-slab bookkeeping and one-page slabs for small objects, so a row of
:meth:`Slab.slabinfo` shows 126 objects of ``kmalloc-32`` per page where SLUB, which keeps its
bookkeeping in the page descriptor, shows 128, and larger caches use fewer pages per slab.
"""

from __future__ import annotations

from ...errors import BadAlignment, BadRequest, OutOfMemory
from ..base import ALLOCATED, Allocator, Block
from .cache import SlabCache, extent_of, free_then_moves, layout_of, page_owners, relieve, snapshot_of
from .info import SlabInfo, SlabSnapshot

KMALLOC_SIZES = (8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192)


def kmalloc_name(size: int) -> str:
    """The kernel's name for the cache of ``size``-byte objects: ``kmalloc-96``, ``kmalloc-1k``, ``kmalloc-2M``."""
    for unit, suffix in ((1 << 20, "M"), (1 << 10, "k")):
        if size >= unit and size % unit == 0:
            return f"kmalloc-{size // unit}{suffix}"
    return f"kmalloc-{size}"


def natural_alignment(size: int, page_size: int) -> int:
    """Power-of-two sizes are aligned to themselves (up to a page); others to 8 bytes."""
    return min(size, page_size) if size & (size - 1) == 0 else 8


class Slab(Allocator):
    """kmalloc over slab caches kmalloc-8 ... kmalloc-8k (Linux, after Bonwick 1994)."""

    name = "slab"

    def __init__(self, sizes: tuple[int, ...] = KMALLOC_SIZES, **kw) -> None:
        if not isinstance(sizes, (tuple, list)) or not sizes or not all(type(s) is int and s > 0 for s in sizes):
            raise BadRequest(f"slab sizes={sizes!r}: give one or more object sizes in bytes, e.g. (8, 16, 32)")
        super().__init__(**kw)
        page = self.os.page_size
        with self._option(sizes=sizes):
            self.caches = [SlabCache(kmalloc_name(s), s, natural_alignment(s, page), host=self) for s in sorted(sizes)]
        self.max_cached = self.caches[-1].geometry.objsize
        self._by_words = [
            next(c for c in self.caches if c.geometry.objsize >= 8 * w) for w in range(self.max_cached // 8 + 1)
        ]
        self._owners = page_owners(self.os)
        self._shift = page.bit_length() - 1
        self._large: dict[int, int] = {}  # kmalloc_large: address -> bytes mapped

    def cache_for(self, size: int, align: int = 8) -> SlabCache | None:
        """The cache kmalloc(size) uses, or None when the request goes to whole pages."""
        if size > self.max_cached:
            return None
        cache = self._by_words[(size + 7) >> 3]
        if align <= cache.geometry.align:
            return cache
        return next((c for c in self.caches if c.geometry.objsize >= size and c.geometry.align >= align), None)

    def _alloc(self, size: int, align: int) -> int:
        if size <= self.max_cached:
            cache = self._by_words[(size + 7) >> 3]
            if align > cache.default_align:
                cache = self.cache_for(size, align)
            if cache is not None:
                return cache._take()
        return self._alloc_large(size, align)

    def _alloc_large(self, size: int, align: int) -> int:
        page = self.os.page_size
        if align > page:
            raise BadAlignment(f"kmalloc aligns to at most a {page}-byte page, not {align}")
        n = -(-size // page) * page
        try:
            address = self._mmap(n)
        except OutOfMemory:
            if not self._relieve(n // page):
                raise
            address = self._mmap(n)
        self._large[address] = n
        return address

    def free(self, address: int) -> None:
        """kfree: the object goes back to its slab (a slab move, if any, is shown after the free)."""
        free_then_moves(self, super().free, address)

    def _free(self, address: int, size: int) -> None:
        slab = self._owners.get(address >> self._shift)
        if slab is not None:
            slab.cache._put(slab, address)
        else:
            self._munmap(address, self._large.pop(address))

    def ksize(self, address: int) -> int:
        """The usable size of the live object at ``address`` (Linux's ksize)."""
        self._live_size(address, "ksize")
        if address in self._large:
            return self._large[address]
        return self._owners[address >> self._shift].cache.geometry.objsize

    def _resize(self, address: int, old_size: int, new_size: int) -> bool:
        if new_size > self.ksize(address):
            return False  # krealloc keeps the object only while it still fits
        slab = self._owners.get(address >> self._shift)
        if slab is not None:
            slab.memo = None
        return True

    def _relieve(self, pages: int) -> bool:
        return relieve(self.caches, pages)

    def reap(self) -> int:
        """Reap every cache: destroy all completely free slabs; return how many."""
        self.step += 1
        return sum(cache._reap() for cache in self.caches)

    def slabinfo(self, *, empty: bool = False) -> list[SlabInfo]:
        """The /proc/slabinfo rows of the caches (those holding slabs, unless ``empty``)."""
        rows = [cache.slabinfo() for cache in self.caches]
        return [r for r in rows if empty or r.num_slabs]

    def layout(self) -> list[Block]:
        large = [
            (a, [Block(a, n, ALLOCATED, "kmalloc_large: whole pages", requested=self._live[a][0])])
            for a, n in self._large.items()
        ]
        return layout_of(self.caches, self._live, large)

    def extent(self) -> tuple[int, int]:
        return extent_of(self.caches, list(self._large.items()))

    def snapshot(self) -> SlabSnapshot:
        return snapshot_of(self, self.caches)

    def reclaimed(self) -> bool:
        return not self._live and all(c.reclaimed() for c in self.caches)

    def check(self) -> None:
        """Every cache's slab invariants first (they name the broken structure), then the contract's."""
        for cache in self.caches:
            cache._verify()
        super().check()

    def _check(self) -> None:
        for address in self._large:
            if address not in self._live:
                self._corrupt(f"whole-page block {address:#x} is mapped but not live", address)
