"""Where a replay's chunks lie in glibc's heap, read from their headers: glibc's heap size.

malloclab measures a heap by its break: everything from the heap's start to its top, holes
included. glibc's heap has the same shape (the *top* chunk is the untouched rest, grown with
``sbrk``, or inside a thread's own 64 MiB-aligned heap), but ``mallinfo2`` cannot say which
part of it a replay used: the process's other blocks and free space share it. So the replay's
chunks are measured where they lie. Each chunk starts two words before its payload
(``prev_size``, ``size``); the size word holds the chunk's size and, in its low bits, flags, of
which bit 1 (``IS_MMAPPED``) marks a chunk with its own mapping (glibc's ``malloc.c``).

* Chunks in an arena: the heap reaches from the lowest chunk start to the highest chunk end
  seen, per 64 MiB region (a thread's arena is such a heap). Holes count, the untouched top
  does not. When the replay has a thread arena, chunks of the main arena (bit 2,
  ``NON_MAIN_ARENA``, clear) are the process's own leftovers, which the thread freed into its
  tcache and glibc handed out again: they cost the heap nothing and are not counted. Like malloclab's break, the
  mark only rises: glibc may later give its top back to the OS (``malloc_trim``), unseen here.
* Mapped chunks: their full size while live.

Only a few numbers are kept, never a table of chunks: a table that grew during the replay
would take its memory from the very arena being measured. Simplifications: the 128 KiB glibc
takes from the OS ahead of need (``M_TOP_PAD``) is not counted, so this is a lower bound on
what glibc holds: the heap its chunks reach.
"""

from __future__ import annotations

import ctypes

IS_MMAPPED = 0x2
NON_MAIN_ARENA = 0x4
FLAGS = 0x7  # PREV_INUSE, IS_MMAPPED, NON_MAIN_ARENA
HEADER = 16  # prev_size and size, before the payload
REGION_BITS = 26  # HEAP_MAX_SIZE on 64-bit: a thread arena's heap is aligned to it


def chunk_size_word(address: int) -> int:
    """The size word of the chunk whose payload starts at ``address`` (size | flags)."""
    return ctypes.c_size_t.from_address(address - 8).value


class ChunkMap:
    """How far a replay's chunks reach into glibc's heap, and its mapped chunks."""

    def __init__(self) -> None:
        self._reach: dict[int, tuple[int, int]] = {}  # region -> (lowest start, highest end)
        self._threaded: set[int] = set()  # regions holding a thread arena's chunks
        self._mapped: dict[int, int] = {}  # payload address -> mapping size (large chunks only)
        self.mapped_bytes = 0

    def add(self, address: int) -> None:
        """A chunk glibc has just handed out at ``address``."""
        word = chunk_size_word(address)
        size = word & ~FLAGS
        if word & IS_MMAPPED:
            self._mapped[address] = size
            self.mapped_bytes += size
            return
        start = address - HEADER
        region = address >> REGION_BITS
        if word & NON_MAIN_ARENA and region not in self._threaded:
            self._threaded.add(region)
        low, high = self._reach.get(region, (start, start))
        if start < low or start + size > high:
            self._reach[region] = (min(low, start), max(high, start + size))

    def remove(self, address: int) -> None:
        """The chunk at ``address`` is about to be given back (only a mapping changes a thing)."""
        if address in self._mapped:
            self.mapped_bytes -= self._mapped.pop(address)

    @property
    def heap_bytes(self) -> int:
        """Bytes from each region's lowest chunk start to its highest chunk end, summed."""
        reach = self._reach
        regions = self._threaded or reach  # a thread arena's regions if there are any
        return sum(reach[r][1] - reach[r][0] for r in regions)

    @property
    def bytes(self) -> int:
        """The footprint: the arena bytes reached plus the live mapped chunks."""
        return self.heap_bytes + self.mapped_bytes
