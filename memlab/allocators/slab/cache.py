"""An object cache with slabs: Bonwick's ``kmem_cache`` (USENIX 1994).

``SlabCache(name, size, align, ctor, dtor)`` is ``kmem_cache_create``. Its objects come from
*slabs*, runs of pages cut into equal buffers (see :mod:`.geometry`). When a slab is created
the constructor runs once on every buffer; a freed object goes back to its slab still
constructed, and the destructor runs only when a completely free slab is *reaped*. So a program
that allocates and frees the same kind of object a million times constructs it once per buffer.

The slab structure (list links, owning cache, first buffer, refcount, free-list head) is six
words in simulated memory, at the end of the page for small objects, in a separate bookkeeping
object for large ones; the free list runs through the free buffers (or the off-slab link array).
The cache keeps Bonwick's one slab list, partly sorted: full slabs, then partial, then free;
allocation takes the first slab with a free buffer; a slab that becomes free moves to the end,
where :meth:`SlabCache.reap` finds it when memory is short. Each new slab starts at the next
*colour* offset. The slab of an address is found from its page, as Linux does.

Simplifications: pages come straight from the simulated OS (mmap); no magazines or per-CPU
layer here (see :mod:`.magazine`); reaping under pressure happens only when it will make
room, so a failed allocation changes nothing.
"""

from __future__ import annotations

import itertools
import weakref

from ...errors import BadAlignment, BadRequest, BadSize, InvalidFree, OutOfMemory
from ...os import OS
from ..base import ALLOCATED, DEAD, FREE, METADATA, Allocator, Block
from .geometry import BASE, CACHE, INUSE, NEXT, PREV, SLAB_STRUCT, plan
from .geometry import FREE as HEAD
from .info import CacheView, SlabGrow, SlabInfo, SlabMove, SlabReap, SlabSnapshot, SlabView

# -- Reading slab caches: their layout, their views and slabinfo rows, and their invariants.
#
# Everything here reads the slab structures and free lists from simulated memory, so a view or a
# ``check()`` shows what the bytes say, not what Python remembers. ``check()`` walks every slab
# of the list (as Solaris' ``kmem_cache_verify`` and Linux's ``slabinfo -v`` do) and names the
# first broken invariant: list links, refcount, free list, sorting, page ownership.

SECTIONS = ("full", "partial", "free")


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


# -- A slab's life: made by ``kmem_cache_grow``, destroyed by ``kmem_cache_reap`` (Bonwick 1994).
#
# Growing takes pages, picks the next colour offset, runs the constructor on every buffer, writes
# the slab structure (on the slab, or in a bookkeeping object for large buffers), threads the free
# list through the buffers and records which pages belong to the slab; the new slab joins the free
# end of the cache's list. If a constructor fails, the buffers already built are destructed and
# the pages go back, so nothing changes. Reaping destroys the completely free slabs at the end of
# the list: destructors run, the pages are scrubbed and unmapped.


class ConstructorFailed(OutOfMemory):
    """A constructor raised: as when kmem_cache_alloc returns NULL, nothing was allocated."""


class _Slab:
    __slots__ = ("cache", "address", "struct", "word", "base", "color", "links", "next", "prev", "memo")

    def __init__(self, cache, address=0, struct=0, base=0, color=0, links=None) -> None:
        self.cache, self.address, self.struct, self.base, self.color = cache, address, struct, base, color
        self.word = struct >> 3  # word index of the slab structure
        self.links = links  # word index of the off-slab link array, or None (links inside buffers)
        self.next = self.prev = self
        self.memo = None  # (blocks, buffer map) for views, dropped whenever the slab changes


_OWNERS: weakref.WeakKeyDictionary[OS, dict[int, _Slab]] = weakref.WeakKeyDictionary()
_ids = itertools.count(1)


class WrongCache(InvalidFree):
    """An object freed into a cache it does not belong to."""


def page_owners(os: OS) -> dict[int, _Slab]:
    """Page number -> slab, for every slab of every cache on ``os`` (Linux keeps it in struct page)."""
    return _OWNERS.setdefault(os, {})


def free_then_moves(host: Allocator, free, address: int) -> None:
    """``free(address)`` with the slab moves it causes shown after its Free event, not before."""
    if host.recorder is None:
        return free(address)
    host._later = []
    try:
        free(address)
    finally:
        later, host._later = host._later, None
    for event in later:
        host._emit(event)


def word_view(memory) -> memoryview:
    """The simulated memory as 8-byte little-endian words, for fast bookkeeping."""
    return memoryview(memory._bytes).cast("Q")


