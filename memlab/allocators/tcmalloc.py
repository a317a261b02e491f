"""Thread-caching malloc, after Google's TCMalloc design document.

Three layers, and the point of the design is where the locks are:

* **front end** (:mod:`.tcmalloc_front`): a cache per thread, no locks;
* **middle end** (:mod:`.tcmalloc_central`): per size class a transfer cache and a central free
  list, each behind a lock, trading objects in batches;
* **back end** (:mod:`.tcmalloc_pageheap`): the page heap of spans, one lock, memory from the OS.

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
from .tcmalloc_central import CentralFreeList, TransferCache
from .tcmalloc_front import ThreadCache
from .tcmalloc_info import Flush, Refill, SpanCarve, SpanReturn, ThreadAlloc, ThreadFree
from .tcmalloc_inspect import TCMallocInspection
from .tcmalloc_pageheap import PageHeap, Span
from .tcmalloc_sizes import SizeClass, SizeMap


@register("tcmalloc", max_request=40_000, aligns=(None, 16, 64, 4096))
class TCMalloc(TCMallocInspection, Allocator):
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

    def _settle(self) -> None:
        """After a free: a list that grew too long gives a batch back; a cache over its limit scavenges."""
        cache, index = self._pending
        self._pending = None
        if cache is None:
            return self._spans_changed(index)
        if len(cache.lists[index]) > cache.max_length[index]:
            self._too_long(cache, self.classes[index])
        if cache.size > cache.max_size:
            self.scavenge(cache.thread)

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

    # -- moving batches between the ends --------------------------------------------------------
    def _refill(self, cache: ThreadCache, cls: SizeClass) -> None:
        want = min(cache.max_length[cls.index], cls.batch)
        objects, source = self.transfer[cls.index].remove_range(want)
        cache.lists[cls.index].extend(objects)
        cache.size += len(objects) * cls.size
        self._spans_changed(cls.index)
        cache.grow_limit(cls)
        if self.recorder is not None:
            self._emit(Refill(self.step, cache.thread, cls.size, len(objects), source))

    def _give_back(self, cache: ThreadCache, cls: SizeClass, count: int, why: str) -> None:
        objects = cache.lists[cls.index]
        batch = objects[:count]
        del objects[:count]
        cache.size -= count * cls.size
        dest = self.transfer[cls.index].insert_range(batch)
        if self.recorder is not None:
            self._emit(Flush(self.step, cache.thread, cls.size, count, dest, why))
        self._spans_changed(cls.index)

    def _too_long(self, cache: ThreadCache, cls: SizeClass) -> None:
        self._give_back(cache, cls, min(cls.batch, len(cache.lists[cls.index])), "is too long")
        if cache.max_length[cls.index] < cls.batch:
            cache.max_length[cls.index] += 1

    def scavenge(self, thread: int = 0) -> int:
        """Give back half of what each list of ``thread`` did not need lately; return the objects moved."""
        cache = self.caches.get(thread)
        if cache is None:
            return 0
        moved = 0
        for index, count in enumerate(cache.scavenge_amounts()):
            if count:
                self._give_back(cache, self.classes[index], count, "is scavenged")
                moved += count
        return moved

    def exit_thread(self, thread: int) -> int:
        """The thread ends: its whole cache goes back to the middle end; return the objects moved."""
        cache = self.caches.pop(thread, None)
        if cache is None:
            return 0
        moved = 0
        for index, objects in enumerate(cache.lists):
            if objects:
                moved += len(objects)
                self._give_back(cache, self.classes[index], len(objects), "goes back as the thread exits")
        if self._thread == thread:
            self._cache = None
        return moved

    def release_free_memory(self) -> int:
        """Hand every free span of the page heap back to the OS; return the bytes released."""
        self.step += 1
        return self.pageheap.release()

    def _spans_changed(self, index: int) -> None:
        central = self.central[index]
        if central.events:
            events, central.events = central.events, []
            if self.recorder is not None:
                size = self.classes[index].size
                for kind, span, address in events:
                    if kind == "carve":
                        self._emit(SpanCarve(self.step, address, span.npages, size, self.classes[index].objects))
                    else:
                        self._emit(SpanReturn(self.step, address, span.npages, size))
