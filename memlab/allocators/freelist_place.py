"""Placing a request in a free block (CS:APP 9.9.8's ``place``), and writing an allocated block's tags.

The free block is split when the rest would be at least the minimum block: the allocated part is
carved from the front (``mm.c``), from the back (``place="back"``, K&R 8.7), or by size (large
requests from the back, ``place="by-size"``). With ``footers="free"`` an allocated block gets a
header only, and the block after it is told whether a free block now lies to its left.

:class:`Placing` is a mixin for :class:`~memlab.allocators.freelist.FreeListHeap`.
"""

from __future__ import annotations

from ..events import Split
from .freelist_tags import ALLOC, MIN_BLOCK, PREV_FREE, WSIZE

LARGE = 128
"""With ``place="by-size"``, blocks of this many bytes or more are carved from a free block's high end."""


class Placing:
    """``_place``, ``_carve`` and the allocated tags for the free-list heap (see the module docstring)."""

    def _place(self, bp: int, bsize: int, asize: int, request: int) -> int:
        """CS:APP's place: allocate ``asize`` bytes of free block ``bp``; return the payload.

        The block is carved from the front, or from the back (``place="back"``, or
        ``place="by-size"`` and a large request), leaving the free rest where it was.
        """
        self._remove(bp, bsize)
        rest = bsize - asize
        if (self.from_back or self.by_size and asize >= LARGE) and rest >= MIN_BLOCK:
            w, at = self._w, bp + rest
            w[(bp >> 2) - 1] = w[((bp + rest) >> 2) - 2] = rest
            self._allocated(at, asize, PREV_FREE)
            self._left_allocated(at + asize)
            self._insert(bp, rest)
            parts = (rest, asize)
        else:
            at = bp
            if self._carve(bp, bsize, asize):
                self._insert(bp + asize, rest)
            else:
                rest = 0
            parts = (asize, rest)
        if self.recorder is not None:
            self._request = (at, request)
            if rest:
                self._emit(Split(self.step, bp - WSIZE, bsize, *parts))
        return at

    def _carve(self, bp: int, bsize: int, asize: int) -> int:
        """Tag ``asize`` bytes at ``bp`` allocated; a rest of 16+ bytes becomes a free block (returned).

        The block's left neighbour does not change, so its ``PREV_FREE`` bit is kept. A rest that
        is returned is followed by a block that already says "free on my left", or is merged at once.
        """
        w, rest = self._w, bsize - asize
        left = w[(bp >> 2) - 1] & PREV_FREE
        if rest < MIN_BLOCK:
            self._allocated(bp, bsize, left)
            self._left_allocated(bp + bsize)
            return 0
        self._allocated(bp, asize, left)
        rp = bp + asize
        w[(rp >> 2) - 1] = w[((rp + rest) >> 2) - 2] = rest
        return rp

    def _allocated(self, bp: int, size: int, left_free: int) -> None:
        """Tag ``size`` bytes at ``bp`` allocated: a header, and a footer unless ``footers="free"``."""
        if self.footless:
            self._w[(bp >> 2) - 1] = size | ALLOC | left_free
        else:
            self._w[(bp >> 2) - 1] = self._w[((bp + size) >> 2) - 2] = size | ALLOC

    def _left_allocated(self, bp: int) -> None:
        """Footless heaps: the header at ``bp - 4`` (a block or the epilogue) now has an allocated left neighbour."""
        if self.footless:
            self._w[(bp >> 2) - 1] &= ~PREV_FREE
