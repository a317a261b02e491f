"""realloc in place for a boundary-tag heap (CS:APP 9.9, and its improved ``mm_realloc``).

``mm.c``'s naive ``realloc`` always mallocs, copies and frees. A block can often change size
where it is instead:

* **shrinking**: split the tail off as a free block (merged with a free right neighbour);
* **growing into the right neighbour** when that block is free and large enough, as glibc's
  ``_int_realloc`` and dlmalloc's ``try_realloc_chunk`` do;
* **growing at the end of the heap** (only with ``grow="top-up"``): when nothing but free space
  lies between the block and the epilogue, ``sbrk`` just the bytes it lacks, as glibc extends
  its ``top`` chunk. This is the classic fix for malloclab's ``realloc-bal`` trace: a buffer that
  keeps growing stays put and the heap grows under it.

Otherwise ``resize`` answers False and the base class moves the payload (alloc, copy, free).
:class:`InPlaceRealloc` is a mixin for :class:`~memlab.allocators.freelist.FreeListHeap`.
"""

from __future__ import annotations

from ..errors import OutOfMemory
from .freelist_tags import ALLOC, PREV_FREE, adjusted_size


class InPlaceRealloc:
    """``_resize`` for the free-list heap (see the module docstring)."""

    def _resize(self, address: int, old_size: int, new_size: int) -> bool:
        try:
            return self._resize_here(address, new_size)
        except (IndexError, ValueError) as e:
            self._tripped(e, f"resize({address:#x}, {new_size})")

    def _resize_here(self, address: int, new_size: int) -> bool:
        """Shrink in place, grow into a free right neighbour, or (top-up) grow at the heap's end."""
        w = self._w
        bsize = w[(address >> 2) - 1] & ~7
        asize = adjusted_size(new_size, self._tags)
        grow = asize > bsize
        if grow:
            right = w[((address + bsize) >> 2) - 1]
            if right & ALLOC or bsize + right < asize:
                free_right = 0 if right & ALLOC else right
                return self.top_up and self._grow_at_end(address, bsize, free_right, asize)
            self._remove(address + bsize, right)
            bsize += right
            self.lists.merged(address, bsize)
        rest = self._carve(address, bsize, asize)
        if rest and (grow or self.deferred):
            self._insert(rest, bsize - asize)  # growing: what follows the rest is allocated already
        elif rest:
            self._coalesce(rest, 0)  # shrinking: the rest may merge with a free right neighbour
        return True

    def _grow_at_end(self, address: int, bsize: int, right: int, asize: int) -> bool:
        """The block (and its free right neighbour, if any) ends the heap: sbrk what it lacks.

        False, with nothing changed, if another block follows or the OS refuses.
        """
        if address + bsize + right != self.os.brk_address:
            return False
        try:
            self._sbrk(asize - bsize - right)
        except OutOfMemory:
            return False
        if right:
            self._remove(address + bsize, right)
        self._allocated(address, asize, self._w[(address >> 2) - 1] & PREV_FREE)
        self._w[((address + asize) >> 2) - 1] = ALLOC  # the new epilogue
        self.lists.merged(address, asize)
        return True
