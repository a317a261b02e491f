"""Thread-caching malloc, after Google's TCMalloc design document.

Three layers, and the point of the design is where the locks are:

* **front end** (:mod:`.tcmalloc_front`): a cache per thread, no locks;
* **middle end** (:mod:`.tcmalloc_central`): per size class a transfer cache and a central free
  list, each behind a lock, trading objects in batches;
* **back end** (:mod:`.tcmalloc_pageheap`): the page heap of spans, one lock, memory from the OS.

Objects move between the ends in batches (:mod:`.tcmalloc_batches`).

Small requests are rounded to a size class (:mod:`.tcmalloc_sizes`); large ones (over
``max_small``) get a span of whole pages straight from the page heap. Threads are simulated and
deterministic: ``alloc(size, thread=2)`` or ``with heap.thread(2): ...`` runs an operation as
thread 2; the plain contract (no thread) is thread 0. ``locks`` counts every lock acquisition,
so the same workload can be compared with ``thread_caches=False``, where every operation takes
a central lock, as in an allocator behind one lock.

Simplifications: threads are interleaved by the caller's schedule, never by the OS; per-thread
caches as in TCMalloc's legacy mode (today's TCMalloc caches per CPU); see each layer's module.
"""

from __future__ import annotations

from contextlib import contextmanager

from ..errors import BadAlignment, BadRequest
from ..events import Alloc, Event, Free
from ..memory import is_power_of_two
from .base import Allocator
from .registry import register
from .tcmalloc_batches import BatchMoves
from .tcmalloc_central import CentralFreeList, TransferCache
from .tcmalloc_front import ThreadCache
from .tcmalloc_info import ThreadAlloc, ThreadFree
from .tcmalloc_inspect import TCMallocInspection
from .tcmalloc_pageheap import PageHeap, Span
from .tcmalloc_sizes import SizeClass, SizeMap


