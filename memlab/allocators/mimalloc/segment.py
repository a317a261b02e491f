"""mimalloc's segments (``segment.c``, 2.0.9): big aligned pieces of OS memory, cut into slices and spans.

A segment is mapped from the OS aligned to its own size, so the segment of any pointer is the
pointer rounded down (``_mi_ptr_segment``), and the page is found from the slice index. Its first
slices hold the segment's descriptor and the page descriptors. The other slices form *spans*:
runs of slices that are a page, or free. Free spans wait in span queues, binned by their length
(``mi_slice_bin``), one set of queues per thread (each thread owns its segments). A page is taken
from the first span long enough, searching from its own bin up, splitting off the rest; a freed
page's span merges with free neighbours. A segment whose pages are all free goes back to the OS;
a *huge* block gets a segment of its own.

Simplifications: 2.0.9 reserves 32 MiB segments and commits them on demand, 64 KiB at a time (and
decommits unused spans after a delay); memlab maps the whole segment at once, 4 MiB by default
(mimalloc 1.x's size), so that several fit in simulated memory (``MiMalloc(segment_size=32 << 20)``
with enough ``limit`` gives 2.0.9's). Its footprint counts the blocks its pages have put on their
free lists, the memory mimalloc counts as committed in its pages (see :mod:`.mimalloc`). Freed
segments are unmapped at once (2.0.9 keeps a few in a cache); no thread ever ends, so no segment
is abandoned or reclaimed.
"""

from __future__ import annotations

from .bins import slice_bin
from .page import Page

SEGMENT_HEADER = 256  # mi_segment_t up to its two commit masks, rounded (64-bit)
PAGE_DESCRIPTOR = 80  # sizeof(mi_page_t) on 64-bit (10 words)


def info_slices(slices: int, slice_size: int, os_page: int = 4096) -> int:
    """Slices the segment descriptor takes: header, commit masks and one page descriptor per slice."""
    masks = 2 * max(8, slices // 8)
    size = SEGMENT_HEADER + masks + (slices + 1) * PAGE_DESCRIPTOR
    size = -(-size // os_page) * os_page
    return -(-size // slice_size)


class Segment:
    """``mi_segment_t``: its place, its owner, and which runs of its slices are pages or free."""

    __slots__ = ("address", "size", "slice_size", "slices", "info", "thread", "kind", "used", "runs", "pages", "ends")

    def __init__(
        self, address: int, size: int, slice_size: int, thread: int, kind: str = "normal", info: int | None = None
    ) -> None:
        self.address, self.size, self.slice_size = address, size, slice_size
        self.slices = size // slice_size
        self.info = info_slices(self.slices, slice_size) if info is None else info
        self.thread, self.kind = thread, kind
        self.used = 0  # pages in use (the descriptor's own slices are not counted)
        self.runs: dict[int, int] = {0: self.info}  # start slice -> slices, for every run: info, page or free
        self.ends: dict[int, int] = {self.info - 1: 0}  # last slice -> start slice (to find the left neighbour)
        self.pages: dict[int, Page] = {}  # start slice -> page, for the runs that are pages

    def is_free(self, start: int) -> bool:
        return start in self.runs and start not in self.pages and start != 0

    def set_run(self, start: int, count: int) -> None:
        self.runs[start] = count
        self.ends[start + count - 1] = start

    def drop_run(self, start: int) -> int:
        count = self.runs.pop(start)
        del self.ends[start + count - 1]
        return count

    def page_of(self, address: int) -> Page | None:
        """``_mi_segment_page_of``: the page whose slices hold ``address``."""
        index = (address - self.address) // self.slice_size
        for start, page in self.pages.items():
            if start <= index < start + page.slice_count:
                return page
        return None

    def __repr__(self) -> str:
        return f"<segment at {self.address:#x}: {self.slices} slices, {self.used} pages, thread {self.thread}>"


class SpanQueues:
    """``tld->spans``: a thread's free spans, one queue per slice bin, most recently freed first."""

    def __init__(self, max_slices: int) -> None:
        self.queues: list[list[tuple[Segment, int]]] = [[] for _ in range(slice_bin(max_slices) + 1)]

    def push(self, segment: Segment, start: int) -> None:
        """``mi_span_queue_push``: to the front of the queue of its length (kept at the list's end)."""
        self.queues[slice_bin(segment.runs[start])].append((segment, start))

    def delete(self, segment: Segment, start: int) -> None:
        """``mi_span_queue_delete``."""
        self.queues[slice_bin(segment.runs[start])].remove((segment, start))

    def find(self, slices: int) -> tuple[Segment, int] | None:
        """The first free span of at least ``slices`` slices, searching from their own bin up."""
        for queue in self.queues[slice_bin(slices) :]:
            for segment, start in reversed(queue):
                if segment.runs[start] >= slices:
                    return segment, start
        return None

    def spans(self) -> list[tuple[Segment, int]]:
        return [span for queue in self.queues for span in queue]
