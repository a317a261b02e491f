"""What a pymalloc heap shows of itself: its events and its snapshot for views.

The events say, in obmalloc's own words, what happened to arenas and pools: a pool is carved or
reused for a size class, leaves ``usedpools`` when it fills up, comes back to the front of it
when a full pool gets a block back, and goes to its arena's ``freepools`` when it empties; an
arena is mapped, moves along ``usable_arenas`` as its count of free pools changes, and is
unmapped when it is entirely free (unless it is the last usable arena, which is kept).

:class:`PyMallocSnapshot` adds to the usual heap snapshot the arenas, the pools and the lists
that tie them together, as plain data, so that a view can draw them without the allocator.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...events import Alloc, Event, Free
from ..blocks import HeapSnapshot


@dataclass(frozen=True, slots=True)
class PoolView:
    """One carved pool: its size class, how many blocks are in use and its free list."""

    address: int
    arena: int
    szidx: int  # size class index; -1 for a pool that was never given a class
    size: int  # bytes per block (0 when the pool is empty)
    count: int  # blocks in use (``ref.count``)
    capacity: int  # blocks the pool holds (``NUMBLOCKS``)
    free: tuple[int, ...]  # the pool's ``freeblock`` list, head first
    untouched: int  # blocks never handed out yet (beyond ``nextoffset``)

    @property
    def state(self) -> str:
        """``"empty"``, ``"used"`` (partly) or ``"full"``, obmalloc's three pool states."""
        if self.count == 0:
            return "empty"
        return "full" if self.count == self.capacity else "used"


@dataclass(frozen=True, slots=True)
class ArenaView:
    """One arena: where its pools start, how many it has and which of them are free."""

    index: int
    address: int
    first_pool: int  # the first pool-aligned address in the arena
    ntotalpools: int
    nfreepools: int
    carved: int  # pools carved so far (``pool_address`` moved past them)
    freepools: tuple[int, ...]  # the arena's list of empty pools, head first


@dataclass(frozen=True, slots=True)
class PyMallocSnapshot(HeapSnapshot):
    """A heap snapshot plus obmalloc's arenas, pools, ``usedpools`` and ``usable_arenas``."""

    arenas: tuple[ArenaView, ...] = ()
    pools: tuple[PoolView, ...] = ()
    usedpools: tuple[tuple[int, ...], ...] = ()  # per size class: pool addresses, head first
    usable_arenas: tuple[int, ...] = ()  # arena indices, fewest free pools first
    large: tuple[tuple[int, int], ...] = ()  # blocks the child allocator holds: (address, size)
    arena_size: int = 1 << 20
    pool_size: int = 1 << 14
    alignment: int = 16
    threshold: int = 512


@dataclass(frozen=True, slots=True)
class PyAlloc(Alloc):
    """An allocation, saying where it came from (kind ``alloc``)."""

    source: str = ""

    @property
    def kind(self) -> str:
        return "alloc"

    def describe(self) -> str:
        return f"{Alloc.describe(self)}: {self.source}" if self.source else Alloc.describe(self)


@dataclass(frozen=True, slots=True)
class PyFree(Free):
    """A free, saying where the block went (kind ``free``)."""

    where: str = ""

    @property
    def kind(self) -> str:
        return "free"

    def describe(self) -> str:
        return f"{Free.describe(self)}: {self.where}" if self.where else Free.describe(self)


@dataclass(frozen=True, slots=True)
class ArenaNew(Event):
    """``new_arena()``: an arena is mapped and put at the head of ``usable_arenas``."""

    index: int
    address: int
    size: int
    pools: int
    aligned: bool = True  # False: the address is not pool-aligned, and one pool's room is lost

    def describe(self) -> str:
        lost = "" if self.aligned else " (the address is not pool-aligned, so one pool's room is lost)"
        return (
            f"no arena has a free pool: mmap gives arena {self.index}, {self.size // 1024} KiB at "
            f"{self.address:#x}, room for {self.pools} pools{lost}"
        )


@dataclass(frozen=True, slots=True)
class PoolTaken(Event):
    """``allocate_from_new_pool()``: usedpools had no pool of this class, so an empty pool is used."""

    pool: int
    arena: int
    size: int
    how: str  # "carved", "reused" or "reused-same"

    def describe(self) -> str:
        where = {
            "carved": f"carved from arena {self.arena}'s untouched pools",
            "reused": f"taken from the head of arena {self.arena}'s freepools",
            "reused-same": f"taken from arena {self.arena}'s freepools; it held {self.size}-byte blocks before, "
            "so its header and free list are kept",
        }[self.how]
        return f"usedpools has no pool of {self.size}-byte blocks: the pool at {self.pool:#x} is {where}"


@dataclass(frozen=True, slots=True)
class PoolFull(Event):
    """The last free block of a pool was handed out: the pool leaves ``usedpools``."""

    pool: int
    size: int

    def describe(self) -> str:
        what = f"the pool at {self.pool:#x} hands out its last free block"
        return f"{what}: full, it leaves usedpools ({self.size}-byte blocks)"


@dataclass(frozen=True, slots=True)
class PoolBack(Event):
    """A free in a full pool: the pool goes back to the front of ``usedpools``."""

    pool: int
    size: int

    def describe(self) -> str:
        return (
            f"the pool at {self.pool:#x} was full: it goes back to the front of usedpools, "
            f"so the next {self.size}-byte request reuses the block just freed"
        )


@dataclass(frozen=True, slots=True)
class PoolEmpty(Event):
    """The last block of a pool was freed: the pool goes to its arena's ``freepools``."""

    pool: int
    size: int
    arena: int
    nfreepools: int

    def describe(self) -> str:
        return (
            f"the pool at {self.pool:#x} is empty: it leaves usedpools and goes to the front of arena "
            f"{self.arena}'s freepools (now {self.nfreepools} free pools)"
        )


@dataclass(frozen=True, slots=True)
class ArenaMove(Event):
    """An arena gained a free pool and moved towards the end of ``usable_arenas`` (it stays sorted)."""

    index: int
    nfreepools: int
    after: int

    def describe(self) -> str:
        return (
            f"arena {self.index} now has {self.nfreepools} free pools, more than the arena after it: it moves "
            f"behind arena {self.after}, so emptier arenas are used last and may be freed"
        )


@dataclass(frozen=True, slots=True)
class ArenaFree(Event):
    """An arena whose pools are all free is unmapped."""

    index: int
    address: int
    size: int

    def describe(self) -> str:
        kib = self.size // 1024
        return f"every pool of arena {self.index} is free: munmap returns its {kib} KiB at {self.address:#x}"


@dataclass(frozen=True, slots=True)
class ArenaKept(Event):
    """An arena whose pools are all free is kept, because it is the last one in ``usable_arenas``."""

    index: int

    def describe(self) -> str:
        return (
            f"every pool of arena {self.index} is free, but it is the last arena in usable_arenas: "
            "it is kept, so a loop that allocates and frees does not map and unmap an arena each time"
        )