@register("tcmalloc", max_request=40_000, aligns=(None, 16, 64, 4096))
class TCMalloc(TCMallocInspection, BatchMoves, Allocator):
    """Thread-caching malloc: per-thread caches, central lists, a page heap (TCMalloc)."""

    name = "tcmalloc"

    def __init__(
        self,
        *,
        thread_caches: bool = True,
        page_size: int = 8 << 10,
        max_small: int = 32 << 10,
        thread_cache_bytes: int = 256 << 10,
        transfer_slots: int = 8,
        grow_pages: int = 16,
        **kw,
    ) -> None:
        super().__init__(**kw)
        if not is_power_of_two(page_size) or page_size < self.os.page_size:
            raise BadRequest(f"page size {page_size} is not a power of two of at least {self.os.page_size}")
        for what, value in (
            ("thread cache bytes", thread_cache_bytes),
            ("transfer slots", transfer_slots),
            ("grow pages", grow_pages),
        ):
            if type(value) is not int or value < 1:
                raise BadRequest(f"{what} {value!r} must be a positive integer")
        self.sizes = SizeMap(max_small, page_size)
        self.classes: list[SizeClass | None] = [None, *self.sizes.classes]
        self.locks = {"transfer": 0, "central": 0, "pageheap": 0}
        self.pageheap = PageHeap(self, page_size, self.locks, grow_pages=grow_pages)
        self.central = [None] + [CentralFreeList(c, self.pageheap, self.locks) for c in self.sizes.classes]
        self.transfer = [None] + [
            TransferCache(c, self.central[c.index], self.locks, transfer_slots) for c in self.sizes.classes
        ]
        self.thread_caches, self.thread_cache_bytes = bool(thread_caches), thread_cache_bytes
        self.caches: dict[int, ThreadCache] = {}
        self._thread, self._cache = 0, None
        self._by_words, self._max_small = self.sizes._by_words, self.sizes.max_size
        self._pagemap, self._shift = self.pageheap.pagemap, self.pageheap.shift
        self._large: dict[int, Span] = {}
        self._pending: tuple[ThreadCache | None, int] | None = None  # work a free leaves for after it

    # -- simulated threads ---------------------------------------------------------------------
    @property
    def current_thread(self) -> int:
        return self._thread

    def _switch(self, thread: int) -> int:
        """Make ``thread`` the running thread; return the one that ran before."""
        if type(thread) is not int or thread < 0:
            raise BadRequest(f"thread {thread!r} is not a thread number (0, 1, 2, ...)", step=self.step)
        previous = self._thread
        self._thread, self._cache = thread, self.caches.get(thread)
        return previous

    def _restore(self, previous: int) -> None:
        self._thread, self._cache = previous, self.caches.get(previous)

    @contextmanager
    def thread(self, thread: int):
        """Run the operations inside the ``with`` block as ``thread``."""
        previous = self._switch(thread)
        try:
            yield self
        finally:
            self._restore(previous)

    def alloc(self, size: int, align: int | None = None, *, thread: int | None = None) -> int:
        if thread is None:
            return super().alloc(size, align)
        previous = self._switch(thread)
        try:
            return super().alloc(size, align)
        finally:
            self._restore(previous)

    def free(self, address: int, *, thread: int | None = None) -> None:
        if thread is None:
            super().free(address)
            if self._pending is not None:
                self._settle()
            return
        previous = self._switch(thread)
        try:
            super().free(address)
            if self._pending is not None:
                self._settle()
        finally:
            self._restore(previous)

    def _emit(self, event: Event) -> None:
        """Name the thread in the base class's Alloc and Free events, and the object's real size."""
        if type(event) is Alloc:
            span = self._pagemap[event.address >> self._shift]
            size = self.classes[span.sizeclass].size if span.sizeclass else span.npages * self.pageheap.page_size
            event = ThreadAlloc(event.step, event.address, event.size, size if size != event.size else 0, self._thread)
        elif type(event) is Free:
            event = ThreadFree(event.step, event.address, event.size, self._thread)
        super()._emit(event)

    @property
    def lock_acquisitions(self) -> int:
        """Every lock taken so far: transfer caches, central free lists and the page heap."""
        return sum(self.locks.values())

    # -- allocation ----------------------------------------------------------------------------
    def _alloc(self, size: int, align: int) -> int:
        if size <= self._max_small:
            cls = self._by_words[(size + 7) >> 3]
            if cls.size % align:
                cls = self.sizes.class_for(size, align)
            if cls is not None:
                if not self.thread_caches:
                    return self._central_alloc(cls)
                cache = self._cache or self._new_cache()
                objects = cache.lists[cls.index]
                if not objects:
                    self._refill(cache, cls)
                address = objects.pop()
                cache.size -= cls.size
                if len(objects) < cache.low_water[cls.index]:
                    cache.low_water[cls.index] = len(objects)
                return address
        return self._alloc_large(size, align)

    def _free(self, address: int, size: int) -> None:
        span = self._pagemap[address >> self._shift]
        index = span.sizeclass
        if not index:
            del self._large[address]
            self.pageheap.delete(span)
            return
        if not self.thread_caches:
            self.central[index].insert_range([address])
            self._pending = (None, index)  # its span events come after the Free event
            return
        cls = self.classes[index]
        cache = self._cache or self._new_cache()
        objects = cache.lists[index]
        objects.append(address)
        cache.size += cls.size
        if len(objects) > cache.max_length[index] or cache.size > cache.max_size:
            self._pending = (cache, index)

    def _new_cache(self) -> ThreadCache:
        cache = self.caches[self._thread] = ThreadCache(self._thread, self.sizes.classes, self.thread_cache_bytes)
        self._cache = cache
        return cache

    def _alloc_large(self, size: int, align: int) -> int:
        if align > self.pageheap.page_size:
            raise BadAlignment(f"tcmalloc aligns to at most a {self.pageheap.page_size}-byte page, not {align}")
        span = self.pageheap.new(-(-size // self.pageheap.page_size))
        address = self.pageheap.address(span)
        self._large[address] = span
        return address

    def _central_alloc(self, cls: SizeClass) -> int:
        (address,) = self.central[cls.index].remove_range(1)
        self._spans_changed(cls.index)
        return address
