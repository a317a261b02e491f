"""The binary buddy system: Knuth, TAOCP vol. 1 §2.5, and the Linux page allocator.

Every block holds 2**k bytes, for an *order* k between ``min_order`` and ``max_order``. There
is one free list per order (Linux's ``free_area[order]``). To allocate, round the request up to
a power of two, take a block from the smallest order that has one, and split it in halves
until it has the right order; the upper halves go on the free lists. Two halves of one split
are *buddies*, and a block finds its buddy with one XOR::

    buddy = start + ((block - start) XOR 2**k)

To free, put the block back; while its buddy is free and of the same order, take the buddy off
its list and merge the two into one block of the next order.

How a block knows its order: a side table (``order_of``) of every block, free or allocated.
Linux stores less. The order of a *free* block sits in the ``struct page`` of its first page
(``set_buddy_order`` puts it in ``page->private`` and marks the page ``PageBuddy``), and a
compound page (a folio) records its order too; but when a plain block is allocated, its page is
taken off the free list and ``page->private`` is cleared, so nothing remembers its order, and
``free_pages(addr, order)`` takes the order from the caller. A header in the block would cost a
word, break the power-of-two sizes the payload gets (a 64-byte request would need a 128-byte
block) and, being user-writable, could be forged. So every payload byte of a block is the
caller's, and a 33-byte request costs exactly one 64-byte block.

Simplifications: the zone grows by whole top-order blocks from ``sbrk`` (Linux's zones are
fixed); a request above the top order raises :class:`~memlab.errors.TooLarge` (Linux warns and
returns NULL); resize shrinks in place by splitting off the upper halves, and never grows.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import BadAlignment, BadRequest, OutOfMemory, TooLarge
from ..events import Event, Grow, Split
from ..memory import align_up
from .base import ALLOCATED, FREE, Allocator, Block, HeapSnapshot, machine
from .fragmentation import Fragmentation, fragmentation_at_peak, internal_fragmentation

# -- Reading a buddy zone: its layout, the snapshot the views draw, /proc/buddyinfo, and its invariants.
#
# ``free_counts()`` gives the numbers Linux prints in ``/proc/buddyinfo`` (free blocks per order).
# ``check()`` walks every free list and the side table of allocated orders and names the first
# broken invariant: a block off its order's grid, a block listed twice, two free buddies that were
# not merged (Knuth's algorithm never leaves them so), or blocks that do not tile the zone.


@dataclass(frozen=True, slots=True)
class BuddySnapshot(HeapSnapshot):
    """A heap snapshot plus what the buddy views need: the orders and the free-list lengths."""

    min_order: int = 0
    max_order: int = 0
    free_area: tuple[int, ...] = ()  # free blocks per order, min_order first


@dataclass(frozen=True, slots=True)
class Merge(Event):
    """Two free buddies became one free block of the next order."""

    address: int
    size: int
    left: int
    right: int

    def describe(self) -> str:
        half = self.size // 2
        return (
            f"merge buddies {self.left:#x} + {self.right:#x} ({half} + {half}) "
            f"into a {self.size}-byte free block at {self.address:#x}"
        )


def order_for(size: int, min_order: int = 0) -> int:
    """The smallest order k with 2**k >= size (and k >= min_order)."""
    return max(min_order, (size - 1).bit_length())


class Buddy(Allocator):
    """Binary buddy allocator (Knuth §2.5; Linux's free_area[order])."""

    name = "buddy"

    @staticmethod
    def replay_options(sizes, options: dict) -> dict:
        """Unless the spec sets one: a top order that holds a trace's largest request (4 KiB to 1 GiB)."""
        if "max_order" in options:
            return options
        return {**options, "max_order": min(30, max(12, (max(sizes, default=1) - 1).bit_length()))}

    def __init__(self, max_order: int = 12, min_order: int = 4, *, blocks: int = 1, grow: bool = True, **kw) -> None:
        for what, value in (("max_order", max_order), ("min_order", min_order), ("blocks", blocks)):
            if type(value) is not int or value < 0:
                raise BadRequest(f"buddy {what}={value!r} must be a non-negative integer")
        if not 3 <= min_order <= max_order <= 30:
            raise BadRequest(
                f"buddy orders need 3 <= min_order <= max_order <= 30 (blocks of 8 bytes to 1 GiB); "
                f"got min_order={min_order}, max_order={max_order}"
            )
        if "os" not in kw and "limit" not in kw:  # a machine that holds the zone's first blocks
            kw["os"] = machine(self.name, "blocks", blocks, max(64 << 20, (max(blocks, 1) + 1) << max_order))
        super().__init__(**kw)
        self.min_order, self.max_order, self.grow = min_order, max_order, bool(grow)
        self.top = 1 << max_order
        self._min_block = 1 << min_order
        self.free_area: list[dict[int, None]] = [{} for _ in range(max_order + 1)]  # ordered sets
        self.order_of: dict[int, int] = {}  # allocated block -> its order (the side table)
        self.start = align_up(self.os.brk_address, min(self.top, self.os.page_size))
        self.max_align = min(self.start & -self.start, self.top)
        pad = self.start - self.os.brk_address
        if pad:
            self.os.sbrk(pad)  # padding below the zone, so its blocks are aligned
            self._add_footprint(pad)
        self.zone_blocks = 0
        with self._option(blocks=blocks, max_order=max_order):
            for _ in range(blocks):
                self._add_top_block()

    # -- growing the zone ----------------------------------------------------------------------
    def _add_top_block(self) -> None:
        end = self.start + self.zone_blocks * self.top
        if self.os.brk_address != end:
            raise OutOfMemory(f"the buddy zone ends at {end:#x} but the program break moved; it cannot grow")
        address = self.os.sbrk(self.top)
        self._add_footprint(self.top)
        self.zone_blocks += 1
        self.free_area[self.max_order][address] = None
        if self.recorder is not None:
            self._emit(Grow(self.step, address, self.top, "sbrk"))

    # -- the algorithm -------------------------------------------------------------------------
    def _order(self, size: int, align: int) -> int:
        k = (size - 1).bit_length()
        if k < self.min_order:
            k = self.min_order
        if align > self._min_block:
            if align > self.max_align:
                raise BadAlignment(f"alignment {align} exceeds the {self.max_align}-byte alignment of this buddy zone")
            if align > 1 << k:
                k = align.bit_length() - 1
        if k > self.max_order:
            raise TooLarge(
                f"a {size}-byte request needs a block of order {k} ({1 << k} bytes), "
                f"but the largest order is {self.max_order} ({self.top} bytes)"
            )
        return k

    def _alloc(self, size: int, align: int) -> int:
        k = self._order(size, align)
        free = self.free_area
        j = k
        while j <= self.max_order and not free[j]:
            j += 1
        if j > self.max_order:
            if not self.grow:
                raise OutOfMemory(
                    f"no free block of order {k} ({1 << k} bytes) or larger for a {size}-byte request; "
                    f"buddyinfo: {[len(f) for f in free[self.min_order :]]}"
                )
            self._add_top_block()
            j = self.max_order
        block, _ = free[j].popitem()
        recording = self.recorder is not None
        while j > k:
            j -= 1
            free[j][block + (1 << j)] = None  # the upper half waits on its list
            if recording:
                free[j][block] = None
                self._emit(Split(self.step, block, 2 << j, 1 << j, 1 << j))
                del free[j][block]
        self.order_of[block] = k
        return block

    def _free(self, address: int, size: int) -> int:
        """Put the block on its order's free list; its order goes on to :meth:`_after_free`."""
        k = self.order_of.pop(address)
        self.free_area[k][address] = None
        return k

    def _after_free(self, address: int, size: int, k: int) -> None:
        """Merge after the Free event, so a recording shows the free first and then each merge."""
        self._merge(address, k)

    def _merge(self, address: int, k: int) -> None:
        """Merge the free block with its buddy while the buddy is free and of the same order."""
        start, free = self.start, self.free_area
        while k < self.max_order:
            buddy = start + ((address - start) ^ (1 << k))
            same = free[k]
            if buddy not in same:
                return
            del same[buddy]
            del same[address]
            left, right = (address, buddy) if address < buddy else (buddy, address)
            address, k = left, k + 1
            free[k][address] = None
            if self.recorder is not None:
                self._emit(Merge(self.step, address, 1 << k, left, right))

    def _resize(self, address: int, old_size: int, new_size: int) -> bool:
        k = self.order_of[address]
        j = max(self.min_order, (new_size - 1).bit_length())
        if j > k:
            return False
        while k > j:  # shrink: split off upper halves, whose buddy (our block) stays allocated
            k -= 1
            self.free_area[k][address + (1 << k)] = None
            self.order_of[address] = k
            if self.recorder is not None:
                self._emit(Split(self.step, address, 2 << k, 1 << k, 1 << k))
        return True

    # -- the buddy of a block ------------------------------------------------------------------
    def buddy_of(self, address: int, order: int) -> int:
        """The address of the buddy of the order-``order`` block at ``address``."""
        return self.start + ((address - self.start) ^ (1 << order))

    # -- layout, snapshot and checks -----------------------------------------------------------

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


__all__ = [
    "Buddy",
    "BuddySnapshot",
    "Fragmentation",
    "Merge",
    "fragmentation_at_peak",
    "internal_fragmentation",
    "order_for",
]
