"""Thread-caching malloc, after Google's TCMalloc design document (2005, as gperftools implements it).

Three layers, and the point of the design is where the locks are:

* **front end** (:mod:`.front`): a cache per thread, no locks;
* **middle end** (:mod:`.central`): per size class a transfer cache and a central free
  list, each behind a lock, trading objects in batches;
* **back end** (:mod:`.pageheap`): the page heap of spans, one lock, memory from the OS.

Objects move between the ends in batches.

Small requests are rounded to a size class (:mod:`.sizes`); large ones (over ``max_small``,
32 KiB by default as in the 2005 design; 256 KiB in gperftools and google/tcmalloc today) get a
span of whole pages straight from the page heap. Threads are simulated and
deterministic: ``alloc(size, thread=2)`` or ``with heap.thread(2): ...`` runs an operation as
thread 2; the plain contract (no thread) is thread 0. ``locks`` counts every lock acquisition,
so the same workload can be compared with ``thread_caches=False``, where every operation takes
a central lock, as in an allocator behind one lock.

Simplifications: threads are interleaved by the caller's schedule, never by the OS; per-thread
caches as in TCMalloc's legacy mode (google/tcmalloc caches per CPU); the legacy page
heap of spans, where google/tcmalloc now has a hugepage-aware back end (see :mod:`.pageheap`);
an alignment above the page size is refused with BadAlignment, where TCMalloc serves it from the
page heap with extra pages;
see each layer's module.
"""

from __future__ import annotations

from contextlib import contextmanager

from ...errors import BadAlignment, BadRequest
from ...events import Alloc, Event, Free
from ...memory import is_power_of_two
from ..base import FREE, Allocator, Block
from .central import CentralFreeList, TransferCache
from .front import ThreadCache
from .info import (
    ClassView,
    Flush,
    Refill,
    SpanCarve,
    SpanReturn,
    SpanView,
    TCMallocSnapshot,
    ThreadAlloc,
    ThreadFree,
    ThreadView,
    span_blocks,
)
from .pageheap import IN_USE, PageHeap, Span
from .sizes import SizeClass, SizeMap


