"""TCMalloc's front end: a cache per thread, one free list per size class, and no locks at all.

``malloc`` pops an object from the calling thread's list for the size class; ``free`` pushes it
onto the freeing thread's list. Only when a list runs empty does the thread fetch a batch from
the middle end (one lock), and only when a list grows too long does it give a batch back. The
longest a list may grow starts at 1 and rises with use (a slow start, so that a thread that
allocates one object of a class does not hoard a whole batch), by one up to the batch size and
then by whole batches. When a whole cache outgrows its byte limit, the thread *scavenges*: every
list gives back half of the objects it did not need since the last scavenge (its low-water mark).

Simplifications: TCMalloc's legacy per-thread mode (new TCMalloc caches per CPU, in arrays);
a fixed byte limit per thread (TCMalloc moves limit between threads); lists are Python lists.
"""

from __future__ import annotations

from .sizes import SizeClass

MAX_LENGTH = 8192  # the longest a single free list may grow


class ThreadCache:
    """The caches of one simulated thread."""

    __slots__ = ("thread", "lists", "max_length", "low_water", "size", "max_size")

    def __init__(self, thread: int, classes: list[SizeClass], max_size: int) -> None:
        self.thread = thread
        n = len(classes) + 1  # index 0 is unused: class 0 means a large object
        self.lists: list[list[int]] = [[] for _ in range(n)]
        self.max_length = [1] * n
        self.low_water = [0] * n
        self.size = 0  # bytes held in this cache
        self.max_size = max_size

    def grow_limit(self, cls: SizeClass) -> None:
        """A list ran empty: let it hold more next time (slow start)."""
        limit = self.max_length[cls.index]
        if limit < cls.batch:
            self.max_length[cls.index] = limit + 1
        else:
            self.max_length[cls.index] = min(limit + cls.batch, MAX_LENGTH - MAX_LENGTH % cls.batch)

    def objects(self) -> int:
        return sum(len(lst) for lst in self.lists)

    def scavenge_amounts(self) -> list[int]:
        """For each class, how many objects to give back: half the low-water mark (at least 1 if any)."""
        amounts = []
        for i, lst in enumerate(self.lists):
            low = self.low_water[i]
            amounts.append(min(len(lst), low // 2 if low > 1 else low))
            self.low_water[i] = len(lst) - amounts[-1]
        return amounts
