"""Reading slab caches: their layout, their views and slabinfo rows, and their invariants.

Everything here reads the slab structures and free lists from simulated memory, so a view or a
``check()`` shows what the bytes say, not what Python remembers. ``check()`` walks every slab
of the list (as Solaris' ``kmem_cache_verify`` and Linux's ``slabinfo -v`` do) and names the
first broken invariant: list links, refcount, free list, sorting, page ownership.
"""

from __future__ import annotations

from .base import ALLOCATED, DEAD, FREE, METADATA, Allocator, Block
from .slab_geometry import BASE, CACHE, INUSE, NEXT, PREV, SLAB_STRUCT
from .slab_geometry import FREE as HEAD
from .slab_info import CacheView, SlabInfo, SlabSnapshot, SlabView

SECTIONS = ("full", "partial", "free")


class CacheInspection:
    """Layout, views and checks of a :class:`~.slab_cache.SlabCache` (a mixin)."""

    def _slabs(self):
        """The slabs in list order: full, then partial, then free."""
        slab = self._head.next
        while slab is not self._head:
            yield slab
            slab = slab.next

    def _link_word(self, slab, buf: int) -> int:
        """The word index of the free-list link of ``buf``."""
        if slab.links is None:
            return (buf + self._link) >> 3
        return slab.links + (buf - slab.base) // self._bufsize

    def _free_buffers(self, slab) -> list[int]:
        """The free list of ``slab`` as read from memory; stops at a bad entry or after one lap too many."""
        words, base, size, links, link = self._words, slab.base, self._bufsize, slab.links, self._link
        limit, found = self._objects * size, []
        address = words[(slab.struct >> 3) + HEAD]
        while address and len(found) <= self._objects:
            offset = address - base
            if offset < 0 or offset >= limit or offset % size:
                break
            found.append(address)
            address = words[(address + link) >> 3] if links is None else words[links + offset // size]
        return found

    def _slab_groups(self, live: dict) -> list[tuple[int, list[Block]]]:
        """(address, blocks) for every slab of this cache and of its bookkeeping cache."""
        groups = [(slab.address, self._memo(slab, live)[0]) for slab in self._slabs()]
        return groups + (self._mgmt._slab_groups(live) if self._mgmt is not None else [])

    def _memo(self, slab, live: dict) -> tuple[list[Block], str]:
        """The slab's blocks and its buffer map (``#`` in use, ``.`` free), kept until the slab changes."""
        if slab.memo is None:
            slab.memo = self._describe(slab, live)
        return slab.memo

    def _describe(self, slab, live: dict) -> tuple[list[Block], str]:
        g = self.geometry
        free = set(self._free_buffers(slab))
        blocks = [Block(slab.address, slab.color, DEAD, "colour offset")] if slab.color else []
        free_label = "free, still constructed" if self.ctor is not None else "free"
        used = METADATA if self.internal else ALLOCATED
        label = "off-slab slab structure and links" if self.internal else self.cache_name
        marks = []
        for i in range(g.objects):
            buf = slab.base + i * g.bufsize
            if buf in free:
                blocks.append(Block(buf, g.bufsize, FREE, free_label))
                marks.append(".")
            else:
                blocks.append(Block(buf, g.bufsize, used, label, requested=live.get(buf, (0,))[0]))
                marks.append("#")
        end = slab.base + g.objects * g.bufsize
        struct_at = slab.address + g.slab_bytes - (SLAB_STRUCT if g.on_slab else 0)
        if struct_at > end:
            blocks.append(Block(end, struct_at - end, DEAD, "slack"))
        if g.on_slab:
            blocks.append(Block(struct_at, SLAB_STRUCT, METADATA, "slab structure"))
        return blocks, "".join(marks)

    def extent(self) -> tuple[int, int]:
        return extent_of([self])

    def layout(self) -> list[Block]:
        return layout_of([self], self._live)

    def view(self) -> CacheView:
        """The cache as a view draws it."""
        g, live = self.geometry, self._host._live
        slabs = [
            SlabView(slab.address, g.pages, slab.color, slab.base, slab.struct, self._memo(slab, live)[1])
            for slab in self._slabs()
        ]
        return CacheView(
            self.cache_name,
            g.objsize,
            g.bufsize,
            g.align,
            g.objects,
            g.pages,
            g.on_slab,
            g.colors,
            self.ctor_calls,
            self.dtor_calls,
            tuple(slabs),
            g.page_size,
        )

    def slabinfo(self) -> SlabInfo:
        """This cache's /proc/slabinfo row."""
        return SlabInfo.of(self.view())

    def snapshot(self) -> SlabSnapshot:
        return snapshot_of(self, [self])

    def reclaimed(self) -> bool:
        return not self._live and all(self._words[(s.struct >> 3) + INUSE] == 0 for s in self._slabs())

    def check(self) -> None:
        """The slab invariants first (they name the broken structure), then the contract's own."""
        self._verify()
        Allocator.check(self)

    def _verify(self) -> None:
        """Every invariant of the slab list, read from memory; HeapCorruption names the first broken one."""
        words, prev, rank, first_free = self._words, self._head, 0, None
        for slab in self._slabs():
            s, where = slab.struct >> 3, f"cache {self.cache_name!r}, slab {slab.address:#x}"
            if slab.prev is not prev:
                self._host._corrupt(f"{where}: its prev link does not point at the slab before it", slab.address)
            if words[s + CACHE] != self.id or words[s + BASE] != slab.base:
                self._host._corrupt(
                    f"{where}: the slab structure names cache {words[s + CACHE]} and first buffer "
                    f"{words[s + BASE]:#x}, not cache {self.id} and {slab.base:#x}",
                    slab.struct,
                )
            for field, neighbour in ((NEXT, slab.next), (PREV, slab.prev)):
                if words[s + field] != neighbour.struct:
                    self._host._corrupt(
                        f"{where}: list link word {field} in memory disagrees with the list", slab.struct
                    )
            inuse, free, n = words[s + INUSE], self._free_buffers(slab), self._objects
            if not 0 <= inuse <= n:
                self._host._corrupt(f"{where}: refcount {inuse} is outside 0..{n}", slab.struct)
            if len(free) != n - inuse or len(set(free)) < len(free):
                self._host._corrupt(
                    f"{where}: refcount {inuse} says {n - inuse} of {n} buffers are free, but the "
                    f"free list reaches {len(set(free))} (a bad or looping link)",
                    slab.address,
                )
            section = 0 if inuse == self._objects else 2 if inuse == 0 else 1
            if section < rank:
                self._host._corrupt(
                    f"{where}: a {SECTIONS[section]} slab after a {SECTIONS[rank]} one; "
                    "the list must run full, partial, free",
                    slab.address,
                )
            rank = section
            if section and first_free is None:
                first_free = slab
            page = slab.address >> self._shift
            if any(self._owners.get(page + p) is not slab for p in range(self.geometry.pages)):
                self._host._corrupt(f"{where}: its pages are not marked as belonging to it", slab.address)
            prev = slab
        if (first_free or self._head) is not self._first_free:
            self._host._corrupt(
                f"cache {self.cache_name!r}: allocation would not start at the first slab with a free buffer"
            )
        if self._mgmt is not None:
            self._mgmt._verify()


def layout_of(caches, live: dict, extra: list[tuple[int, list[Block]]] = ()) -> list[Block]:
    """The blocks of every slab of ``caches`` (plus ``extra`` groups), in address order."""
    groups = [group for cache in caches for group in cache._slab_groups(live)] + list(extra)
    groups.sort(key=lambda group: group[0])
    return [block for _, blocks in groups for block in blocks]


def extent_of(caches, extra: list[tuple[int, int]] = ()) -> tuple[int, int]:
    """The address range covering every slab of ``caches`` and the ``(address, bytes)`` in ``extra``."""
    spans = [(s.address, s.address + c.geometry.slab_bytes) for c in caches for s in c._slabs()]
    spans += [(a, a + n) for a, n in extra]
    spans += [(a, b) for c in caches if c._mgmt is not None for a, b in [extent_of([c._mgmt])] if b]
    return (min(a for a, _ in spans), max(b for _, b in spans)) if spans else (0, 0)


def snapshot_of(heap: Allocator, caches) -> SlabSnapshot:
    """A heap snapshot of ``heap`` with the views of ``caches``."""
    base = Allocator.snapshot(heap)
    views = tuple(cache.view() for cache in caches)
    return SlabSnapshot(base.blocks, base.start, base.end, base.stats, base.data, views)


def relieve(caches, pages: int) -> bool:
    """Memory pressure: reap every cache, but only if a free slab of ``pages`` pages exists.

    Reaping then surely makes room, so a request that still fails has changed nothing.
    """
    if not any(c.geometry.pages >= pages and c._free_slabs() for c in caches):
        return False
    for cache in caches:
        cache._reap()
    return True
