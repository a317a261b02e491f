"""mimalloc: free-list sharding (Leijen, Zorn and de Moura, 2019), as in mimalloc 2.0.9.

Where a classic allocator keeps one free list per size class (shared, so locked, and spread over
the whole heap), mimalloc keeps free lists **per page**, and three of them (:mod:`.page`): the
list ``malloc`` pops, the owner's own frees (``local_free``), and frees by other threads
(``thread_free``). Every thread has its own *heap* with a queue of pages per size class and its
own segments (:mod:`.segment`), so a ``malloc`` touches only memory of its own thread and takes no
lock; a ``free`` from another thread is one atomic push on the page's ``thread_free`` list. When a
page's ``free`` list runs out, it collects ``thread_free`` and ``local_free`` into a new ``free``
list (``_mi_page_free_collect``). Sharding one list into many makes allocation faster and keeps a
page's blocks together in memory.

The paths, in mimalloc's names:

* ``mi_malloc``: small requests (up to 1 KiB) pop from the first page of their bin's queue; when
  its ``free`` list is empty, or for larger sizes, ``_mi_malloc_generic`` first frees the blocks on
  the heap's delayed list, then searches the bin's queue: collect each page's lists; use the first
  with a free block, or extend one that has blocks never used; move full pages to the *full*
  queue; if none is left, take a fresh page from the thread's segments (a new segment if needed).
* ``mi_free``: the segment is the pointer rounded down to the segment size, the page follows from
  the slice. The owner pushes on ``local_free`` (a page that empties is retired or freed; a full
  page goes back to its queue); another thread pushes on ``thread_free``, except for the first
  such free in a page, which goes on the owner heap's *delayed* list so the owner notices the page.
* ``mi_realloc`` keeps the block while the new size fits and wastes at most half of it.

Threads are simulated and deterministic, as in memlab's TCMalloc: ``alloc(size, thread=2)``,
``free(p, thread=2)`` or ``with heap.thread(2): ...``; without one, thread 0 runs. No path here
takes a lock; ``atomics`` counts the atomic operations (compare-and-swap or exchange) that
mimalloc makes instead, all of them for frees from another thread and their collection.

The footprint counts what mimalloc itself counts as committed in its pages, as
``mi_heap_visit_blocks`` reports it: the blocks each page has threaded onto its free lists so far
(capacity times block size; a page extends 4 KiB of blocks at a time, so the rest of it is never
touched). ``reserved`` is the segments' whole mapped size.

Simplifications, besides those of the two modules: no deferred-free callbacks, no secure mode
(no guard pages, no encoded or randomized free lists), no statistics; an allocation that fails
for lack of memory keeps the housekeeping it did before it failed (collected lists, retired pages
freed), as mimalloc does; no block changes hands.
"""

from __future__ import annotations

from collections import Counter
from contextlib import contextmanager

from ...errors import BadAlignment, BadRequest
from ...events import Alloc, Event, Free
from ...memory import is_power_of_two
from ..base import ALLOCATED, DEAD, FREE, METADATA, Allocator, Block
from ..blocks import ViewCache
from .bins import (
    BIN_FULL,
    BIN_HUGE,
    BIN_SIZE,
    MAX_ALIGN_GUARANTEE,
    MEDIUM_OBJ_SIZE_MAX,
    MEDIUM_PAGE_SIZE,
    RETIRE_CYCLES,
    SLICE_SIZE,
    SMALL_OBJ_SIZE_MAX,
    SMALL_SIZE_MAX,
    bin_of,
    good_os_size,
    max_extend,
    page_start_offset,
    slice_bin,
)
from .info import (
    Collect,
    DelayedCollect,
    DelayedFree,
    HeapView,
    MiAlloc,
    MiFree,
    MiMallocSnapshot,
    PageExtend,
    PageFreed,
    PageFresh,
    PageFull,
    PageRetire,
    PageUnfull,
    PageView,
    SegmentFree,
    SegmentNew,
    SegmentView,
)
from .page import DELAYED_FREEING, NEVER_DELAYED_FREE, NO_DELAYED_FREE, USE_DELAYED_FREE, Page, PageQueue
from .segment import Segment, SpanQueues

SEGMENT_SIZE = 4 << 20
"""memlab's default segment: 64 slices (2.0.9 reserves 32 MiB; see :mod:`.segment`)."""


class Heap:
    """``mi_heap_t`` with its thread's ``tld``: page queues per bin, the delayed list, the free spans."""

    def __init__(self, thread: int, slices_per_segment: int) -> None:
        self.thread = thread
        self.queues = [PageQueue(i, BIN_SIZE[i]) for i in range(BIN_FULL + 1)]
        self.delayed = 0  # thread_delayed_free: blocks other threads freed into full or first-hit pages
        self.spans = SpanQueues(slices_per_segment)
        self.retired_min, self.retired_max = BIN_FULL, 0
        self.page_count = 0

    def queue_of(self, page: Page) -> PageQueue:
        """``mi_page_queue_of``: the full queue, or the queue of the page's bin."""
        return self.queues[BIN_FULL if page.in_full else bin_of(page.block_size)]


