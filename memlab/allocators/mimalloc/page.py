"""A mimalloc page and its queues (``page.c``, ``page-queue.c``): the heart of free-list sharding.

A page holds blocks of one size and keeps **three free lists**, each threaded through the free
blocks themselves (here: the first word of each block, in the simulated bytes):

* ``free``: the blocks ``malloc`` pops, one by one, with no atomic operation;
* ``local_free``: blocks the owning thread freed. They are *not* pushed on ``free``: ``free``
  only runs out after a bounded number of allocations, and then ``local_free`` becomes the new
  ``free`` in one step (a regular "heartbeat" for deferred work, in the paper's words);
* ``thread_free``: blocks other threads freed, pushed with one atomic compare-and-swap.
  When ``free`` runs out, ``_mi_page_free_collect`` takes this list over in one atomic exchange,
  prepends it to ``local_free``, and ``local_free`` becomes ``free``.

``used`` counts the blocks not on ``free`` or ``local_free``: blocks in use, plus blocks freed by
other threads that the page has not collected yet. ``capacity`` blocks have been put on the free
list so far (the page is extended 4 KiB of blocks at a time), ``reserved`` fit in the page.

A heap keeps its pages in a queue per bin; full pages move to a separate *full* queue, so that
allocation never walks over them, and come back (at the end of their bin's queue) when a block is
freed. Simplifications: the thread-free list's delayed-free flag is a field of its own (mimalloc
keeps it in the low two bits of the list head), and the page's fields are Python attributes (in
mimalloc they are a 80-byte descriptor in the segment's first slice, drawn as metadata).
"""

from __future__ import annotations

USE_DELAYED_FREE, DELAYED_FREEING, NO_DELAYED_FREE, NEVER_DELAYED_FREE = 0, 1, 2, 3
"""``mi_delayed_t``: may a free from another thread go to the owner heap's delayed list?"""


class Page:
    """``mi_page_t``: one page of a segment, with its three free lists and its queue links."""

    __slots__ = (
        "segment",
        "slice_index",
        "slice_count",
        "block_size",
        "start",
        "reserved",
        "capacity",
        "used",
        "free",
        "local_free",
        "thread_free",
        "delayed",
        "in_full",
        "has_aligned",
        "retire_expire",
        "thread",
        "next",
        "prev",
    )

    def __init__(self, segment, slice_index: int, slice_count: int) -> None:
        self.segment = segment
        self.slice_index, self.slice_count = slice_index, slice_count
        self.block_size = 0
        self.start = 0  # address of the first block
        self.reserved = self.capacity = self.used = 0
        self.free = self.local_free = self.thread_free = 0  # list heads; 0 is NULL
        self.delayed = USE_DELAYED_FREE
        self.in_full = self.has_aligned = False
        self.retire_expire = 0
        self.thread = segment.thread
        self.next: Page | None = None
        self.prev: Page | None = None

    @property
    def address(self) -> int:
        """Where the page's slices begin in the segment."""
        return self.segment.address + self.slice_index * self.segment.slice_size

    @property
    def size(self) -> int:
        """Bytes of the page's slices."""
        return self.slice_count * self.segment.slice_size

    def all_free(self) -> bool:
        """``mi_page_all_free``: no block in use (nor waiting on the thread-free list)."""
        return self.used == 0

    def immediate_available(self) -> bool:
        """``mi_page_immediate_available``: a block can be popped right now."""
        return self.free != 0

    def block_of(self, address: int) -> int:
        """The start of the block holding ``address`` (``_mi_page_ptr_unalign``)."""
        return address - (address - self.start) % self.block_size

    def __repr__(self) -> str:
        return (
            f"<page at {self.address:#x}: {self.block_size}-byte blocks, used {self.used}, "
            f"capacity {self.capacity} of {self.reserved}, thread {self.thread}>"
        )


class PageQueue:
    """``mi_page_queue_t``: a heap's pages of one bin (or its full pages), first to last."""

    __slots__ = ("first", "last", "block_size", "index")

    def __init__(self, index: int, block_size: int) -> None:
        self.first: Page | None = None
        self.last: Page | None = None
        self.block_size = block_size
        self.index = index

    def pages(self) -> list[Page]:
        out, page = [], self.first
        while page is not None:
            out.append(page)
            page = page.next
        return out

    def push(self, page: Page, *, full: bool = False) -> None:
        """``mi_page_queue_push``: a fresh page goes to the front."""
        page.in_full = full
        page.next, page.prev = self.first, None
        if self.first is not None:
            self.first.prev = page
            self.first = page
        else:
            self.first = self.last = page

    def remove(self, page: Page) -> None:
        """``mi_page_queue_remove``."""
        if page.prev is not None:
            page.prev.next = page.next
        if page.next is not None:
            page.next.prev = page.prev
        if page is self.last:
            self.last = page.prev
        if page is self.first:
            self.first = page.next
        page.next = page.prev = None
        page.in_full = False

    def append_from(self, source: PageQueue, page: Page, *, full: bool) -> None:
        """``mi_page_queue_enqueue_from``: move ``page`` from ``source`` to the end of this queue."""
        source.remove(page)
        page.prev = self.last
        if self.last is not None:
            self.last.next = page
            self.last = page
        else:
            self.first = self.last = page
        page.in_full = full
