"""TCMalloc's back end: the page heap, which hands out *spans* (runs of pages).

A span is a run of TCMalloc pages (8 KiB by default) that is either free, in use for one size
class (cut into equal objects by the central free list), or in use for one large object. The
*pagemap* maps a page number to its span, so ``free`` finds an object's span (and so its size
class) from its address alone. Free spans are kept by length and handed out best fit, splitting
off what is not needed; a span that comes back merges with free neighbours. When no free span
is long enough the page heap grows from the OS (mmap); :meth:`PageHeap.release` hands free spans
back to the OS (TCMalloc's scavenging of free pages).

Simplifications: one lock for the whole page heap, counted per call; free spans live in one set
searched for the best fit rather than TCMalloc's per-length lists; released memory is unmapped
(TCMalloc keeps the address range and uses madvise); spans merge only within one mmap region,
because the simulated OS unmaps within a region.

This is the *legacy* page heap of the 2005 design, which gperftools still uses. google/tcmalloc
removed it in November 2024: its only back end now is the hugepage-aware allocator (Temeraire,
``docs/temeraire.md``), which keeps memory in 2 MiB hugepages so the processor needs fewer TLB
entries. A *filler* packs requests smaller than a hugepage into partly used hugepages: it takes
the hugepage whose longest free run is the shortest that fits (among those, the one with the
most allocations), so that long runs stay whole and other hugepages can empty out and go back to
the OS; *regions* serve requests a little larger than a hugepage by letting them straddle
hugepage boundaries; and a *hugepage cache* serves requests of whole hugepages and keeps a few
freed ones for reuse. memlab does not simulate it.
"""

from __future__ import annotations

from ...errors import OutOfMemory

IN_USE, FREE = "in use", "free"


class Span:
    """A run of ``npages`` pages from page ``start``; ``sizeclass`` 0 means a large object."""

    __slots__ = ("start", "npages", "state", "sizeclass", "free", "allocated", "region")

    def __init__(self, start: int, npages: int, region: int) -> None:
        self.start, self.npages, self.region = start, npages, region
        self.state, self.sizeclass = FREE, 0
        self.free: list[int] = []  # free objects of a small-object span (a stack)
        self.allocated = 0  # objects handed out of this span (to caches or the program)

    def __repr__(self) -> str:
        return f"Span(start={self.start}, npages={self.npages}, {self.state}, class={self.sizeclass})"


class PageHeap:
    """Spans of pages taken from the OS through ``owner`` (an Allocator's ``_mmap``/``_munmap``)."""

    def __init__(self, owner, page_size: int, locks: dict[str, int], *, grow_pages: int = 16) -> None:
        self.owner, self.page_size, self.locks = owner, page_size, locks
        self.shift = page_size.bit_length() - 1
        self.grow_pages = grow_pages
        self.pagemap: dict[int, Span] = {}  # every page of an in-use span; the ends of a free span
        self.spans: set[Span] = set()  # every span the heap holds, free or in use
        self._free: set[Span] = set()

    def address(self, span: Span) -> int:
        return span.start << self.shift

    @property
    def free_pages(self) -> int:
        return sum(s.npages for s in self._free)

    def new(self, npages: int) -> Span:
        """A span of exactly ``npages`` pages, in use (best fit, growing the heap when needed)."""
        self.locks["pageheap"] += 1
        span = min((s for s in self._free if s.npages >= npages), key=lambda s: (s.npages, -s.start), default=None)
        if span is None:
            span = self._grow(npages)
        self._take(span)
        if span.npages > npages:
            rest = Span(span.start + npages, span.npages - npages, span.region)
            span.npages = npages
            self._put(rest)
        span.state = IN_USE
        for p in range(span.start, span.start + npages):
            self.pagemap[p] = span
        return span

    def delete(self, span: Span) -> None:
        """Take back an in-use span, merging it with free neighbours of the same region."""
        self.locks["pageheap"] += 1
        for p in range(span.start, span.start + span.npages):
            del self.pagemap[p]
        span.state, span.sizeclass, span.free, span.allocated = FREE, 0, [], 0
        before = self.pagemap.get(span.start - 1)
        if before is not None and before.state == FREE and before.region == span.region:
            self._take(before)
            self.spans.discard(span)
            before.npages += span.npages
            span = before
        after = self.pagemap.get(span.start + span.npages)
        if after is not None and after.state == FREE and after.region == span.region:
            self._take(after)
            self.spans.discard(after)
            span.npages += after.npages
        self._put(span)

    def release(self) -> int:
        """Unmap every free span; return the bytes handed back to the OS."""
        self.locks["pageheap"] += 1
        released = 0
        for span in sorted(self._free, key=lambda s: s.start):
            self._take(span)
            self.spans.discard(span)
            released += span.npages * self.page_size
            self.owner._munmap(self.address(span), span.npages * self.page_size)
        return released

    def _grow(self, npages: int) -> Span:
        n = max(npages, self.grow_pages)
        try:
            address = self._map(n)
        except OutOfMemory:
            if n == npages:
                raise
            n = npages
            address = self._map(n)
        span = Span(address >> self.shift, n, address >> self.shift)
        self._put(span)
        return span

    def _map(self, npages: int) -> int:
        """mmap ``npages`` pages aligned to the page size (the OS only aligns to its own pages)."""
        size = npages * self.page_size
        address = self.owner._mmap(size)
        if address % self.page_size:
            self.owner._munmap(address, size)
            extra = self.page_size - self.owner.os.page_size
            address = self.owner._mmap(size + extra)
            head = -address % self.page_size
            if head:
                self.owner._munmap(address, head)
            if extra - head:
                self.owner._munmap(address + head + size, extra - head)
            address += head
        return address

    def _put(self, span: Span) -> None:
        span.state = FREE
        self._free.add(span)
        self.spans.add(span)
        self.pagemap[span.start] = span
        self.pagemap[span.start + span.npages - 1] = span

    def _take(self, span: Span) -> None:
        self._free.discard(span)
        for p in (span.start, span.start + span.npages - 1):
            if self.pagemap.get(p) is span:
                del self.pagemap[p]
