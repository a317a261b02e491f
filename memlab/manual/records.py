"""What the DebugAllocator remembers about every block: its redzones, history and definedness.

A real sanitizer keeps this in *shadow memory* (ASan: one shadow byte per 8 bytes of the
application; memcheck: an A bit per byte for "addressable" and a V bit per bit for "defined")
plus a chunk header with the allocation and free stack traces. memlab keeps one record per
block, and a sorted index of the address ranges the blocks (with their redzones) cover.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from .sites import Site

LIVE = "live"
QUARANTINED = "quarantined"
RELEASED = "released"


@dataclass(slots=True, eq=False)
class BlockRecord:
    """One block: ``raw`` is what the wrapped allocator returned, ``payload`` what the program got."""

    payload: int
    size: int
    raw: int
    total: int
    align: int
    alloc_step: int
    alloc_site: Site | None
    defined: bytearray
    state: str = LIVE
    free_step: int | None = None
    free_site: Site | None = None

    @property
    def end(self) -> int:
        return self.payload + self.size

    @property
    def raw_end(self) -> int:
        return self.raw + self.total

    @property
    def left(self) -> int:
        """Bytes of the left redzone."""
        return self.payload - self.raw

    @property
    def right(self) -> int:
        """Bytes of the right redzone."""
        return self.raw_end - self.end

    def region(self) -> str:
        return f"{self.size}-byte region [{self.payload:#x},{self.end:#x})"

    def locate(self, address: int) -> str:
        """Where ``address`` lies relative to this block, in ASan's words."""
        if address < self.payload:
            return f"{address:#x} is located {self.payload - address} bytes to the left of {self.region()}"
        if address >= self.end:
            return f"{address:#x} is located {address - self.end} bytes to the right of {self.region()}"
        return f"{address:#x} is located {address - self.payload} bytes inside of {self.region()}"

    def relation(self, address: int) -> str:
        """Where ``address`` lies, in memcheck's words."""
        if address < self.payload:
            where = f"{self.payload - address} bytes before"
        elif address >= self.end:
            where = f"{address - self.end} bytes after"
        else:
            where = f"{address - self.payload} bytes inside"
        how = "free'd" if self.state != LIVE else "alloc'd"
        return f"Address {address:#x} is {where} a block of size {self.size} {how}"


class SpanIndex:
    """Records by the address range ``[raw, raw_end)`` they cover; ranges never overlap."""

    def __init__(self) -> None:
        self._starts: list[int] = []
        self._records: dict[int, BlockRecord] = {}

    def __len__(self) -> int:
        return len(self._starts)

    def __iter__(self):
        return (self._records[s] for s in self._starts)

    def add(self, record: BlockRecord) -> None:
        bisect.insort(self._starts, record.raw)
        self._records[record.raw] = record

    def remove(self, record: BlockRecord) -> None:
        """Forget ``record`` (and only it, not a newer record at the same address)."""
        if self._records.get(record.raw) is record:
            del self._starts[bisect.bisect_left(self._starts, record.raw)]
            del self._records[record.raw]

    def get(self, raw: int) -> BlockRecord | None:
        """The record whose range starts at ``raw``."""
        return self._records.get(raw)

    def find(self, address: int) -> BlockRecord | None:
        """The record whose range contains ``address``, if any."""
        i = bisect.bisect_right(self._starts, address) - 1
        if i >= 0:
            record = self._records[self._starts[i]]
            if address < record.raw_end:
                return record
        return None

    def neighbours(self, address: int) -> tuple[BlockRecord | None, BlockRecord | None]:
        """The nearest records to the left and to the right of ``address``."""
        i = bisect.bisect_right(self._starts, address)
        left = self._records[self._starts[i - 1]] if i > 0 else None
        right = self._records[self._starts[i]] if i < len(self._starts) else None
        return left, right

    def overlapping(self, start: int, end: int) -> list[BlockRecord]:
        """Records whose range meets ``[start, end)``."""
        i = max(0, bisect.bisect_right(self._starts, start) - 1)
        found = []
        while i < len(self._starts) and self._starts[i] < end:
            record = self._records[self._starts[i]]
            if record.raw_end > start:
                found.append(record)
            i += 1
        return found
