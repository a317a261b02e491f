"""TCMalloc's size classes, computed by gperftools' rule.

Small requests are rounded up to one of a few dozen *size classes*. The classes are spaced by
the rule of gperftools' ``AlignmentForSize`` (``src/common.cc``): up to 16 bytes the spacing is
8, then 16 up to 128 bytes, and from 128 bytes on an eighth of the power of two below the size
(128, 144, ..., 256, 288, ...). From 128 bytes on, a request ``r`` that lands in class ``c``
therefore wastes ``c - r < c/8``: under 12.5%. Below 128 bytes the 16-byte spacing is coarser
than that: a 17-byte request takes a 32-byte object and wastes 47% of it. Each class also gets
a *span* size: the fewest pages whose leftover after cutting equal objects is at most 1/8 of the
span, and a *batch* size, how many objects move at once between a thread cache and the central
lists (64 KiB worth, between 2 and 32).

The real tables: gperftools (2.18 today) computes its table at start-up, as memlab does, with
small objects up to 256 KiB; with 8 KiB pages it ends with 85 classes (its count, 86, includes
the unused class 0), because it merges a class into the previous one when both cut their spans
into the same number of objects. The merge costs more rounding: a 769-byte request takes an
896-byte object (14% waste), a 16,385-byte one a 20,480-byte object (20%), as ``tc_nallocx`` of
the machine's libtcmalloc_minimal 2.10 reports. google/tcmalloc ships precomputed tables instead
(``tcmalloc/size_classes.cc``; its design document speaks of 60 to 80 classes): with 8 KiB pages
the table lists 47 sizes up to 256 KiB, with steps of up to 40% (there is no 48-byte class, so
a 33-byte request takes 64 bytes).

Simplifications: memlab does not merge classes, and its table ends at 32 KiB by default
(``max_small``), the limit of the 2005 design document; today's limit is 256 KiB.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...errors import BadRequest
from ...memory import is_power_of_two

MAX_WASTE = 8  # waste at most 1/8
BATCH_BYTES = 64 << 10
LARGEST_SMALL = 256 << 10
"""TCMalloc's largest small size (``kMaxSize``, 256 KiB): anything larger is a span of whole pages."""


@dataclass(frozen=True, slots=True)
class SizeClass:
    """One size class: object size, pages per span, objects per span and batch size."""

    index: int
    size: int
    pages: int
    objects: int
    batch: int


def spacing(size: int) -> int:
    """The gap from ``size`` to the next class: 8, then 16, then 1/8 of the power of two below."""
    if size < 16:
        return 8
    return max(16, (1 << (size.bit_length() - 1)) // MAX_WASTE)


def span_pages(size: int, page_size: int) -> int:
    """The fewest pages whose leftover after cutting ``size``-byte objects is at most 1/8."""
    pages = -(-size // page_size)
    while pages * page_size % size * MAX_WASTE > pages * page_size:
        pages += 1
    return pages


def batch_size(size: int) -> int:
    """Objects moved at once between a thread cache and the middle end."""
    return max(2, min(32, BATCH_BYTES // size))


def size_classes(max_size: int = 32 << 10, page_size: int = 8 << 10) -> list[SizeClass]:
    """The size classes up to ``max_size`` (index 0 is reserved for large objects, as in TCMalloc)."""
    if not is_power_of_two(page_size) or page_size < 256:
        raise BadRequest(f"page size {page_size} is not a power of two of at least 256 bytes")
    if type(max_size) is not int or not 8 <= max_size <= LARGEST_SMALL:
        raise BadRequest(f"largest small size {max_size!r}: from 8 bytes to {LARGEST_SMALL >> 10} KiB")
    classes, size = [], 8
    while size <= max_size:
        pages = span_pages(size, page_size)
        classes.append(SizeClass(len(classes) + 1, size, pages, pages * page_size // size, batch_size(size)))
        size += spacing(size)
    return classes


class SizeMap:
    """Request size (and alignment) -> size class, by table lookup as in TCMalloc's ClassIndex."""

    def __init__(self, max_size: int = 32 << 10, page_size: int = 8 << 10) -> None:
        self.classes = size_classes(max_size, page_size)
        self.max_size = self.classes[-1].size
        self.page_size = page_size
        self._by_words: list[SizeClass] = []
        for cls in self.classes:
            while len(self._by_words) * 8 <= cls.size:
                self._by_words.append(cls)
        self._aligned: dict[tuple[int, int], SizeClass | None] = {}

    def __len__(self) -> int:
        return len(self.classes)

    def class_for(self, size: int, align: int = 8) -> SizeClass | None:
        """The class serving ``size`` bytes at ``align``, or None for a large (page-level) request."""
        if size > self.max_size:
            return None
        cls = self._by_words[(size + 7) >> 3]
        if cls.size % align == 0 and align <= self.page_size:  # a span starts on a page, not beyond
            return cls
        key = (size, align)
        if key not in self._aligned:
            fits = (c for c in self.classes if c.size >= size and c.size % align == 0 and align <= self.page_size)
            self._aligned[key] = next(fits, None)
        return self._aligned[key]
