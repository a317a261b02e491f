"""Growing a boundary-tag heap with ``sbrk`` (CS:APP 9.9.6's ``extend_heap``), and topping it up.

When no free block fits, ``mm.c`` asks the OS for ``max(need, CHUNKSIZE)`` more bytes: the old
epilogue header becomes the header of one new free block, a new epilogue ends it, and the block
is coalesced with a free block before it. With ``grow="top-up"`` the need is only what a free
last block lacks, as glibc and dlmalloc grow their *top* chunk. With deferred coalescing a failed
search first merges the heap's free runs, and grows only if that does not help.

:class:`Growing` is a mixin for :class:`~memlab.allocators.freelist.FreeListHeap`.
"""

from __future__ import annotations

from .freelist_tags import ALLOC, PREV_FREE, WSIZE


class Growing:
    """``_extend`` and ``_grow_for`` for the free-list heap (see the module docstring)."""

    def _extend(self, size: int) -> int:
        """sbrk ``size`` more bytes: a new free block over the old epilogue, a new epilogue."""
        bp = self._sbrk(size)  # the old break; the old epilogue header is at bp - 4
        w, i = self._w, bp >> 2
        left_free = w[i - 1] & PREV_FREE  # footless: the old epilogue knew whether a free block ends the heap
        w[i - 1] = w[((bp + size) >> 2) - 2] = size
        w[((bp + size) >> 2) - 1] = ALLOC
        if self.deferred:
            self._insert(bp, size)
            return bp
        return self._coalesce(bp, left_free)

    def _grow_for(self, asize: int) -> int:
        """No block fits: coalesce first if deferred and that helps, else grow by max(need, chunk).

        With ``grow="top-up"`` the need is what a free last block lacks, not the whole request.
        """
        need = asize - self._free_top() if self.top_up else asize
        if self.deferred:
            if self._largest_run() >= asize:
                self.coalesce_all()
                return self._find(asize)[0]
            self._extend(max(need, self.chunk))  # raises before any change if the OS says no
            self.coalesce_all()
            return self._find(asize)[0]
        return self._extend(max(need, self.chunk))

    def _free_top(self) -> int:
        """Bytes of free blocks that end the heap (more than one only while coalescing is deferred)."""
        w, end, total = self._w, self.os.brk_address - WSIZE, 0  # ``end``: the epilogue header
        if self.footless:  # one free block at most, and the epilogue says whether it is there
            return w[(end >> 2) - 1] if w[end >> 2] & PREV_FREE else 0
        while not (tag := w[(end >> 2) - 1]) & ALLOC:  # the footer just below ``end``
            total += tag
            end -= tag
        return total