class MiMalloc(Allocator):
    """mimalloc 2.0.9: free-list sharding, three free lists per page, a heap per thread."""

    name = "mimalloc"
    default_align = 8  # mimalloc gives 8-byte blocks for the smallest requests; larger bins are 16-aligned
    simulates_threads = True  # alloc and free take ``thread=``

    def __init__(self, *, segment_size: int = SEGMENT_SIZE, **kw) -> None:
        super().__init__(**kw)
        if not is_power_of_two(segment_size) or segment_size < 16 * SLICE_SIZE:
            raise BadRequest(
                f"mimalloc segment_size={segment_size!r}: not a power of two of at least 1 MiB (16 slices)"
            )
        self.segment_size, self.slice_size = segment_size, SLICE_SIZE
        self.large_obj_max = segment_size // 2  # MI_LARGE_OBJ_SIZE_MAX
        self.alignment_max = segment_size // 2  # MI_ALIGNMENT_MAX
        self.segments: dict[int, Segment] = {}
        self.heaps: dict[int, Heap] = {}
        self.locks: dict[str, int] = {}  # none: no path here takes a lock
        self.atomics: Counter[str] = Counter()  # atomic operations, by what they were for
        self._thread = 0
        self._cache = ViewCache(self._key)  # layout and snapshot of the current state
        self._events = 0  # events told so far: a step that tells several (collect, then allocate) changes in between

    # -- simulated threads ----------------------------------------------------------------------------
    @property
    def current_thread(self) -> int:
        return self._thread

    def _switch(self, thread: int) -> int:
        if type(thread) is not int or thread < 0:
            raise BadRequest(f"thread {thread!r} is not a thread number (0, 1, 2, ...)", step=self.step)
        previous, self._thread = self._thread, thread
        return previous

    @contextmanager
    def thread(self, thread: int):
        """Run the operations inside the ``with`` block as ``thread``."""
        previous = self._switch(thread)
        try:
            yield self
        finally:
            self._thread = previous

    def alloc(self, size: int, align: int | None = None, *, thread: int | None = None) -> int:
        if thread is None:
            return super().alloc(size, align)
        with self.thread(thread):
            return super().alloc(size, align)

    def free(self, address: int, *, thread: int | None = None) -> None:
        if thread is None:
            return super().free(address)
        with self.thread(thread):
            return super().free(address)

    def _tell(self, event: Event) -> None:
        if self.recorder is not None:
            self._emit(event)

    def heap(self, thread: int | None = None) -> Heap:
        """The heap of ``thread`` (the running one by default), made on first use."""
        thread = self._thread if thread is None else thread
        heap = self.heaps.get(thread)
        if heap is None:
            heap = self.heaps[thread] = Heap(thread, self.segment_size // self.slice_size)
        return heap

    # -- memory words: free-list links live in the first word of each free block -------------------------
    def _next(self, block: int) -> int:
        return self.memory.read_word(block)

    def _link(self, block: int, nxt: int) -> None:
        self.memory.write_word(block, nxt)

    def list_of(self, head: int, limit: int) -> list[int]:
        """The blocks of a free list from ``head`` (at most ``limit + 1``, in case of a cycle)."""
        out = []
        while head and len(out) <= limit:
            out.append(head)
            head = self._next(head)
        return out

    # -- allocation --------------------------------------------------------------------------------------
    def _alloc(self, size: int, align: int) -> int:
        heap = self.heap()
        if align <= 8:
            return self.mi_malloc(heap, size)
        if align > self.alignment_max:
            raise BadAlignment(
                f"mimalloc here aligns to at most {self.alignment_max} bytes (half a segment), not {align}"
            )
        if is_power_of_two(size) and size >= align and size <= SMALL_SIZE_MAX:
            return self.mi_malloc(heap, size)  # naturally aligned: a power-of-two bin starts aligned
        if size <= SMALL_SIZE_MAX and align <= size:  # the next free block may happen to be aligned
            page = heap.queues[bin_of(size)].first
            if page is not None and page.free and page.free % align == 0:
                return self.page_malloc(page)
        if align <= size <= MAX_ALIGN_GUARANTEE and size % align == 0:
            return self.mi_malloc(heap, size)
        p = self.mi_malloc(heap, size + align - 1)  # over-allocate and align inside the block
        aligned = -(-p // align) * align
        if aligned != p:
            self.page_of(p).has_aligned = True
        return aligned

    def mi_malloc(self, heap: Heap, size: int) -> int:
        """``mi_heap_malloc``: pop from the bin's first page, else the generic path."""
        if size <= SMALL_SIZE_MAX:
            page = heap.queues[bin_of(size)].first
            if page is not None and page.free:
                return self.page_malloc(page)
        return self.malloc_generic(heap, size)

    def page_malloc(self, page: Page) -> int:
        """``_mi_page_malloc``: pop the head of the page's free list."""
        block = page.free
        page.free = self._next(block)
        page.used += 1
        return block

    def malloc_generic(self, heap: Heap, size: int) -> int:
        """``_mi_malloc_generic``: delayed frees first, then find (or make) a page with a free block."""
        self.delayed_free(heap)
        page = self.find_page(heap, size)
        return self.page_malloc(page)

    def delayed_free(self, heap: Heap) -> None:
        """``_mi_heap_delayed_free_partial``: free the blocks other threads left on this heap's delayed list."""
        block = heap.delayed
        if not block:
            return
        if self.recorder is not None:
            self._tell(DelayedCollect(self.step, heap.thread, len(self.list_of(block, 1 << 20))))
        heap.delayed = 0
        self.atomics["delayed list take"] += 1
        while block:
            nxt = self._next(block)
            page = self.page_of(block)
            if page.delayed != NEVER_DELAYED_FREE and page.delayed != USE_DELAYED_FREE:
                page.delayed = USE_DELAYED_FREE  # the next free from another thread tells the owner again
                self.atomics["delayed flag reset"] += 1
            self.page_collect(page)
            self.free_block_local(page, block)
            block = nxt

    def find_page(self, heap: Heap, size: int) -> Page:
        """``mi_find_page``: a page of the request's bin with a free block (large blocks: a fresh page)."""
        if size > MEDIUM_OBJ_SIZE_MAX:
            return self.large_page(heap, size)
        pq = heap.queues[bin_of(size)]
        page = pq.first
        if page is not None:
            self.page_collect(page)
            if page.free:
                page.retire_expire = 0
                return page
        return self.find_free(heap, pq)

    def find_free(self, heap: Heap, pq: PageQueue) -> Page:
        """``mi_page_queue_find_free_ex``: walk the queue; full pages move to the full queue."""
        page = pq.first
        while page is not None:
            nxt = page.next
            self.page_collect(page)
            if page.free:
                break
            if page.capacity < page.reserved:
                self.extend(page)
                break
            self.to_full(heap, page, pq)
            page = nxt
        if page is None:
            self.collect_retired(heap, force=False)
            return self.page_fresh(heap, pq, pq.block_size)
        page.retire_expire = 0
        return page

    def page_collect(self, page: Page, force: bool = False) -> None:
        """``_mi_page_free_collect``: thread_free joins local_free; if free is empty, local_free becomes it."""
        remote = 0
        if page.thread_free:
            self.atomics["thread_free take"] += 1
            head, page.thread_free = page.thread_free, 0
            tail, remote = head, 1
            while (nxt := self._next(tail)) and remote <= page.capacity:
                tail, remote = nxt, remote + 1
            self._link(tail, page.local_free)
            page.local_free = head
            page.used -= remote
        if page.local_free and (force or not page.free):
            local = len(self.list_of(page.local_free, page.capacity)) - remote if self.recorder is not None else 0
            if page.free:  # forced: append the free list behind local_free (linear; mimalloc does it only here)
                tail = page.local_free
                while nxt := self._next(tail):
                    tail = nxt
                self._link(tail, page.free)
            page.free, page.local_free = page.local_free, 0
            self._tell(Collect(self.step, page.address, remote, local))

    def extend(self, page: Page) -> None:
        """``mi_page_extend_free``: thread the next blocks (at most 4 KiB of them) onto the free list."""
        bsize = page.block_size
        count = min(page.reserved - page.capacity, max_extend(bsize))
        first = page.start + page.capacity * bsize
        for i in range(count - 1):
            self._link(first + i * bsize, first + (i + 1) * bsize)
        self._link(first + (count - 1) * bsize, page.free)
        page.free = first
        page.capacity += count
        self._add_footprint(count * bsize)  # the blocks now on a list are memory mimalloc counts as committed
        self._tell(PageExtend(self.step, page.address, count, page.capacity, page.reserved))

    def to_full(self, heap: Heap, page: Page, pq: PageQueue) -> None:
        """``mi_page_to_full``: no free block and no room to extend: out of the way of allocation."""
        if page.in_full:
            return
        heap.queues[BIN_FULL].append_from(pq, page, full=True)
        self._tell(PageFull(self.step, page.address, heap.thread))
        self.page_collect(page)

    def collect(self, *, thread: int | None = None, force: bool = False) -> None:
        """``mi_heap_collect``: free the delayed blocks, retired and empty pages (and empty segments)."""
        with self.thread(self._thread if thread is None else thread):
            self.step += 1
            heap = self.heap()
            self.delayed_free(heap)
            self.collect_retired(heap, force=force)
            for pq in heap.queues:
                for page in pq.pages():
                    self.page_collect(page, force)
                    if page.all_free():
                        self.page_free(heap, page, pq)

    # -- pages and segments ---------------------------------------------------------------------------------
    def page_fresh(self, heap: Heap, pq: PageQueue, block_size: int) -> Page:
        """``mi_page_fresh_alloc``: a page from the thread's segments, set up and pushed on ``pq``."""
        page = self.segment_page_alloc(heap, block_size)
        self.page_init(heap, page, page.size if pq.index == BIN_HUGE else block_size)
        pq.push(page)
        heap.page_count += 1
        self._tell(PageFresh(self.step, page.address, page.block_size, heap.thread, page.slice_count))
        self.extend(page)
        return page

    def page_init(self, heap: Heap, page: Page, block_size: int) -> None:
        """``mi_page_init``: the page's block size, where its blocks start, how many fit."""
        page.block_size = block_size
        offset = page_start_offset(block_size)
        page.start = page.address + offset
        page.reserved = (page.size - offset) // block_size
        page.thread = heap.thread
        page.delayed = USE_DELAYED_FREE

    def large_page(self, heap: Heap, size: int) -> Page:
        """``mi_large_huge_page_alloc``: one block in a page of its own (huge ones in their own segment)."""
        return self.page_fresh(heap, heap.queues[BIN_HUGE], good_os_size(size, self.os.page_size))

    def segment_page_alloc(self, heap: Heap, block_size: int) -> Page:
        """``_mi_segment_page_alloc``: small, medium and large pages from spans; huge ones get a segment."""
        if block_size > self.large_obj_max:
            return self.huge_page(heap, block_size)
        if block_size <= SMALL_OBJ_SIZE_MAX:
            required = block_size
        elif block_size <= MEDIUM_OBJ_SIZE_MAX:
            required = MEDIUM_PAGE_SIZE
        else:
            required = block_size
        unit = MEDIUM_PAGE_SIZE if required > MEDIUM_PAGE_SIZE else self.slice_size
        slices = -(-required // unit) * unit // self.slice_size
        found = heap.spans.find(slices)
        if found is None:
            self.segment_alloc(heap)
            found = heap.spans.find(slices)
        segment, start = found
        heap.spans.delete(segment, start)
        count = segment.drop_run(start)
        segment.set_run(start, slices)
        if count > slices:  # split: the rest stays a free span
            segment.set_run(start + slices, count - slices)
            heap.spans.push(segment, start + slices)
        page = segment.pages[start] = Page(segment, start, slices)
        segment.used += 1
        return page

    def huge_page(self, heap: Heap, block_size: int) -> Page:
        """``mi_segment_huge_page_alloc``: a segment just big enough for one block."""
        info = self._info_slices()
        slices = info + -(-block_size // self.slice_size)
        segment = self._map_segment(heap, slices * self.slice_size, "huge", info)
        segment.set_run(info, slices - info)
        page = segment.pages[info] = Page(segment, info, slices - info)
        segment.used = 1
        return page

    def _info_slices(self) -> int:
        return Segment(0, self.segment_size, self.slice_size, 0).info

    def segment_alloc(self, heap: Heap) -> Segment:
        """``mi_segment_alloc``: map a segment; all its slices after the descriptor are one free span."""
        segment = self._map_segment(heap, self.segment_size, "normal")
        segment.set_run(segment.info, segment.slices - segment.info)
        heap.spans.push(segment, segment.info)
        return segment

    def _map_segment(self, heap: Heap, size: int, kind: str, info: int | None = None) -> Segment:
        """mmap ``size`` bytes aligned to the segment size (if the OS's place is not, over-map and trim)."""
        align, page = self.segment_size, self.os.page_size
        address = self.os.mmap(size)
        if address % align:
            self.os.munmap(address, size)
            raw = self.os.mmap(size + align - page)
            address = -(-raw // align) * align
            if address > raw:
                self.os.munmap(raw, address - raw)
            if raw + align - page > address:
                self.os.munmap(address + size, raw + align - page - address)
        segment = Segment(address, size, self.slice_size, heap.thread, kind, info)
        self.segments[address] = segment
        self._tell(SegmentNew(self.step, address, size, heap.thread, kind))
        return segment

    def segment_of(self, address: int) -> Segment | None:
        """``_mi_ptr_segment``: round down to the segment size."""
        return self.segments.get((address - 1) & -self.segment_size)

    def page_of(self, address: int) -> Page:
        """The page holding a block (its segment, then its slice)."""
        return self.segment_of(address).page_of(address)

    # -- free ------------------------------------------------------------------------------------------------
    def _free(self, address: int, size: int) -> tuple[Page, bool] | None:
        """``mi_free``: one push on a list; what follows for the page comes after (:meth:`_after_free`)."""
        segment = self.segment_of(address)
        page = segment.page_of(address)
        block = page.block_of(address) if page.has_aligned else address
        if segment.thread == self._thread:
            self._push_local(page, block)
            return page, True
        first = page.delayed == USE_DELAYED_FREE
        self.free_block_mt(page, block)
        return (page, False) if first else None

    def _after_free(self, address: int, size: int, pending: tuple[Page, bool]) -> None:
        page, local = pending
        if not local:
            self._tell(DelayedFree(self.step, page.address, page.thread, self._thread))
        elif page.used == 0:
            self.page_retire(page)
        elif page.in_full:
            self.unfull(page)

    def _push_local(self, page: Page, block: int) -> None:
        self._link(block, page.local_free)
        page.local_free = block
        page.used -= 1

    def free_block_local(self, page: Page, block: int) -> None:
        """The owner frees: push on ``local_free``; retire an empty page, bring a full one back."""
        self._push_local(page, block)
        if page.used == 0:
            self.page_retire(page)
        elif page.in_full:
            self.unfull(page)

    def free_block_mt(self, page: Page, block: int) -> None:
        """``_mi_free_block_mt``: another thread frees: one atomic push, on thread_free or the owner's delayed list."""
        if page.delayed == USE_DELAYED_FREE:
            page.delayed = DELAYED_FREEING
            owner = self.heaps[page.thread]
            self._link(block, owner.delayed)
            owner.delayed = block
            page.delayed = NO_DELAYED_FREE
            self.atomics["delayed free (flag, push, flag)"] += 3
            return
        self._link(block, page.thread_free)
        page.thread_free = block
        self.atomics["thread_free push"] += 1

    def unfull(self, page: Page) -> None:
        """``_mi_page_unfull``: back from the full queue to the end of its bin's queue."""
        heap = self.heaps[page.thread]
        heap.queues[bin_of(page.block_size)].append_from(heap.queues[BIN_FULL], page, full=False)
        self._tell(PageUnfull(self.step, page.address))

    def page_retire(self, page: Page) -> None:
        """``_mi_page_retire``: keep the only page of a bin for a while; free any other empty page."""
        heap = self.heaps[page.thread]
        pq = heap.queue_of(page)
        page.has_aligned = False
        if page.block_size <= MEDIUM_OBJ_SIZE_MAX and pq.index < BIN_HUGE and pq.first is page and pq.last is page:
            page.retire_expire = 1 + (RETIRE_CYCLES if page.block_size <= SMALL_OBJ_SIZE_MAX else RETIRE_CYCLES // 4)
            heap.retired_min = min(heap.retired_min, pq.index)
            heap.retired_max = max(heap.retired_max, pq.index)
            self._tell(PageRetire(self.step, page.address, page.retire_expire))
            return
        self.page_free(heap, page, pq)

    def collect_retired(self, heap: Heap, *, force: bool) -> None:
        """``_mi_heap_collect_retired``: count retired pages down; free those that expire."""
        lo, hi = BIN_FULL, 0
        for index in range(heap.retired_min, heap.retired_max + 1):
            pq = heap.queues[index]
            page = pq.first
            if page is None or not page.retire_expire:
                continue
            if not page.all_free():
                page.retire_expire = 0
                continue
            page.retire_expire -= 1
            if force or page.retire_expire == 0:
                self.page_free(heap, page, pq)
            else:
                lo, hi = min(lo, index), max(hi, index)
        heap.retired_min, heap.retired_max = lo, hi

    def page_free(self, heap: Heap, page: Page, pq: PageQueue) -> None:
        """``_mi_page_free``: out of its queue, its slices back to the segment (which may go back to the OS)."""
        pq.remove(page)
        heap.page_count -= 1
        page.retire_expire = 0
        segment = page.segment
        self._tell(PageFreed(self.step, page.address, page.slice_count))
        start = page.slice_index
        del segment.pages[start]
        segment.used -= 1
        self._add_footprint(-page.capacity * page.block_size)
        if segment.kind == "huge":
            self.segment_free(segment)
            return
        spans = self.heaps[segment.thread].spans
        count = segment.drop_run(start)
        nxt = start + count
        if segment.is_free(nxt):  # coalesce with the free span after it
            spans.delete(segment, nxt)
            count += segment.drop_run(nxt)
        before = segment.ends.get(start - 1)
        if before is not None and segment.is_free(before):  # ... and the one before it
            spans.delete(segment, before)
            count += segment.drop_run(before)
            start = before
        segment.set_run(start, count)
        if segment.used == 0:
            self.segment_free(segment)
        else:
            spans.push(segment, start)

    def segment_free(self, segment: Segment) -> None:
        """``mi_segment_free``: every page is free; the segment goes back to the OS."""
        del self.segments[segment.address]
        self.os.munmap(segment.address, segment.size)
        self._tell(SegmentFree(self.step, segment.address, segment.size))

    # -- realloc ---------------------------------------------------------------------------------------------
    def _resize(self, address: int, old_size: int, new_size: int) -> bool:
        """``mi_realloc`` keeps the block while the new size fits and wastes at most half of it."""
        page = self.page_of(address)
        usable = page.block_size - (address - page.block_of(address))
        return new_size <= usable and new_size >= usable // 2

    # -- events ------------------------------------------------------------------------------------------------
    def _emit(self, event: Event) -> None:
        """Name the thread in Alloc and Free events, the block's real size, and the list it went to."""
        if type(event) is Alloc:
            page = self.page_of(event.address)
            source = f"a block of the page at {page.address:#x}"
            event = MiAlloc(event.step, event.address, event.size, page.block_size, self._thread, source)
        elif type(event) is Free:
            event = MiFree(event.step, event.address, event.size, self._thread, self._went(event.address))
        self._events += 1
        super()._emit(event)

    def _went(self, address: int) -> str:
        segment = self.segment_of(address)
        page = segment.page_of(address) if segment is not None else None
        if page is None:
            return "its page is free now"
        block = page.block_of(address)
        if page.local_free == block:
            return f"pushed on the local_free list of the page at {page.address:#x} (the owner's own free)"
        if page.thread_free == block:
            return f"pushed on the thread_free list of thread {page.thread}'s page at {page.address:#x}"
        if self.heaps[page.thread].delayed == block:
            return f"pushed on thread {page.thread}'s delayed free list"
        return f"the page at {page.address:#x} is empty"

    # -- reading the heap --------------------------------------------------------------------------------------
    @property
    def reserved(self) -> int:
        """Bytes of the segments mapped (the footprint counts only their committed slices)."""
        return sum(s.size for s in self.segments.values())

    def pages(self) -> list[Page]:
        """Every page, in address order."""
        return [p for s in sorted(self.segments.values(), key=lambda s: s.address) for _, p in sorted(s.pages.items())]

    def _key(self) -> tuple:
        return (self.step, self._events, len(self._live), self._live_bytes, self._footprint, self._thread)

    def places(self) -> dict[int, str]:
        """Every free block that is on a list, and which list."""
        where: dict[int, str] = {}
        for v in self.views().values():
            for name, blocks in (("free", v.free), ("local_free", v.local_free), ("thread_free", v.thread_free)):
                for block in blocks:
                    where[block] = name
            for block in v.delayed:
                where[block] = "its owner's delayed list"
        return where

    def views(self) -> dict[int, PageView]:
        """Every page as plain data, by the page's address (computed once per state of the heap)."""
        return self._cache.get("views", self._views)

    def _views(self) -> dict[int, PageView]:
        delayed: dict[int, list[int]] = {}
        for heap in self.heaps.values():
            for block in self.list_of(heap.delayed, 1 << 20):
                segment = self.segment_of(block)
                page = segment.page_of(block) if segment is not None else None
                delayed.setdefault(page.address if page is not None else 0, []).append(block)
        return {p.address: self._page_view(p, tuple(delayed.get(p.address, ()))) for p in self.pages()}

    def page_lists(self, page: Page) -> tuple[list[int], list[int], list[int]]:
        """The page's free, local_free and thread_free lists, head first, read from one copy of its blocks.

        A link that leaves the page's blocks (a corrupted one) ends its list after that block, which
        ``check()`` then names; a list longer than the page's capacity has run into a cycle.
        """
        size = page.capacity * page.block_size
        data = self.memory.read(page.start, size) if size else b""

        def walk(head: int) -> list[int]:
            out = []
            while head and len(out) <= page.capacity:
                out.append(head)
                offset = head - page.start
                if not 0 <= offset <= size - 8:
                    break
                head = int.from_bytes(data[offset : offset + 8], "little")
            return out

        return walk(page.free), walk(page.local_free), walk(page.thread_free)

    def _page_view(self, page: Page, delayed: tuple[int, ...]) -> PageView:
        free, local, remote = self.page_lists(page)
        return PageView(
            page.address,
            page.start,
            page.segment.address,
            page.thread,
            page.block_size,
            bin_of(page.block_size),
            page.slice_count,
            page.reserved,
            page.capacity,
            page.used,
            tuple(free),
            tuple(local),
            tuple(remote),
            delayed,
            page.in_full,
            page.retire_expire,
        )

    def page_view(self, page: Page) -> PageView:
        """One page as plain data: its counts and its three free lists."""
        return self.views()[page.address]

    def layout(self) -> list[Block]:
        return list(self._cache.get("layout", self._layout))

    def _layout(self) -> list[Block]:
        blocks: list[Block] = []
        views = self.views()
        live = self._live
        for segment in sorted(self.segments.values(), key=lambda s: s.address):
            for start, count in sorted(segment.runs.items()):
                address, size = segment.address + start * self.slice_size, count * self.slice_size
                if start == 0:
                    blocks.append(Block(address, size, METADATA, "segment and page descriptors"))
                elif start in segment.pages:
                    blocks += self._page_blocks(segment.pages[start], views[segment.pages[start].address], live)
                else:
                    blocks.append(Block(address, size, FREE, f"free span of {count} slice(s)"))
        return blocks

    def _page_blocks(self, page: Page, view: PageView, live: dict) -> list[Block]:
        """A page's blocks: the ones on no list are in use; the others are grouped in free runs."""
        out = []
        bsize = page.block_size
        if page.start > page.address:
            out.append(Block(page.address, page.start - page.address, DEAD, "page start offset, left unused"))
        end = page.address + page.size
        aligned = {page.block_of(a): a for a in live if page.start <= a < end} if page.has_aligned else {}
        listed = {*view.free, *view.local_free, *view.thread_free, *view.delayed}
        used = sorted(set(range(page.start, page.start + page.capacity * bsize, bsize)) - listed)
        cursor = page.start
        for a in used + [page.start + page.capacity * bsize]:
            if a > cursor:
                n = (a - cursor) // bsize
                label = f"{n} free {bsize}-byte blocks, on the page's lists" if n > 1 else "free, on the page's lists"
                out.append(Block(cursor, a - cursor, FREE, label))
            if a == page.start + page.capacity * bsize:
                break
            adjust = aligned.get(a, a) - a
            requested = live.get(a + adjust, (bsize,))[0]
            out.append(Block(a, bsize, ALLOCATED, f"{bsize}-byte block", header=adjust, requested=requested))
            cursor = a + bsize
        unused = page.reserved - page.capacity
        if unused:
            label = f"{unused} blocks not on any list yet" if unused > 1 else "a block not on any list yet"
            out.append(Block(page.start + page.capacity * bsize, unused * bsize, FREE, label))
        tail = page.address + page.size - (page.start + page.reserved * bsize)
        if tail:
            out.append(Block(page.address + page.size - tail, tail, DEAD, "page tail: too small for a block"))
        return out

    def extent(self) -> tuple[int, int]:
        if not self.segments:
            return 0, 0
        return min(self.segments), max(s.address + s.size for s in self.segments.values())

    def reclaimed(self) -> bool:
        """Nothing live: every block of every page is free or waits on a list to be collected."""
        return not self._live and all(v.live == 0 for v in (self.page_view(p) for p in self.pages()))

    def snapshot(self) -> MiMallocSnapshot:
        return self._cache.get("snapshot", self._snapshot)

    def _snapshot(self) -> MiMallocSnapshot:
        base = Allocator.snapshot(self)
        segments = []
        for s in sorted(self.segments.values(), key=lambda s: s.address):
            spans = tuple(
                (start, count, "info" if start == 0 else "page" if start in s.pages else "free")
                for start, count in sorted(s.runs.items())
            )
            segments.append(SegmentView(s.address, s.size, s.thread, s.kind, spans))
        heaps = tuple(
            HeapView(
                t,
                tuple(
                    (q.index, q.block_size, tuple(p.address for p in q.pages()))
                    for q in h.queues[:BIN_FULL]
                    if q.first is not None
                ),
                tuple(p.address for p in h.queues[BIN_FULL].pages()),
                tuple(self.list_of(h.delayed, 1 << 20)),
            )
            for t, h in sorted(self.heaps.items())
        )
        snap = MiMallocSnapshot(
            base.blocks,
            base.start,
            base.end,
            base.stats,
            base.data,
            tuple(segments),
            tuple(self.views()[p.address] for p in self.pages()),
            heaps,
            self.slice_size,
            self.segment_size,
        )
        return snap

    # -- check ---------------------------------------------------------------------------------------------------
    def check(self) -> None:
        """mimalloc's own invariants first (they name the page or segment), then the contract's."""
        self._check_mimalloc()
        super().check()

    def _check_mimalloc(self) -> None:
        seen: dict[int, str] = {}
        live_per_page: dict[int, int] = {}
        live_blocks: set[int] = set()
        for address in self._live:
            segment = self.segment_of(address)
            page = segment.page_of(address) if segment is not None else None
            if page is None:
                self._corrupt(f"live block {address:#x} lies in no page", address)
            live_per_page[id(page)] = live_per_page.get(id(page), 0) + 1
            live_blocks.add(page.block_of(address))
        for heap in self.heaps.values():
            self._check_heap(heap)
        for segment in self.segments.values():
            self._check_segment(segment)
        for page in self.pages():
            view = self.page_view(page)
            where = f"the page at {page.address:#x}"
            lists = (("free", view.free), ("local_free", view.local_free))
            lists += (("thread_free", view.thread_free), ("delayed", view.delayed))
            blocks_of_page = set(range(page.start, page.start + page.capacity * page.block_size, page.block_size))
            for name, blocks in lists:
                if len(blocks) > page.capacity:
                    self._corrupt(f"the {name} list of {where} runs in a circle", page.address)
                stray = set(blocks) - blocks_of_page
                if stray:
                    block = next(b for b in blocks if b in stray)
                    self._corrupt(f"the {name} list of {where} holds {block:#x}, not one of its blocks", block)
                live = live_blocks & set(blocks)
                if live:
                    block = next(b for b in blocks if b in live)
                    self._corrupt(f"live block {block:#x} is on the {name} list of its page", block)
                both = seen.keys() & set(blocks)
                if both or len(set(blocks)) != len(blocks):
                    block = next(b for b in blocks if b in both or blocks.count(b) > 1)
                    first = seen.get(block, name)
                    self._corrupt(f"block {block:#x} is on both the {first} and the {name} list", block)
                seen.update(dict.fromkeys(blocks, name))
            listed = len(view.free) + len(view.local_free)
            if page.used + listed != page.capacity:
                self._corrupt(
                    f"{where}: used {page.used} + {listed} on free and local_free != capacity {page.capacity}",
                    page.address,
                )
            live = live_per_page.get(id(page), 0)
            if view.live != live:
                self._corrupt(f"{where} has {view.live} blocks in use by its counts, {live} are live", page.address)
        committed = sum(page.capacity * page.block_size for page in self.pages())
        if self.footprint != committed:
            self._corrupt(f"the footprint is {self.footprint} bytes but the pages have committed {committed}")

    def _check_heap(self, heap: Heap) -> None:
        queued: set[int] = set()
        for q in heap.queues:
            previous = None
            for page in q.pages():
                where = f"the page at {page.address:#x}"
                if id(page) in queued:
                    self._corrupt(f"{where} is in two of thread {heap.thread}'s queues", page.address)
                queued.add(id(page))
                if page.prev is not previous:
                    self._corrupt(f"the queue of bin {q.index}: {where} does not link back", page.address)
                if page.thread != heap.thread:
                    self._corrupt(f"{where} of thread {page.thread} is in thread {heap.thread}'s queue", page.address)
                if page.in_full != (q.index == BIN_FULL):
                    self._corrupt(f"{where} says in_full={page.in_full} but sits in queue {q.index}", page.address)
                if q.index != BIN_FULL and bin_of(page.block_size) != q.index:
                    self._corrupt(f"{where} of {page.block_size}-byte blocks is in bin {q.index}", page.address)
                previous = page
            if q.last is not previous:
                self._corrupt(f"thread {heap.thread}'s queue of bin {q.index} has a wrong last page")
        owned = [p for p in self.pages() if p.thread == heap.thread]
        if len(owned) != len(queued) or len(owned) != heap.page_count:
            counts = f"{len(owned)} pages, {len(queued)} are queued, {heap.page_count} counted"
            self._corrupt(f"thread {heap.thread} owns {counts}")

    def _check_segment(self, segment: Segment) -> None:
        where, covered = f"the segment at {segment.address:#x}", 0
        for start, count in sorted(segment.runs.items()):
            if start != covered:
                self._corrupt(f"{where}: slices {covered} to {start - 1} belong to no span", segment.address)
            covered = start + count
            if segment.is_free(start) and segment.kind == "normal":
                if (segment, start) not in self.heaps[segment.thread].spans.queues[slice_bin(count)]:
                    self._corrupt(f"{where}: the free span at slice {start} is in no span queue", segment.address)
                if segment.is_free(start + count):
                    self._corrupt(f"{where}: two free spans side by side (slice {start + count})", segment.address)
        if covered != segment.slices:
            self._corrupt(f"{where} has {segment.slices} slices, its spans cover {covered}", segment.address)
        if segment.used != len(segment.pages):
            self._corrupt(f"{where} counts {segment.used} pages, holds {len(segment.pages)}", segment.address)
