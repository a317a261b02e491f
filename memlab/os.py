"""A simulated operating system that hands out memory the way Unix does.

Follows the classic Linux process layout, simplified:

* page 0 is never mapped, so address 0 can serve as NULL;
* the *program break* starts at page 1 and moves up with ``sbrk``/``brk`` (the heap that
  CS:APP's ``mm.c`` and old ``malloc`` implementations grow);
* ``mmap`` hands out whole, zero-filled pages from the top of memory downwards, and ``munmap``
  gives them back (glibc does this for large requests).

Every call that succeeds is counted in ``syscalls``, because the course's point is that a good
allocator rarely needs the kernel. A hard ``limit`` (the size of simulated memory) stands in for
RLIMIT_AS: crossing it raises :class:`~memlab.errors.OutOfMemory` and changes nothing, the counts
included (as ``Stats.allocs`` counts only the requests that succeed; failures count in
``Stats.failures``).
Simplifications: no virtual/physical split, no protection bits, and munmap of pages that are
not mapped is an error here (Linux silently accepts it).

mmap takes the highest gap that fits (first fit from the top, as Linux's top-down layout does).
To find it without walking every mapping, the OS keeps the gaps between mappings (and above the
highest one) in a list of their own, so a search visits only the holes, never the thousands of
back-to-back mappings a page-per-block allocator makes.
"""

from __future__ import annotations

import bisect
from collections import Counter

from .errors import BadRequest, InvalidFree, OutOfMemory
from .memory import Memory, align_up, check_size, is_power_of_two

PAGE_SIZE = 4096


class OS:
    """Simulated memory plus the system calls that hand it out."""

    def __init__(self, limit: int = 64 << 20, *, page_size: int = PAGE_SIZE) -> None:
        check_size(limit, "memory limit")
        if not is_power_of_two(page_size) or page_size < 16:
            raise BadRequest(f"page size {page_size!r} is not a power of two >= 16")
        if limit < 2 * page_size:
            raise BadRequest(f"memory limit {limit} is smaller than two pages")
        self.page_size = page_size
        self.limit = align_up(limit, page_size)
        self.memory = Memory(self.limit)
        self.heap_start = page_size
        self.brk_address = page_size
        self._regions: list[tuple[int, int]] = []  # sorted (start, length) of mmapped regions
        self._holes: list[tuple[int, int]] = []  # sorted (start, length) of the gaps above the lowest region
        self.syscalls: Counter[str] = Counter()

    def __repr__(self) -> str:
        return (
            f"OS(limit={self.limit}, break={self.brk_address:#x}, "
            f"mapped={self.mapped_bytes}, syscalls={dict(self.syscalls)})"
        )

    # -- the program break -------------------------------------------------------------
    @property
    def heap_bytes(self) -> int:
        """Bytes between the start of the heap and the current break."""
        return self.brk_address - self.heap_start

    def _ceiling(self) -> int:
        return self._regions[0][0] if self._regions else self.limit

    def sbrk(self, increment: int) -> int:
        """Move the break by ``increment`` bytes; return the old break (like sbrk(2))."""
        new = self.brk_address + increment
        if new < self.heap_start:
            raise BadRequest(f"sbrk({increment}) would move the break below the heap start")
        if new > self._ceiling():
            raise OutOfMemory(
                f"sbrk({increment}) needs {new - self._ceiling()} bytes more than the OS has",
                address=self.brk_address,
            )
        self.syscalls["sbrk"] += 1
        old, self.brk_address = self.brk_address, new
        if increment > 0:
            self.memory.fill(old, increment)
        return old

    def brk(self, address: int) -> None:
        """Set the break to ``address`` (like brk(2))."""
        self.sbrk(address - self.brk_address)
        self.syscalls["sbrk"] -= 1
        self.syscalls["brk"] += 1

    # -- mmap ------------------------------------------------------------------------------
    @property
    def mapped_bytes(self) -> int:
        """Bytes currently mapped with mmap."""
        return sum(length for _, length in self._regions)

    @property
    def footprint(self) -> int:
        """All memory the OS has handed out: the heap plus mapped pages."""
        return self.heap_bytes + self.mapped_bytes

    def mmap(self, length: int) -> int:
        """Map ``length`` bytes (rounded up to pages) of zeroed memory; return the address."""
        check_size(length, "mmap length")
        length = align_up(length, self.page_size)
        for i in range(len(self._holes) - 1, -1, -1):  # the highest hole that fits, its top part
            start, size = self._holes[i]
            if size >= length:
                address = start + size - length
                if size == length:
                    del self._holes[i]
                else:
                    self._holes[i] = (start, size - length)
                break
        else:  # below the lowest mapping, down to the break
            top = self._ceiling()
            if top - self.brk_address < length:
                raise OutOfMemory(
                    f"mmap({length}) finds no {length}-byte gap below {top:#x}",
                    address=top,
                )
            address = top - length
        self.syscalls["mmap"] += 1
        bisect.insort(self._regions, (address, length))
        self.memory.fill(address, length)
        return address

    def munmap(self, address: int, length: int) -> None:
        """Unmap the pages in ``[address, address + length)``; all must be mapped."""
        check_size(length, "munmap length")
        if address % self.page_size:
            raise InvalidFree(f"munmap of {address:#x}: not page aligned", address=address)
        length = align_up(length, self.page_size)
        i = bisect.bisect_right(self._regions, (address, self.limit)) - 1
        if i < 0 or self._regions[i][0] + self._regions[i][1] < address + length:
            raise InvalidFree(
                f"munmap of {length} bytes at {address:#x}: not all of it is mapped",
                address=address,
            )
        self.syscalls["munmap"] += 1
        start, size = self._regions.pop(i)
        pieces = [(start, address - start), (address + length, start + size - address - length)]
        for piece in pieces:
            if piece[1] > 0:
                bisect.insort(self._regions, piece)
        self._open_hole(address, address + length)

    def _open_hole(self, low: int, high: int) -> None:
        """Record ``[low, high)`` as unmapped, merged with the holes beside it (none below the lowest region)."""
        j = bisect.bisect_left(self._holes, (high,))
        if j < len(self._holes) and self._holes[j][0] == high:  # the hole just above
            high += self._holes.pop(j)[1]
        if j > 0 and sum(self._holes[j - 1]) == low:  # the hole just below
            j -= 1
            low = self._holes.pop(j)[0]
        if self._regions and self._regions[0][0] < low:
            self._holes.insert(j, (low, high - low))

    def regions(self) -> list[tuple[int, int]]:
        """The mapped regions as (start, length), lowest first."""
        return list(self._regions)

    def is_mapped(self, address: int) -> bool:
        """True if ``address`` lies in the heap or in a mapped region."""
        if self.heap_start <= address < self.brk_address:
            return True
        i = bisect.bisect_right(self._regions, (address, self.limit)) - 1
        return i >= 0 and address < self._regions[i][0] + self._regions[i][1]
