"""Free-list heaps with boundary tags: CS:APP's ``mm.c`` and every fit and list kind around it.

* :mod:`.tags`: the book's macros (``PACK``, ``GET_SIZE``, ``HDRP``, ``FTRP``, ``NEXT_BLKP``,
  ``PREV_BLKP``), named once and used everywhere;
* :mod:`.heap`: :class:`FreeListHeap`, the ``mm.c`` algorithm (extend, find, place, coalesce,
  realloc), readable top to bottom;
* :mod:`.lists`: how free blocks are found: implicit, explicit and segregated lists, and the
  placement policies (first, next, best, worst fit);
* :mod:`.check`: the layout read from the bytes, and malloclab's ``mm_checkheap``;
* :mod:`.fast` with ``_fast.c``: the accelerator, as CPython pairs ``heapq.py`` with ``_heapq``.
"""

from .heap import LARGE, FreeListHeap
from .lists import PLACEMENTS, SIZE_CLASSES, class_range, size_class
from .tags import ALLOC, CHUNKSIZE, DSIZE, MAX_BLOCK, MIN_BLOCK, PREV_FREE, WSIZE, adjusted_size, decode, pack

__all__ = [
    "ALLOC",
    "CHUNKSIZE",
    "DSIZE",
    "LARGE",
    "MAX_BLOCK",
    "MIN_BLOCK",
    "PLACEMENTS",
    "PREV_FREE",
    "SIZE_CLASSES",
    "WSIZE",
    "FreeListHeap",
    "adjusted_size",
    "class_range",
    "decode",
    "pack",
    "size_class",
]
