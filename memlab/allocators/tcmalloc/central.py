"""TCMalloc's middle end: a transfer cache and a central free list for every size class.

Thread caches never touch spans. They trade *batches* of objects with the middle end, each
trade under one lock acquisition:

* the **transfer cache** keeps whole batches (arrays of object pointers) that one thread gave
  back, ready for the next thread that runs short: a batch moves in and out in one step;
* the **central free list** owns the spans of its size class, each with its own list of free
  objects. It hands out objects from its spans, asks the page heap for a new span (and cuts it
  into objects) when it has none, and gives a span back to the page heap once every object of
  that span has come home.

Simplifications: each transfer cache and central free list has one lock, counted per call;
the transfer cache holds a fixed number of batches; objects are Python lists of addresses
(TCMalloc's central lists thread them through the objects).
"""

from __future__ import annotations

from .pageheap import PageHeap, Span
from .sizes import SizeClass


class CentralFreeList:
    """The spans of one size class and their free objects."""

    def __init__(self, cls: SizeClass, pageheap: PageHeap, locks: dict[str, int]) -> None:
        self.cls, self.pageheap, self.locks = cls, pageheap, locks
        self.nonempty: list[Span] = []  # spans with at least one free object
        self.spans = 0
        self.events: list[tuple[str, Span, int]] = []  # ("carve" | "return", span, address), for the owner

    @property
    def free_objects(self) -> int:
        return sum(len(s.free) for s in self.nonempty)

    def remove_range(self, n: int) -> list[int]:
        """Up to ``n`` objects (at least one), taking a new span from the page heap if needed."""
        self.locks["central"] += 1
        if not self.nonempty:
            self._populate()
        taken: list[int] = []
        while len(taken) < n and self.nonempty:
            span = self.nonempty[-1]
            k = min(n - len(taken), len(span.free))
            taken += span.free[-k:]
            del span.free[-k:]
            span.allocated += k
            if not span.free:
                self.nonempty.pop()
        return taken

    def insert_range(self, objects: list[int]) -> None:
        """Objects come home to their spans; a span whose objects are all home goes back to the page heap."""
        self.locks["central"] += 1
        pagemap, shift = self.pageheap.pagemap, self.pageheap.shift
        for address in objects:
            span = pagemap[address >> shift]
            if not span.free:
                self.nonempty.append(span)
            span.free.append(address)
            span.allocated -= 1
            if span.allocated == 0:
                self.nonempty.remove(span)
                self.spans -= 1
                self.events.append(("return", span, self.pageheap.address(span)))
                self.pageheap.delete(span)

    def _populate(self) -> None:
        span = self.pageheap.new(self.cls.pages)
        span.sizeclass = self.cls.index
        start, size = self.pageheap.address(span), self.cls.size
        span.free = [start + i * size for i in reversed(range(self.cls.objects))]  # lowest address on top
        self.nonempty.append(span)
        self.spans += 1
        self.events.append(("carve", span, start))


class TransferCache:
    """Whole batches of one size class, passed between threads without touching spans."""

    def __init__(self, cls: SizeClass, central: CentralFreeList, locks: dict[str, int], slots: int = 8) -> None:
        self.cls, self.central, self.locks, self.slots = cls, central, locks, slots
        self.batches: list[list[int]] = []

    @property
    def objects(self) -> int:
        return sum(len(b) for b in self.batches)

    def remove_range(self, n: int) -> tuple[list[int], str]:
        """``n`` objects and where they came from: a whole batch if one is here, else the central list."""
        self.locks["transfer"] += 1
        if n == self.cls.batch and self.batches:
            return self.batches.pop(), "transfer cache"
        return self.central.remove_range(n), "central free list"

    def insert_range(self, objects: list[int]) -> str:
        """Keep a full batch if there is room, else pass the objects to the central list; say where."""
        self.locks["transfer"] += 1
        if len(objects) == self.cls.batch and len(self.batches) < self.slots:
            self.batches.append(objects)
            return "transfer cache"
        self.central.insert_range(objects)
        return "central free list"
