"""Coalescing free blocks with boundary tags (CS:APP 9.9.10-9.9.11), immediate and deferred.

*Immediate* coalescing merges a block with its free neighbours the moment it is freed, in
CS:APP's four cases, each O(1): the right neighbour's header follows the block, and the left
neighbour's *footer* (its boundary tag) sits just below the block's header, so the left
neighbour is found without walking from the start of the heap (Knuth's boundary tags).
*Deferred* coalescing leaves freed blocks side by side and merges every run of free blocks
at once, when a search for a fit fails.

:class:`Coalescing` is a mixin for :class:`~memlab.allocators.freelist.FreeListHeap`: it uses
the heap's word view ``_w``, its list policy (``lists``, ``_insert``, ``_remove``) and ``_emit``.
"""

from __future__ import annotations

from ..events import Coalesce
from .freelist_tags import ALLOC, PREV_FREE, WSIZE


class Coalescing:
    """The coalescing half of a boundary-tag heap (see the module docstring)."""

    def _coalesce(self, bp: int, left_free: int = 1) -> int:
        """Merge free block ``bp`` with free neighbours (CS:APP's four cases); return the result.

        Case 1: both neighbours allocated; 2: the right one is free; 3: the left one is free;
        4: both are free. The left neighbour's footer sits just below ``bp``'s header, so it is
        found in O(1), without walking from the start of the heap. With ``footers="free"`` only a
        free neighbour has a footer: ``left_free`` (the ``PREV_FREE`` bit ``bp`` carried while
        allocated) says whether to read it, and the block after the result learns it is free.
        """
        w, i = self._w, bp >> 2
        size = w[i - 1]
        left = w[i - 2] if left_free or not self.footless else ALLOC  # the left neighbour's footer
        right = w[((bp + size) >> 2) - 1]  # the right neighbour's header
        start, total = bp, size
        if not right & ALLOC:
            self._remove(bp + size, right)
            total += right
        if not left & ALLOC:
            start -= left
            self._remove(start, left)
            total += left
        if total != size:
            w[(start >> 2) - 1] = w[((start + total) >> 2) - 2] = total
            self.lists.merged(start, total)
        if self.footless:
            w[((start + total) >> 2) - 1] |= PREV_FREE
        self._insert(start, total)
        if self.recorder is not None:
            case = 1 + (not right & ALLOC) + 2 * (not left & ALLOC)
            parts = (left,) * (not left & ALLOC) + (size,) + (right,) * (not right & ALLOC)
            told = start + total - WSIZE if self.footless else 0
            self._emit(Coalesce(self.step, start - WSIZE, total, parts, case, told))
        return start

    def _runs(self):
        """Maximal runs of adjacent free blocks, as lists of (bp, size), in address order."""
        run: list[tuple[int, int]] = []
        for bp, tag in self.walk():
            if tag & ALLOC:
                if run:
                    yield run
                run = []
            else:
                run.append((bp, tag))
        if run:
            yield run

    def walk(self, start: int = 0):
        """Every block as (bp, tag) from ``start`` (default: the first) to the epilogue: the implicit list."""
        w, bp = self._w, start or self.first_bp
        tag = w[(bp >> 2) - 1]
        while tag & ~7:  # the epilogue is the 0-size block
            yield bp, tag
            bp += tag & ~7
            tag = w[(bp >> 2) - 1]

    def _largest_run(self) -> int:
        return max((sum(s for _, s in run) for run in self._runs()), default=0)

    def coalesce_all(self) -> int:
        """Deferred coalescing: merge every run of adjacent free blocks; return how many merges."""
        merges = 0
        for run in list(self._runs()):
            if len(run) < 2:
                continue
            for bp, size in run:
                self._remove(bp, size)
            bp, parts = run[0][0], tuple(s for _, s in run)
            size = sum(parts)
            self._w[(bp >> 2) - 1] = self._w[((bp + size) >> 2) - 2] = size
            self.lists.merged(bp, size)
            self._insert(bp, size)
            merges += 1
            if self.recorder is not None:
                self._emit(Coalesce(self.step, bp - WSIZE, size, parts))
        return merges
