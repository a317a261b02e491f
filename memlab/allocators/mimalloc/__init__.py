"""mimalloc 2.0.9: free-list sharding (Leijen, Zorn and de Moura, 2019), with simulated threads.

``MiMalloc()`` (or ``memlab.allocator("mimalloc")``) is the allocator; ``heap.alloc(64, thread=1)``
and ``heap.free(p, thread=2)`` run as simulated threads; ``heap.snapshot()`` shows every page's
three free lists.
"""

from .bins import BIN_SIZE, SLICE_SIZE, bin_of, block_size
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
from .mimalloc import SEGMENT_SIZE, Heap, MiMalloc
from .page import NO_DELAYED_FREE, USE_DELAYED_FREE, Page, PageQueue
from .segment import Segment

__all__ = [
    "BIN_SIZE",
    "NO_DELAYED_FREE",
    "SEGMENT_SIZE",
    "SLICE_SIZE",
    "Collect",
    "DelayedCollect",
    "DelayedFree",
    "Heap",
    "HeapView",
    "MiAlloc",
    "MiFree",
    "MiMalloc",
    "MiMallocSnapshot",
    "Page",
    "PageExtend",
    "PageFreed",
    "PageFresh",
    "PageFull",
    "PageQueue",
    "PageRetire",
    "PageUnfull",
    "PageView",
    "Segment",
    "SegmentFree",
    "SegmentNew",
    "SegmentView",
    "USE_DELAYED_FREE",
    "bin_of",
    "block_size",
]