class SlabCache(Allocator):
    """An object cache (Bonwick's kmem_cache): constructed objects of one size, in slabs."""

    name = "slab_cache"

    def __init__(
        self,
        name: str = "cache",
        size: int = 64,
        align: int = 8,
        ctor=None,
        dtor=None,
        *,
        host: Allocator | None = None,
        internal: bool = False,
        off_slab: bool | None = None,
        os: OS | None = None,
        limit: int = 64 << 20,
    ) -> None:
        if not isinstance(name, str) or not name:
            raise BadRequest(f"slab cache name={name!r}: not a non-empty string")
        for what, fn in (("ctor", ctor), ("dtor", dtor)):
            if fn is not None and not callable(fn):
                raise BadRequest(f"slab cache {name!r}: {what}={fn!r} is not callable")
        super().__init__(os=host.os if host is not None else os, limit=limit)
        self.cache_name, self.ctor, self.dtor, self.internal = name, ctor, dtor, internal
        with self._option(size=size, align=align):
            self.geometry = g = plan(size, align, self.os.page_size, constructed=ctor is not None, off_slab=off_slab)
        self.default_align = g.align
        self.id = next(_ids)
        self.ctor_calls = self.dtor_calls = 0
        self._host = host if host is not None else self
        self._words = word_view(self.memory)
        self._owners = page_owners(self.os)
        self._shift = self.os.page_size.bit_length() - 1
        self._link, self._bufsize, self._objects = g.link, g.bufsize, g.objects
        self._head = _Slab(None)
        self._first_free = self._head  # the first slab with a free buffer, or the head
        self._colour_next = 0
        self._mgmt = (
            None
            if g.on_slab
            else SlabCache(f"{name}-slabmgmt", g.mgmt_size, host=self._host, internal=True, off_slab=False)
        )

    # -- the standalone contract --------------------------------------------------------------
    def alloc(self, size: int | None = None, align: int | None = None) -> int:
        """kmem_cache_alloc: a constructed object (``size`` defaults to the object size)."""
        return super().alloc(self.geometry.objsize if size is None else size, align)

    def free(self, address: int) -> None:
        """kmem_cache_free: the object goes back to its slab, still constructed."""
        if type(address) is int and address not in self._live:
            slab = self._owners.get(address >> self._shift)
            if slab is not None and slab.cache is not self:
                self.step += 1
                raise WrongCache(
                    f"free of {address:#x} into cache {self.cache_name!r}, but the object is from "
                    f"cache {slab.cache.cache_name!r}",
                    address=address,
                    step=self.step,
                )
        free_then_moves(self, super().free, address)

    def _alloc(self, size: int, align: int) -> int:
        g = self.geometry
        if size > g.objsize:
            raise BadSize(f"cache {self.cache_name!r} holds {g.objsize}-byte objects; {size} bytes do not fit")
        if align > g.align:
            raise BadAlignment(f"cache {self.cache_name!r} aligns objects to {g.align}, not {align}")
        return self._take()

    def _free(self, address: int, size: int) -> None:
        self._put(self._owners[address >> self._shift], address)

    def _resize(self, address: int, old_size: int, new_size: int) -> bool:
        if new_size > self.geometry.objsize:
            return False
        self._owners[address >> self._shift].memo = None
        return True

    def reap(self) -> int:
        """Destroy every completely free slab (destructors run, pages go back); return how many."""
        self.step += 1
        return self._reap()

    def _relieve(self, pages: int) -> bool:
        """Under memory pressure: reap if that frees a run of ``pages`` pages."""
        return relieve([self], pages)

    # -- allocating and freeing buffers (also used by a host such as the kmalloc caches) -----
    def _take(self) -> int:
        slab = self._first_free
        if slab is self._head:
            slab = self._grow()
        words = self._words
        s = slab.word
        buf = words[s + HEAD]
        links = slab.links
        nxt = words[(buf + self._link) >> 3] if links is None else words[links + (buf - slab.base) // self._bufsize]
        words[s + HEAD] = nxt
        words[s + INUSE] += 1
        slab.memo = None
        if not nxt:
            self._first_free = slab.next  # this slab is now the last full one
        return buf

    def _put(self, slab: _Slab, buf: int) -> None:
        words = self._words
        s = slab.word
        links = slab.links
        at = (buf + self._link) >> 3 if links is None else links + (buf - slab.base) // self._bufsize
        words[at] = words[s + HEAD]
        words[s + HEAD] = buf
        slab.memo = None
        inuse = words[s + INUSE] - 1
        words[s + INUSE] = inuse
        if inuse == 0:
            self._move(slab, self._head, "free")
        elif inuse == self._objects - 1:
            self._move(slab, self._first_free, "partial")

    def _move(self, slab: _Slab, before: _Slab, section: str) -> None:
        """Move ``slab`` in the list to just before ``before``, keeping ``_first_free`` right."""
        if self._first_free is slab:
            self._first_free = slab.next
        old_prev, old_next = slab.prev, slab.next
        if old_next is not before:
            old_prev.next, old_next.prev = old_next, old_prev
            slab.prev, slab.next = before.prev, before
            before.prev.next = slab
            before.prev = slab
            self._write_links(old_prev, old_next, slab, slab.prev, before)
        if section == "partial" or self._first_free is self._head:
            self._first_free = slab
        host = self._host
        if host.recorder is not None:
            event = SlabMove(host.step, self.cache_name, slab.address, section)
            later = getattr(host, "_later", None)
            later.append(event) if later is not None else host._emit(event)

    def _write_links(self, *slabs: _Slab) -> None:
        words = self._words
        for slab in slabs:
            if slab is not self._head:
                s = slab.struct >> 3
                words[s + NEXT] = slab.next.struct
                words[s + PREV] = slab.prev.struct

    # -- a slab's life: kmem_cache_grow and kmem_cache_reap ------------------------------------

    def _grow(self) -> _Slab:
        """kmem_cache_grow: take pages, construct every buffer, put the new slab at the free end."""
        g, host = self.geometry, self._host
        address = self._new_pages()
        color = self._colour_next % g.colors * g.color_step
        base = address + color
        done = 0
        try:
            for i in range(g.objects if self.ctor is not None else 0):
                self.ctor_calls += 1
                try:
                    self.ctor(self.memory, base + i * g.bufsize)
                except Exception as e:
                    raise ConstructorFailed(
                        f"the constructor of cache {self.cache_name!r} failed on buffer {base + i * g.bufsize:#x}: {e}",
                        address=base + i * g.bufsize,
                    ) from e
                done += 1
            struct = address + g.slab_bytes - SLAB_STRUCT if g.on_slab else self._mgmt._take()
        except Exception:
            self._destruct(base, done)
            self._release(address)
            raise
        slab = _Slab(self, address, struct, base, color, None if g.on_slab else (struct + SLAB_STRUCT) >> 3)
        words = self._words
        s = struct >> 3
        words[s + CACHE], words[s + BASE], words[s + INUSE], words[s + HEAD] = self.id, base, 0, base
        for i in range(g.objects):
            buf = base + i * g.bufsize
            nxt = buf + g.bufsize if i + 1 < g.objects else 0
            words[(buf + g.link) >> 3 if slab.links is None else slab.links + i] = nxt
        for p in range(g.pages):
            self._owners[(address >> self._shift) + p] = slab
        tail = self._head.prev
        slab.prev, slab.next = tail, self._head
        tail.next = self._head.prev = slab
        self._write_links(tail, slab)
        if self._first_free is self._head:
            self._first_free = slab
        self._colour_next += 1
        if host.recorder is not None:
            host._emit(SlabGrow(host.step, self.cache_name, address, g.pages, color, g.objects, self.ctor is not None))
        return slab

    def _new_pages(self) -> int:
        n = self.geometry.slab_bytes
        try:
            return self._host._mmap(n)
        except OutOfMemory:
            if not self._host._relieve(self.geometry.pages):
                raise
            return self._host._mmap(n)

    def _release(self, address: int) -> None:
        """Scrub and unmap a slab's pages (scrubbed, so unmapped memory always reads as zero)."""
        n = self.geometry.slab_bytes
        self.memory.fill(address, n)
        self._host._munmap(address, n)

    def _destruct(self, base: int, count: int) -> None:
        if self.dtor is not None:
            for i in reversed(range(count)):
                self.dtor_calls += 1
                self.dtor(self.memory, base + i * self._bufsize)

    def _free_slabs(self) -> list[_Slab]:
        """The completely free slabs, from the end of the list."""
        found, slab = [], self._head.prev
        while slab is not self._head and self._words[(slab.struct >> 3) + INUSE] == 0:
            found.append(slab)
            slab = slab.prev
        return found

    def _reap(self) -> int:
        slabs = self._free_slabs()
        for slab in slabs:
            self._destroy(slab)
        if self._mgmt is not None:
            self._mgmt._reap()
        return len(slabs)

    def _destroy(self, slab: _Slab) -> None:
        g, host = self.geometry, self._host
        self._destruct(slab.base, g.objects)
        if self._first_free is slab:
            self._first_free = slab.next
        slab.prev.next, slab.next.prev = slab.next, slab.prev
        self._write_links(slab.prev, slab.next)
        for p in range(g.pages):
            del self._owners[(slab.address >> self._shift) + p]
        if self._mgmt is not None:
            self._mgmt._put(self._owners[slab.struct >> self._shift], slab.struct)
        self._release(slab.address)
        if host.recorder is not None:
            host._emit(SlabReap(host.step, self.cache_name, slab.address, g.pages, g.objects, self.dtor is not None))

    # -- reading the cache from memory: layout, views, slabinfo, check -------------------------

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


__all__ = ["ConstructorFailed", "SlabCache", "WrongCache", "free_then_moves", "page_owners", "word_view"]
