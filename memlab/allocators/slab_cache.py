"""An object cache with slabs: Bonwick's ``kmem_cache`` (USENIX 1994).

``SlabCache(name, size, align, ctor, dtor)`` is ``kmem_cache_create``. Its objects come from
*slabs*, runs of pages cut into equal buffers (see :mod:`.slab_geometry`). When a slab is created
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
layer here (see :mod:`.slab_magazine`); reaping under pressure happens only when it will make
room, so a failed allocation changes nothing.
"""

from __future__ import annotations

import itertools
import weakref

from ..errors import BadAlignment, BadRequest, BadSize, InvalidFree
from ..os import OS
from .base import Allocator
from .slab_geometry import FREE as HEAD
from .slab_geometry import INUSE, NEXT, PREV, plan
from .slab_info import SlabMove
from .slab_inspect import CacheInspection, relieve
from .slab_lifecycle import ConstructorFailed, SlabLifecycle, _Slab

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


class SlabCache(CacheInspection, SlabLifecycle, Allocator):
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
            raise BadRequest(f"cache name {name!r} is not a non-empty string")
        for what, fn in (("constructor", ctor), ("destructor", dtor)):
            if fn is not None and not callable(fn):
                raise BadRequest(f"{what} {fn!r} of cache {name!r} is not callable")
        super().__init__(os=host.os if host is not None else os, limit=limit)
        self.cache_name, self.ctor, self.dtor, self.internal = name, ctor, dtor, internal
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


__all__ = ["ConstructorFailed", "SlabCache", "WrongCache", "free_then_moves", "page_owners", "word_view"]
