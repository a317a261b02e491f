"""A slab's life: made by ``kmem_cache_grow``, destroyed by ``kmem_cache_reap`` (Bonwick 1994).

Growing takes pages, picks the next colour offset, runs the constructor on every buffer, writes
the slab structure (on the slab, or in a bookkeeping object for large buffers), threads the free
list through the buffers and records which pages belong to the slab; the new slab joins the free
end of the cache's list. If a constructor fails, the buffers already built are destructed and
the pages go back, so nothing changes. Reaping destroys the completely free slabs at the end of
the list: destructors run, the pages are scrubbed and unmapped.
"""

from __future__ import annotations

from ..errors import OutOfMemory
from .slab_geometry import BASE, CACHE, INUSE, SLAB_STRUCT
from .slab_geometry import FREE as HEAD
from .slab_info import SlabGrow, SlabReap


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


class SlabLifecycle:
    """Growing and reaping of a :class:`~.slab_cache.SlabCache` (a mixin)."""

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
