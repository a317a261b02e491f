"""Boundary tags as CS:APP's ``mm.c`` defines them (Bryant & O'Hallaron, 3e, section 9.9.12).

A block is a header word, a payload and a footer word; both tags hold ``size | allocated``.
Sizes are multiples of 8, so the low three bits are free and bit 0 says "allocated". Words are
4 bytes (``WSIZE``) as in the book's 32-bit layout, and a block pointer ``bp`` points at the
payload, so the header sits at ``bp - 4`` and the footer at ``bp + size - 8``.

With ``footers="free"`` (CS:APP 3e, homework 9.18) only free blocks keep a footer: an allocated
block is a header and a payload that runs to the block's end, and bit 1 of its header
(:data:`PREV_FREE`) says whether the block to its left is free, so that block's footer may be
read. glibc does the same with the opposite sense: every chunk's ``PREV_INUSE`` bit says the one
before is in use. memlab keeps "previous free" instead, so a free block's tags stay exactly its
size, as in ``mm.c``: with immediate coalescing a free block's left neighbour is never free.

The helpers here are the book's macros (``PACK``, ``GET_SIZE``, ``HDRP``, ...) in Python, plus
a fast word view of simulated memory for the allocators' hot paths.
"""

from __future__ import annotations

import struct
import sys

from ...memory import Memory

WSIZE = 4
"""Bytes in a header, footer or free-list link word."""

DSIZE = 8
"""Double word: the payload alignment and the cost of header + footer."""

MIN_BLOCK = 16
"""The smallest block: header, 8 bytes of payload (or two list links), footer."""

CHUNKSIZE = 1 << 12
"""Grow the heap by at least this many bytes (4 KiB) at a time."""

ALLOC = 1
"""The allocated bit in a tag."""

PREV_FREE = 2
"""With ``footers="free"``: set in an allocated block's header (or the epilogue) when the block
to its left is free, so its footer can be read."""

MAX_BLOCK = (1 << 32) - DSIZE
"""The largest size a 4-byte tag can hold."""


def pack(size: int, allocated: int) -> int:
    """A tag word: the block size with the allocated bit or-ed in (CS:APP's PACK)."""
    return size | allocated


def adjusted_size(request: int, tags: int = DSIZE) -> int:
    """The block size a request costs: at least 16, else request + tags rounded up to 8.

    ``tags`` is 8 (header and footer, ``mm.c``) or 4 (a header only: ``footers="free"``).
    """
    return max(MIN_BLOCK, (request + tags + DSIZE - 1) & ~(DSIZE - 1))


def decode(tag: int) -> tuple[int, bool]:
    """(size, allocated) of a tag word (CS:APP's GET_SIZE and GET_ALLOC)."""
    return tag & ~0x7, bool(tag & ALLOC)


class _PortableWords:
    """Little-endian 32-bit words by index, for hosts whose own byte order is big-endian."""

    _word = struct.Struct("<I")

    def __init__(self, buffer) -> None:
        self._buffer = buffer

    def __getitem__(self, index: int) -> int:
        return self._word.unpack_from(self._buffer, index << 2)[0]

    def __setitem__(self, index: int, value: int) -> None:
        self._word.pack_into(self._buffer, index << 2, value)


def word_view(memory: Memory):
    """All of simulated memory as 32-bit little-endian words: ``view[address >> 2]``.

    This is the allocator's fast path, like a C allocator dereferencing its own tags: no bounds
    check beyond the view's own ``IndexError``. ``check()`` and ``layout()`` read through
    :meth:`Memory.read_word`, which names an out-of-bounds address.
    """
    buffer = memory._bytes  # the Memory's own buffer, shared, never copied
    if sys.byteorder == "little":
        return memoryview(buffer).cast("I")
    return _PortableWords(buffer)