class TCMalloc(Allocator):
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
        smallest, largest = self.os.page_size, max(self.os.page_size, 256 << 10)
        if type(page_size) is not int or not is_power_of_two(page_size) or not smallest <= page_size <= largest:
            raise BadRequest(
                f"tcmalloc page_size={page_size!r}: a power of two from {self.os.page_size} bytes to 256 KiB "
                "(TCMalloc builds with 4, 8, 32 or 256 KiB pages)"
            )
        for what, value in (
            ("thread_cache_bytes", thread_cache_bytes),
            ("transfer_slots", transfer_slots),
            ("grow_pages", grow_pages),
        ):
            if type(value) is not int or value < 1:
                raise BadRequest(f"tcmalloc {what}={value!r}: must be a positive integer")
        with self._option(max_small=max_small):
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
            return super().free(address)
        previous = self._switch(thread)
        try:
            super().free(address)
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
            if cls.size % align or align > self.sizes.page_size:  # objects sit at multiples of their size in a span
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

    def _free(self, address: int, size: int) -> tuple[ThreadCache | None, int] | None:
        """Back to the thread's list (or, without thread caches, the central list).

        What must follow (a span's new state, a batch back, a scavenge) goes to :meth:`_after_free`,
        so its events come after the Free event.
        """
        span = self._pagemap[address >> self._shift]
        index = span.sizeclass
        if not index:
            del self._large[address]
            self.pageheap.delete(span)
            return None
        if not self.thread_caches:
            self.central[index].insert_range([address])
            return (None, index)
        cls = self.classes[index]
        cache = self._cache or self._new_cache()
        objects = cache.lists[index]
        objects.append(address)
        cache.size += cls.size
        if len(objects) > cache.max_length[index] or cache.size > cache.max_size:
            return (cache, index)
        return None

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

    # -- moving objects between the ends in batches --------------------------------------------
    # Moving objects between TCMalloc's ends: refills, flushes, scavenging, exiting threads.
    #
    # Every move is a batch under one lock (see :mod:`.central`): a thread cache whose list
    # runs empty takes up to a batch (slow start: one more each time, up to the batch size); a list
    # that grows past its longest allowed length gives a batch back and may grow longer next time; a
    # cache over its byte limit scavenges half of what each list did not need lately; an exiting
    # thread gives everything back.

    def _after_free(self, address: int, size: int, pending: tuple[ThreadCache | None, int]) -> None:
        """After a free: a list that grew too long gives a batch back; a cache over its limit scavenges."""
        cache, index = pending
        if cache is None:
            return self._spans_changed(index)
        if len(cache.lists[index]) > cache.max_length[index]:
            self._too_long(cache, self.classes[index])
        if cache.size > cache.max_size:
            self.scavenge(cache.thread)

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

    # -- layout, snapshot and checks -----------------------------------------------------------
    # Reading a TCMalloc heap: where every object is, the snapshot for views, and the invariants.
    #
    # ``check()`` follows every object: each free object sits in exactly one place (a thread cache, a
    # transfer batch, or its span's free list), belongs to an in-use span of its size class at an
    # object boundary, and is not live; each span's count of handed-out objects matches; the pagemap
    # maps every page of an in-use span to that span; byte counts of the thread caches add up.

    def places(self) -> dict[int, str]:
        """Every free object of a small-object span and where it is."""
        where: dict[int, str] = {}
        for span in self.pageheap.spans:
            for address in span.free:
                where[address] = "central free list"
        for transfer in self.transfer[1:]:
            for batch in transfer.batches:
                for address in batch:
                    where[address] = "transfer cache"
        for thread, cache in self.caches.items():
            for objects in cache.lists:
                for address in objects:
                    where[address] = f"thread {thread} cache"
        return where

    def _spans(self):
        return sorted(self.pageheap.spans, key=lambda s: s.start)

    def layout(self) -> list[Block]:
        where, live, ph = self.places(), self._live, self.pageheap
        blocks: list[Block] = []
        for span in self._spans():
            address, size = ph.address(span), span.npages * ph.page_size
            if span.state != IN_USE:
                blocks.append(Block(address, size, FREE, f"page heap: {span.npages} free page(s)"))
            elif span.sizeclass:
                cls = self.classes[span.sizeclass]
                blocks += span_blocks(address, cls.size, cls.objects, size, live, where)
            else:
                blocks.append(Block(address, size, "allocated", "large: whole pages", requested=live[address][0]))
        return blocks

    def reclaimed(self) -> bool:
        """Nothing live: every object is back in a cache, a transfer batch or its span."""
        return not self._live and not self._large

    def extent(self) -> tuple[int, int]:
        spans = self._spans()
        if not spans:
            return 0, 0
        ph = self.pageheap
        return ph.address(spans[0]), ph.address(spans[-1]) + spans[-1].npages * ph.page_size

    def snapshot(self) -> TCMallocSnapshot:
        base = Allocator.snapshot(self)
        threads = tuple(
            ThreadView(
                t,
                tuple(
                    (self.classes[i].size, len(lst), c.max_length[i])
                    for i, lst in enumerate(c.lists)
                    if i and (lst or c.max_length[i] > 1)
                ),
                c.size,
                c.max_size,
            )
            for t, c in sorted(self.caches.items())
        )
        classes = tuple(
            ClassView(
                cls.size,
                cls.batch,
                self.transfer[cls.index].objects,
                self.central[cls.index].free_objects,
                self.central[cls.index].spans,
            )
            for cls in self.classes[1:]
            if self.central[cls.index].spans or self.transfer[cls.index].batches
        )
        ph, spans = self.pageheap, []
        for span in self._spans():
            if span.state != IN_USE:
                spans.append(SpanView(ph.address(span), span.npages, "free"))
            elif span.sizeclass:
                cls = self.classes[span.sizeclass]
                spans.append(SpanView(ph.address(span), span.npages, "small", cls.size, cls.objects, span.allocated))
            else:
                spans.append(SpanView(ph.address(span), span.npages, "large", span.npages * ph.page_size, 1, 1))
        return TCMallocSnapshot(
            base.blocks,
            base.start,
            base.end,
            base.stats,
            base.data,
            threads,
            classes,
            tuple(spans),
            tuple(self.locks.items()),
            ph.page_size,
        )

    def _check(self) -> None:
        ph, seen = self.pageheap, {}
        places = [("central free list", a) for s in ph.spans for a in s.free]
        places += [("transfer cache", a) for t in self.transfer[1:] for b in t.batches for a in b]
        places += [(f"thread {t} cache", a) for t, c in self.caches.items() for lst in c.lists for a in lst]
        for place, address in places:
            if address in seen:
                self._corrupt(f"free object {address:#x} is both in the {seen[address]} and the {place}", address)
            seen[address] = place
            if address in self._live:
                self._corrupt(f"live object {address:#x} is also free in the {place}", address)
            span = ph.pagemap.get(address >> ph.shift)
            if span is None or span.state != IN_USE or not span.sizeclass:
                self._corrupt(f"free object {address:#x} in the {place} is not in a small-object span", address)
            if (address - ph.address(span)) % self.classes[span.sizeclass].size:
                self._corrupt(f"free object {address:#x} in the {place} is not on an object boundary", address)
        for t, cache in self.caches.items():
            held = sum(len(lst) * self.classes[i].size for i, lst in enumerate(cache.lists) if i)
            if held != cache.size:
                self._corrupt(f"thread {t} cache counts {cache.size} bytes but holds {held}")
        for span in ph.spans:
            pages = range(span.start, span.start + span.npages)
            if span.state == IN_USE and any(ph.pagemap.get(p) is not span for p in pages):
                self._corrupt(f"a page of the span at {ph.address(span):#x} is not mapped to it", ph.address(span))
            if span.state == IN_USE and span.sizeclass:
                cls = self.classes[span.sizeclass]
                if span.allocated + len(span.free) != cls.objects:
                    self._corrupt(
                        f"span at {ph.address(span):#x}: {span.allocated} handed out + {len(span.free)} "
                        f"free != {cls.objects} objects",
                        ph.address(span),
                    )
