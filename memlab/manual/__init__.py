"""Manual memory management and the tools that catch its bugs.

:class:`ManualHeap` gives C's malloc/free and checked pointers over any allocator;
:class:`DebugAllocator` catches double frees, invalid frees, use after free, overflows,
uninitialised reads and leaks, and reports them like AddressSanitizer, Valgrind's memcheck and
LeakSanitizer do.
"""

from .debug import DebugAllocator
from .errors import (
    HeapBufferOverflow,
    HeapBufferUnderflow,
    MemoryLeak,
    SegmentationFault,
    UninitialisedRead,
    WildAccess,
)
from .heap import ManualHeap
from .leak_report import LeakReport
from .pointers import Ptr
from .reports import BugReport
from .sites import Site

__all__ = [
    "BugReport",
    "DebugAllocator",
    "HeapBufferOverflow",
    "HeapBufferUnderflow",
    "LeakReport",
    "ManualHeap",
    "MemoryLeak",
    "Ptr",
    "SegmentationFault",
    "Site",
    "UninitialisedRead",
    "WildAccess",
]
