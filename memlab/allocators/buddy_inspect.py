"""Reading a buddy zone: its layout, the snapshot the views draw, /proc/buddyinfo, and its invariants.

``free_counts()`` gives the numbers Linux prints in ``/proc/buddyinfo`` (free blocks per order).
``check()`` walks every free list and the side table of allocated orders and names the first
broken invariant: a block off its order's grid, a block listed twice, two free buddies that were
not merged (Knuth's algorithm never leaves them so), or blocks that do not tile the zone.
"""

from __future__ import annotations

from dataclasses import dataclass

from .base import ALLOCATED, FREE, Block, HeapSnapshot
from .fragmentation import Fragmentation, internal_fragmentation


@dataclass(frozen=True, slots=True)
class BuddySnapshot(HeapSnapshot):
    """A heap snapshot plus what the buddy views need: the orders and the free-list lengths."""

    min_order: int = 0
    max_order: int = 0
    free_area: tuple[int, ...] = ()  # free blocks per order, min_order first


class BuddyInspection:
    """Layout, snapshot and checks of a :class:`~.buddy.Buddy` (a mixin)."""

    def free_counts(self) -> list[int]:
        """Free blocks per order, ``min_order`` first: the numbers /proc/buddyinfo prints."""
        return [len(f) for f in self.free_area[self.min_order :]]

    def layout(self) -> list[Block]:
        live = self._live
        blocks = [
            Block(a, 1 << k, ALLOCATED, f"order {k}", requested=live.get(a, (0,))[0]) for a, k in self.order_of.items()
        ]
        for k, free in enumerate(self.free_area):
            blocks.extend(Block(a, 1 << k, FREE, f"order {k}") for a in free)
        blocks.sort(key=lambda b: b.address)
        return blocks

    def extent(self) -> tuple[int, int]:
        return self.start, self.start + self.zone_blocks * self.top

    def snapshot(self) -> BuddySnapshot:
        base = super().snapshot()
        return BuddySnapshot(
            base.blocks,
            base.start,
            base.end,
            base.stats,
            base.data,
            self.min_order,
            self.max_order,
            tuple(self.free_counts()),
        )

    def internal_fragmentation(self) -> Fragmentation:
        """Requested bytes vs block bytes over the live blocks."""
        return internal_fragmentation(self)

    def reclaimed(self) -> bool:
        return not self.order_of and len(self.free_area[self.max_order]) == self.zone_blocks

    def _check(self) -> None:
        start, end = self.extent()
        seen: dict[int, int] = {}
        for k, free in enumerate(self.free_area):
            for a in free:
                where = f"free block {a:#x} of order {k}"
                if k < self.min_order:
                    self._corrupt(f"{where} is below min_order {self.min_order}", a)
                if (a - start) % (1 << k) or not start <= a < end:
                    self._corrupt(f"{where} is not at a multiple of {1 << k} inside the zone", a)
                if a in seen or a in self.order_of:
                    self._corrupt(f"{where} is also listed as order {seen.get(a, self.order_of.get(a))}", a)
                seen[a] = k
                if k < self.max_order and self.buddy_of(a, k) in free:
                    self._corrupt(f"{where} and its buddy {self.buddy_of(a, k):#x} are both free but not merged", a)
        for a, k in self.order_of.items():
            if a not in self._live:
                self._corrupt(f"block {a:#x} of order {k} is in the side table but not live", a)
            if self._live[a][0] > 1 << k:
                self._corrupt(f"block {a:#x} of order {k} is smaller than its {self._live[a][0]}-byte payload", a)
        total = sum(1 << k for k in seen.values()) + sum(1 << k for k in self.order_of.values())
        if total != end - start:
            self._corrupt(f"blocks cover {total} bytes but the zone has {end - start}")
