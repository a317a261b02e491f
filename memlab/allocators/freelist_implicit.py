"""The implicit free list (CS:APP 9.9.6-9.9.7): no list at all, the headers chain every block.

A search walks every block, allocated or free, from header to header (the heap's ``walk``), so
it costs O(all blocks); freeing has nothing to link or unlink. Next fit keeps one roving pointer,
as CS:APP's ``mm.c`` keeps its ``rover``, and starts each search there.
"""

from __future__ import annotations

from .freelist_fit import PLACEMENTS, ROVING


class ImplicitList:
    """No list: the heap's own headers chain every block in address order."""

    kind = "implicit"
    heads = 0

    def __init__(self, heap, fit: str) -> None:
        self.heap = heap
        self.fit = fit
        self._place = PLACEMENTS[fit]
        self.roving = fit in ROVING
        self.rover = 0  # a block pointer; 0 until the first search
        self.searches = self.examined = 0

    def _rotated(self):
        """Knuth's next fit order: from the rover to the end, then from the start to the rover."""
        rover, walk = self.rover, self.heap.walk
        yield from walk(rover)
        for bp, tag in walk():
            if bp == rover:
                return
            yield bp, tag

    def find(self, asize: int) -> tuple[int, int]:
        self.searches += 1
        bp, size, n = self._place(self._rotated() if self.roving and self.rover else self.heap.walk(), asize)
        self.examined += n
        if bp and self.roving:
            self.rover = bp
        return bp, size

    def insert(self, bp: int, size: int) -> None:
        """Nothing to link: a block is free because its header says so."""

    def remove(self, bp: int, size: int) -> None:
        """Nothing to unlink."""

    def merged(self, bp: int, size: int) -> None:
        """Block starts inside [bp, bp + size) are gone; the rover must not point at one."""
        if bp < self.rover < bp + size:
            self.rover = bp

    def free_lists(self) -> tuple[tuple[int, ...], ...]:
        return ()

    def check(self, heap, free: set[int], starts: set[int]) -> None:
        if self.rover and self.rover not in starts:
            heap._corrupt(f"next-fit rover {self.rover:#x} is not the start of a block", self.rover)
