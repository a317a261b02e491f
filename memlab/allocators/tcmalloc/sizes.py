"""TCMalloc's size classes, computed the way its design document describes.

Small requests are rounded up to one of a few dozen *size classes*. The classes are spaced so
that rounding never wastes much: up to 16 bytes the spacing is 8, then 16, and from 128 bytes on
it is an eighth of the power of two below the size (128, 144, ..., 256, 288, ...). A request
``r`` that lands in class ``c`` therefore wastes ``c - r < c/8``: under 12.5% (below 128 bytes
the 16-byte spacing dominates). Each class also gets a *span* size: the fewest pages whose
leftover after cutting equal objects is at most 1/8 of the span, and a *batch* size, how many
objects move at once between a thread cache and the central lists (64 KiB worth, between 2
and 32).

Simplifications: the real table is generated offline and tuned (86 classes up to 256 KiB with
8 KiB pages in one version; classes with equal span shapes are merged); memlab computes its
table at start-up, up to 32 KiB by default.
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
