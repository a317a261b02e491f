"""What a mimalloc heap shows of itself: its events, and its snapshot (segments, pages, heaps) for views.

Every free block of a page is on exactly one of its three lists (``free``, ``local_free``,
``thread_free``) or on its owner heap's ``thread_delayed_free`` list; the snapshot keeps each list
in order, so a view can draw them and a test can read them.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...events import Alloc, Event, Free
from ..blocks import HeapSnapshot


@dataclass(frozen=True, slots=True)
class PageView:
    """One page: its blocks' size, its counts, and its three free lists (head first)."""

    address: int  # where its slices start
    start: int  # the first block
    segment: int
    thread: int  # the owner: only this thread allocates from it
    block_size: int
    bin: int
    slices: int
    reserved: int
    capacity: int
    used: int
    free: tuple[int, ...]
    local_free: tuple[int, ...]
    thread_free: tuple[int, ...]
    delayed: tuple[int, ...]  # its blocks waiting on the owner heap's delayed free list
    in_full: bool = False
    retire_expire: int = 0

    @property
    def live(self) -> int:
        """Blocks in use by the program."""
        return self.used - len(self.thread_free) - len(self.delayed)


@dataclass(frozen=True, slots=True)
class SegmentView:
    """One segment: where it is, whose it is, and its runs of slices (``info``, ``page`` or ``free``)."""

    address: int
    size: int
    thread: int
    kind: str
    spans: tuple[tuple[int, int, str], ...]  # (first slice, slices, kind)


@dataclass(frozen=True, slots=True)
class HeapView:
    """One thread's heap: its page queues (non-empty bins), its full queue, its delayed free list."""

    thread: int
    queues: tuple[tuple[int, int, tuple[int, ...]], ...]  # (bin, block size, page addresses first to last)
    full: tuple[int, ...]
    delayed: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class MiMallocSnapshot(HeapSnapshot):
    """A heap snapshot plus mimalloc's segments, pages and per-thread heaps."""

    segments: tuple[SegmentView, ...] = ()
    pages: tuple[PageView, ...] = ()
    heaps: tuple[HeapView, ...] = ()
    slice_size: int = 64 << 10
    segment_size: int = 4 << 20


@dataclass(frozen=True, slots=True)
class MiAlloc(Alloc):
    """An allocation by a simulated thread (kind ``alloc``)."""

    thread: int = 0
    source: str = ""

    @property
    def kind(self) -> str:
        return "alloc"

    def describe(self) -> str:
        where = f": {self.source}" if self.source else ""
        return f"thread {self.thread}: {Alloc.describe(self)}{where}"


@dataclass(frozen=True, slots=True)
class MiFree(Free):
    """A free by a simulated thread, saying which list the block went to (kind ``free``)."""

    thread: int = 0
    where: str = ""

    @property
    def kind(self) -> str:
        return "free"

    def describe(self) -> str:
        where = f": {self.where}" if self.where else ""
        return f"thread {self.thread}: {Free.describe(self)}{where}"


@dataclass(frozen=True, slots=True)
class SegmentNew(Event):
    """A thread maps a segment from the OS."""

    address: int
    size: int
    thread: int
    kind: str = "normal"

    def describe(self) -> str:
        what = "a huge block" if self.kind == "huge" else "new pages"
        return f"thread {self.thread} maps a {self.size // 1024} KiB segment at {self.address:#x} for {what}"


@dataclass(frozen=True, slots=True)
class SegmentFree(Event):
    """Every page of a segment is free: it goes back to the OS."""

    address: int
    size: int

    def describe(self) -> str:
        return f"every page of the segment at {self.address:#x} is free: its {self.size // 1024} KiB go back to the OS"


@dataclass(frozen=True, slots=True)
class PageFresh(Event):
    """A heap takes a fresh page for a bin from a free span of its segments."""

    page: int
    block_size: int
    thread: int
    slices: int

    def describe(self) -> str:
        kind = "slice" if self.slices == 1 else "slices"
        return (
            f"thread {self.thread} has no page of {self.block_size}-byte blocks with a free block: it takes a fresh "
            f"page at {self.page:#x} ({self.slices} {kind})"
        )


@dataclass(frozen=True, slots=True)
class PageExtend(Event):
    """More of a page's blocks are threaded onto its free list."""

    page: int
    count: int
    capacity: int
    reserved: int

    def describe(self) -> str:
        return (
            f"the page at {self.page:#x} threads {self.count} more blocks onto its free list "
            f"({self.capacity} of its {self.reserved} blocks so far)"
        )


@dataclass(frozen=True, slots=True)
class Collect(Event):
    """``_mi_page_free_collect``: the free list ran out; thread_free and local_free become free."""

    page: int
    thread_free: int
    local_free: int

    def describe(self) -> str:
        remote = f"{self.thread_free} freed by other threads (thread_free)" if self.thread_free else ""
        local = f"{self.local_free} freed by the owner (local_free)" if self.local_free else ""
        both = " and ".join(part for part in (local, remote) if part) or "nothing"
        return f"the free list of the page at {self.page:#x} is empty: it collects {both} as its new free list"


@dataclass(frozen=True, slots=True)
class PageFull(Event):
    """A page with no free block left moves to its heap's full queue."""

    page: int
    thread: int

    def describe(self) -> str:
        return f"the page at {self.page:#x} has no free block: it moves to thread {self.thread}'s full queue"


@dataclass(frozen=True, slots=True)
class PageUnfull(Event):
    """A block of a full page is freed: the page returns to the end of its bin's queue."""

    page: int

    def describe(self) -> str:
        return f"a block of the full page at {self.page:#x} is free again: the page goes back to its queue"


@dataclass(frozen=True, slots=True)
class PageRetire(Event):
    """An empty page that is the only one of its bin is kept for a while ("retired")."""

    page: int
    expire: int

    def describe(self) -> str:
        return (
            f"the page at {self.page:#x} is empty but the only page of its size: it is kept (retired), "
            f"and freed only if it stays empty through {self.expire} more page searches"
        )


@dataclass(frozen=True, slots=True)
class PageFreed(Event):
    """An empty page gives its slices back to its segment, as a free span."""

    page: int
    slices: int

    def describe(self) -> str:
        return f"the page at {self.page:#x} is empty: its {self.slices} slice(s) become a free span of its segment"


@dataclass(frozen=True, slots=True)
class DelayedFree(Event):
    """The first free from another thread in a page goes to the owner heap's delayed list."""

    page: int
    owner: int
    thread: int

    def describe(self) -> str:
        return (
            f"thread {self.thread} frees into thread {self.owner}'s page at {self.page:#x} for the first time: the "
            f"block goes on thread {self.owner}'s delayed free list, so the owner finds the page; later frees from "
            "other threads go on the page's thread_free"
        )


@dataclass(frozen=True, slots=True)
class DelayedCollect(Event):
    """A heap takes its delayed free list and frees those blocks as if it had freed them itself."""

    thread: int
    count: int

    def describe(self) -> str:
        return f"thread {self.thread} takes its delayed free list: {self.count} block(s) freed by other threads"
