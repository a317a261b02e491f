"""Boundary tags and the book's macros, after CS:APP's ``mm.c`` (Bryant & O'Hallaron, 3e, 9.9.12, fig. 9.43).

A block is a header word, a payload and a footer word; both tags hold ``size | allocated``.
Sizes are multiples of 8, so the low three bits are free and bit 0 says "allocated". A block
pointer ``bp`` points at the payload, so the header sits at ``bp - 4`` and the footer at
``bp + size - 8``. The free lists (CS:APP 9.9.13) keep two more words in a free block's
payload: its predecessor's and its successor's block pointers.

The macros are the book's, with the same names and meanings; the heap, its lists and its checker
use them everywhere and never write the word arithmetic out. Where memlab differs from the book:

* **4-byte words and links.** ``WSIZE`` is 4, as in the book's 32-bit ``mm.c``; a free block's
  links are 4-byte addresses too, so a 16-byte block holds header, two links and footer, and
  a heap reaches 4 GiB at most.
* **Memory is a word view, not a pointer.** C's ``GET(p)`` dereferences ``p``; here ``GET(w, p)``
  reads the 32-bit little-endian word at byte address ``p`` of the word view ``w`` (see
  :func:`word_view`). The macros that read memory (``GET``, ``GET_SIZE``, ``GET_ALLOC``,
  ``FTRP``, ``NEXT_BLKP``, ``PREV_BLKP``, ``PRED``, ``SUCC``) take ``w`` first; ``PUT`` writes.
  A word outside memory raises ``IndexError`` and a value that does not fit 32 bits
  ``ValueError``, which the heap reports as a corrupt boundary tag.
* **Python cannot inline**, so each macro is one small function with the word arithmetic
  written once inside it; the C accelerator (``_fast.c``) defines the same names as C macros.
* ``PREV_FTRP(bp)``, the footer of the block before ``bp``, is memlab's name for the word the
  book reads inside ``PREV_BLKP``: coalescing needs only that word to know whether the left
  neighbour is free.

With ``footers="free"`` (CS:APP 3e, homework 9.18) only free blocks keep a footer: an allocated
block is a header and a payload that runs to the block's end, and bit 1 of its header
(:data:`PREV_FREE`) says whether the block to its left is free, so that block's footer may be
read. glibc does the same with the opposite sense: every chunk's ``PREV_INUSE`` bit says the one
before is in use. memlab keeps "previous free" instead, so a free block's tags stay exactly its
size, as in ``mm.c``: with immediate coalescing a free block's left neighbour is never free.
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


# -- the book's macros (fig. 9.43), one function each ---------------------------------------------


def PACK(size: int, alloc: int) -> int:
    """A tag word: a block size with the allocated bit (and, footless, ``PREV_FREE``) or-ed in."""
    return size | alloc


def GET(w, p: int) -> int:
    """The word at byte address ``p``."""
    return w[p >> 2]


def PUT(w, p: int, val: int) -> None:
    """Write ``val`` to the word at byte address ``p``."""
    w[p >> 2] = val


def GET_SIZE(w, p: int) -> int:
    """The size in the tag at ``p``."""
    return w[p >> 2] & ~0x7


def GET_ALLOC(w, p: int) -> int:
    """The allocated bit of the tag at ``p``."""
    return w[p >> 2] & ALLOC


def HDRP(bp: int) -> int:
    """The address of block ``bp``'s header."""
    return bp - WSIZE


def FTRP(w, bp: int) -> int:
    """The address of block ``bp``'s footer, found from the size in its header."""
    return bp + (w[(bp >> 2) - 1] & ~0x7) - DSIZE


def NEXT_BLKP(w, bp: int) -> int:
    """The block after ``bp``: ``bp`` plus the size in its header."""
    return bp + (w[(bp >> 2) - 1] & ~0x7)


def PREV_BLKP(w, bp: int) -> int:
    """The block before ``bp``: ``bp`` minus the size in the footer just below its header."""
    return bp - (w[(bp >> 2) - 2] & ~0x7)


def PREV_FTRP(bp: int) -> int:
    """The address of the footer of the block before ``bp`` (the word below ``bp``'s header)."""
    return bp - DSIZE


# -- the explicit lists' link words (CS:APP 9.9.13): a free block's first two payload words ---------


def PRED_PTR(bp: int) -> int:
    """The address of free block ``bp``'s predecessor link."""
    return bp


def SUCC_PTR(bp: int) -> int:
    """The address of free block ``bp``'s successor link."""
    return bp + WSIZE


def PRED(w, bp: int) -> int:
    """The free block before ``bp`` on its list (0: ``bp`` is the first)."""
    return w[bp >> 2]


def SUCC(w, bp: int) -> int:
    """The free block after ``bp`` on its list (0: ``bp`` is the last)."""
    return w[(bp >> 2) + 1]


# -- sizes ----------------------------------------------------------------------------------------


def pack(size: int, allocated: int) -> int:
    """A tag word (:func:`PACK` under the name learners type)."""
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
    """All of simulated memory as 32-bit little-endian words: ``view[address >> 2]``, what ``w`` is above.

    The allocator reads its own tags through it, as a C allocator dereferences them: no bounds
    check beyond the view's own ``IndexError``. ``check()`` and ``layout()`` read through it too,
    after checking each address against the break.
    """
    buffer = memory._bytes  # the Memory's own buffer, shared, never copied
    if sys.byteorder == "little":
        return memoryview(buffer).cast("I")
    return _PortableWords(buffer)
