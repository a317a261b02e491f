"""Internal fragmentation: bytes the program asked for against bytes of the blocks that hold them.

Follows CS:APP §9.9.4, which counts a block's header, footer and padding as internal
fragmentation, and measures it where Johnstone & Wilson ("The Memory Fragmentation Problem:
Solved?", ISMM 1998) do: at the moment live bytes peak. It reads only ``layout()``, so it works
for every allocator; the buddy system, whose power-of-two blocks waste the most, uses it first.
"""

from __future__ import annotations

from dataclasses import dataclass

from .base import ALLOCATED, Allocator, HeapSnapshot


@dataclass(frozen=True, slots=True)
class Fragmentation:
    """Internal fragmentation of the live blocks: bytes requested vs bytes of the blocks."""

    requested: int
    block_bytes: int

    @property
    def wasted(self) -> int:
        return self.block_bytes - self.requested

    @property
    def ratio(self) -> float:
        """Share of the live blocks' bytes that nobody asked for."""
        return self.wasted / self.block_bytes if self.block_bytes else 0.0


def internal_fragmentation(heap: Allocator | HeapSnapshot) -> Fragmentation:
    """Requested bytes vs block bytes over the allocated blocks of any allocator's layout.

    A block's bytes include its header, footer and padding: CS:APP counts all of them as
    internal fragmentation.
    """
    blocks = heap.blocks if isinstance(heap, HeapSnapshot) else heap.layout()
    used = [b for b in blocks if b.state == ALLOCATED]
    return Fragmentation(sum(b.requested for b in used), sum(b.size for b in used))


def fragmentation_at_peak(heap: Allocator, ops) -> Fragmentation:
    """Run ``ops`` (a trace's ``(kind, id, size)`` tuples: ``a``, ``f``, ``r``) on ``heap`` and
    return the internal fragmentation at the moment live bytes peaked (Johnstone & Wilson's moment)."""
    blocks: dict[int, tuple[int, int]] = {}
    live, peak, worst = 0, -1, Fragmentation(0, 0)
    for kind, ident, size in ops:
        if kind == "a":
            blocks[ident] = (heap.alloc(size), size)
            live += size
        elif kind == "f":
            address, old = blocks.pop(ident)
            heap.free(address)
            live -= old
        else:
            address, old = blocks[ident]
            blocks[ident] = (heap.realloc(address, size), size)
            live += size - old
        if live > peak:
            peak, worst = live, internal_fragmentation(heap)
    return worst
