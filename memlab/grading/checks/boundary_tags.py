"""The free-list exercises' seam: a CS:APP heap whose placement, split or coalesce is the learner's.

:class:`ExerciseHeap` is memlab's :class:`~memlab.allocators.freelist.FreeListHeap` (implicit
list, first fit, boundary tags in simulated bytes) with up to three of its steps replaced by
the learner's functions, written with CS:APP's ``GET``/``PUT`` macros (:func:`get`, :func:`put`):

* ``find_fit(heap, asize) -> bp`` (0 if nothing fits), walking the implicit list;
* ``place(heap, bp, asize)``: mark the block allocated, splitting off a rest of 16+ bytes;
* ``coalesce(heap, bp) -> bp``: merge a just-freed block with free neighbours; on a heap
  built with ``footers="free"`` (allocated blocks have a header only) it is called as
  ``coalesce(heap, bp, left_free)``, and :func:`left_free` / :func:`set_left_free` read and
  write bit 1 of a header, "the block to my left is free".

The heap then emits its usual events, so the learner's steps animate like the real ones.
"""

from __future__ import annotations

from collections.abc import Callable

from ...allocators.freelist.heap import FreeListHeap
from ...allocators.freelist.tags import MIN_BLOCK, PREV_FREE, WSIZE
from ...events import Coalesce

__all__ = ["MIN_BLOCK", "WSIZE", "ExerciseHeap", "get", "left_free", "put", "set_left_free", "tags"]


def get(heap: FreeListHeap, address: int) -> tuple[int, bool]:
    """The tag word at ``address`` as (size, allocated): CS:APP's GET_SIZE and GET_ALLOC."""
    word = heap.memory.read_word(address, WSIZE)
    return word & ~7, bool(word & 1)


def put(heap: FreeListHeap, address: int, size: int, allocated: bool) -> None:
    """Write the tag ``size | allocated`` at ``address``: CS:APP's PUT(p, PACK(size, alloc))."""
    heap.memory.write_word(address, size | int(bool(allocated)), WSIZE)


def left_free(heap: FreeListHeap, address: int) -> bool:
    """Bit 1 of the header at ``address``: is the block to its left free? (``footers="free"`` heaps)"""
    return bool(heap.memory.read_word(address, WSIZE) & PREV_FREE)


def set_left_free(heap: FreeListHeap, address: int, free: bool) -> None:
    """Set or clear bit 1 of the header at ``address``, keeping its size and allocated bit."""
    word = heap.memory.read_word(address, WSIZE)
    heap.memory.write_word(address, word | PREV_FREE if free else word & ~PREV_FREE, WSIZE)


def tags(heap: FreeListHeap, bp: int) -> str:
    """``header 48/free, footer 24/free`` for the block whose payload starts at ``bp``."""
    size, used = get(heap, bp - WSIZE)
    if used and heap.footless:
        return f"header {size}/allocated (no footer)"
    fsize, fused = get(heap, bp + size - 2 * WSIZE) if size >= MIN_BLOCK else (0, False)
    state = lambda a: "allocated" if a else "free"  # noqa: E731
    return f"header {size}/{state(used)}, footer {fsize}/{state(fused)}"


class ExerciseHeap(FreeListHeap):
    """A FreeListHeap (implicit list, first fit) using the learner's find_fit, place and coalesce."""

    def __init__(
        self,
        *,
        find_fit: Callable | None = None,
        place: Callable | None = None,
        coalesce: Callable | None = None,
        chunk: int = 512,
        limit: int = 1 << 16,
        footers: str = "all",
    ) -> None:
        self.learner = False  # the heap builds itself with memlab's own code
        self.find_fit, self.place, self.learner_coalesce = find_fit, place, coalesce
        super().__init__(list="implicit", fit="first", chunk=chunk, limit=limit, footers=footers)
        if find_fit is not None:
            self._find = self._learner_find
        self.learner = True

    def _learner_find(self, asize: int) -> tuple[int, int]:
        if not self.learner:
            return self.lists.find(asize)
        bp = self.find_fit(self, asize) or 0
        return (bp, get(self, bp - WSIZE)[0]) if bp else (0, 0)

    def _carve(self, bp: int, bsize: int, asize: int) -> int:
        if self.place is None or not self.learner:
            return super()._carve(bp, bsize, asize)
        self.place(self, bp, asize)
        size, _ = get(self, bp - WSIZE)
        return bp + size if size < bsize else 0

    def _coalesce(self, bp: int, left_is_free: int = 1) -> int:
        if self.learner_coalesce is None or not self.learner:
            return super()._coalesce(bp, left_is_free)
        size = get(self, bp - WSIZE)[0]
        lean = self.footless  # the left footer is there only if the freed block's bit said so
        left, left_used = get(self, bp - 2 * WSIZE) if left_is_free or not lean else (0, True)
        right, right_used = get(self, bp + size - WSIZE)
        case = 1 + (not right_used) + 2 * (not left_used)
        start = self.learner_coalesce(self, bp, bool(left_is_free)) if lean else self.learner_coalesce(self, bp)
        if self.recorder is not None:
            parts = (left,) * (not left_used) + (size,) + (right,) * (not right_used)
            total = get(self, start - WSIZE)[0] if isinstance(start, int) and start else size
            after = (start or bp) + total - WSIZE  # the header after the merged block: did the learner tell it?
            told = after if lean and left_free(self, after) else 0
            self._emit(Coalesce(self.step, (start or bp) - WSIZE, total, parts, case, told))
        return start

    def real(self):
        """A context in which the heap uses memlab's own steps (to set up a case)."""
        heap = self

        class _Real:
            def __enter__(self):
                heap.learner = False

            def __exit__(self, *exc):
                heap.learner = True

        return _Real()
