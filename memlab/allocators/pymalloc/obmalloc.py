"""pymalloc: CPython's allocator for small objects (``Objects/obmalloc.c``), as in CPython 3.11.

Almost every object Python creates is small: an int, a tuple, a dict's keys, a frame. CPython
does not ask the C library for each of them. Requests of at most 512 bytes go to *obmalloc*
(pymalloc), written by Vladimir Marangozov in 2000 and tuned since; larger ones, and requests of
0 bytes, go to the C library's ``malloc`` (here: the child allocator).

Three levels, each carved out of the one above only when it is needed:

* **arenas** of 1 MiB, mapped with ``mmap``;
* **pools** of 16 KiB, cut from an arena; a pool holds blocks of one size class only, and starts
  with a 48-byte header (``ref.count``, ``freeblock``, ``nextpool``, ``prevpool``, ``arenaindex``,
  ``szidx``, ``nextoffset``, ``maxnextoffset``), written here in the simulated bytes;
* **blocks**, in 32 size classes 16 bytes apart (16, 32, ..., 512). A free block's first word
  links it to the next free block of its pool (``freeblock``), so the free list costs nothing.

``usedpools[i]`` lists the pools of class *i* that have both used and free blocks: a request
takes the first free block of the first pool. A full pool leaves the list; when it gets a block
back, it returns to the *front*, so the next request reuses that block. An empty pool goes to the
front of its arena's ``freepools``; any class may take it next. ``usable_arenas`` lists the
arenas with free pools, fewest first (``nfp2lasta[n]`` points at the last arena with *n* free
pools, so keeping the order costs O(1)): new pools come from the fullest arena, which gives the
emptiest ones a chance to become entirely free. Such an arena is unmapped, unless it is the
last one in the list (kept to avoid mapping and unmapping an arena in a loop, bpo-37257).
``address_in_range`` decides whether pymalloc owns a pointer with a radix tree over arena
addresses; its leaves (``tail_hi``, ``tail_lo``) are kept here in a dict by arena number.

Version notes. The constants are those of 64-bit CPython 3.10 to 3.13 (radix tree, 16 KiB pools,
1 MiB arenas, 16-byte alignment); CPython 3.9 and earlier used 4 KiB pools and 256 KiB arenas
(``PyMalloc(pool_size=4096, arena_size=256 << 10)``), and 32-bit builds 8-byte classes. From 3.12
on the same state lives per interpreter; 3.13's free-threaded build replaces pymalloc with
mimalloc (:mod:`memlab.allocators.mimalloc`).

Simplifications: ``usedpools`` is an array of list heads whose lists end in NULL, where CPython
threads circular lists through fake headers inside the array (the same order results); the
arena vector is a Python list; memlab blocks hold at least one byte, so CPython's ``malloc(0)``
(which goes to the C library) cannot be asked for. Extra alignment (above 16) is not part of
CPython's API; such requests go to the child allocator.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

from ...errors import BadRequest, OutOfMemory
from ...events import Alloc, Event, Free, Move, Resize
from ...memory import is_power_of_two
from ..base import ALLOCATED, DEAD, FREE, METADATA, Allocator, Block
from ..blocks import ViewCache
from ..registry import allocator as build_child
from .info import (
    ArenaFree,
    ArenaKept,
    ArenaMove,
    ArenaNew,
    ArenaView,
    PoolBack,
    PoolEmpty,
    PoolFull,
    PoolTaken,
    PoolView,
    PyAlloc,
    PyFree,
    PyMallocSnapshot,
)
from .stats import ClassStats, MallocStats

ALIGNMENT = 16
ALIGNMENT_SHIFT = 4
SMALL_REQUEST_THRESHOLD = 512
ARENA_SIZE = 1 << 20
POOL_SIZE = 1 << 14
INITIAL_ARENA_OBJECTS = 16
DUMMY_SIZE_IDX = 0xFFFF
"""``szidx`` of a pool that was carved but has not held blocks yet."""

# struct pool_header, 64-bit: the offsets of its fields, and its size rounded up to ALIGNMENT
REF_COUNT, FREEBLOCK, NEXTPOOL, PREVPOOL = 0, 8, 16, 24
ARENAINDEX, SZIDX, NEXTOFFSET, MAXNEXTOFFSET = 32, 36, 40, 44
POOL_OVERHEAD = 48
HEADER_FIELDS = (
    ("ref.count", REF_COUNT, 4),
    ("freeblock", FREEBLOCK, 8),
    ("nextpool", NEXTPOOL, 8),
    ("prevpool", PREVPOOL, 8),
    ("arenaindex", ARENAINDEX, 4),
    ("szidx", SZIDX, 4),
    ("nextoffset", NEXTOFFSET, 4),
    ("maxnextoffset", MAXNEXTOFFSET, 4),
)


_HEADER = struct.Struct("<IIQQQIIII")  # the pool header's fields (ref.count padded to a pointer)


def INDEX2SIZE(i: int) -> int:  # noqa: N802 - obmalloc's name
    """Bytes per block of size class ``i``."""
    return (i + 1) << ALIGNMENT_SHIFT


def size_class(nbytes: int) -> int:
    """The size class index of a request of ``nbytes`` (1..512): ``(nbytes - 1) >> 4``."""
    return (nbytes - 1) >> ALIGNMENT_SHIFT


class ArenaObject:
    """``struct arena_object``: the record of one arena (its memory is elsewhere)."""

    __slots__ = ("index", "address", "pool_address", "nfreepools", "ntotalpools", "freepools", "nextarena", "prevarena")

    def __init__(self, index: int) -> None:
        self.index = index
        self.address = 0  # 0: not associated with an arena (on unused_arena_objects)
        self.pool_address = 0  # the next pool to carve
        self.nfreepools = self.ntotalpools = 0
        self.freepools = 0  # first empty pool, linked through the pools' nextpool field
        self.nextarena: ArenaObject | None = None
        self.prevarena: ArenaObject | None = None

    def __repr__(self) -> str:
        return f"<arena {self.index} at {self.address:#x}: {self.nfreepools}/{self.ntotalpools} pools free>"


class PyMalloc(Allocator):
    """CPython's small-object allocator: arenas, pools, size classes (obmalloc, CPython 3.11)."""

    name = "pymalloc"
    default_align = ALIGNMENT

    def __init__(
        self,
        *,
        arena_size: int = ARENA_SIZE,
        pool_size: int = POOL_SIZE,
        child: str | Allocator = "page",
        arena_offsets: Sequence[int] | None = None,
        **kw,
    ) -> None:
        super().__init__(**kw)
        if not is_power_of_two(pool_size) or pool_size < self.os.page_size:
            raise BadRequest(
                f"pymalloc pool_size={pool_size!r}: not a power of two of at least a page ({self.os.page_size})"
            )
        if not is_power_of_two(arena_size) or arena_size < 2 * pool_size:
            raise BadRequest(
                f"pymalloc arena_size={arena_size!r}, pool_size={pool_size!r}: the arena must be a power of two "
                "holding at least two pools"
            )
        if arena_size > self.os.limit:
            raise BadRequest(
                f"pymalloc arena_size={arena_size}: larger than the simulated memory ({self.os.limit:,} bytes)"
            )
        if (pool_size - POOL_OVERHEAD) // SMALL_REQUEST_THRESHOLD < 2:
            raise BadRequest(
                f"pymalloc pool_size={pool_size}: a pool cannot hold two {SMALL_REQUEST_THRESHOLD}-byte blocks"
            )
        self.arena_size, self.pool_size = arena_size, pool_size
        self.arena_bits = arena_size.bit_length() - 1
        self.max_pools = arena_size // pool_size  # MAX_POOLS_IN_ARENA
        self.numblocks = [(pool_size - POOL_OVERHEAD) // INDEX2SIZE(i) for i in range(self.nclasses)]
        self.offsets = self._offsets(arena_offsets)
        if isinstance(child, Allocator):
            if child.os is not self.os:
                raise BadRequest("the child allocator must share this allocator's OS (pass os=heap.os)")
            self.child = child
        elif isinstance(child, str):
            with self._option(child=child):
                self.child = build_child(child, os=self.os)
        else:
            raise BadRequest(f"pymalloc child={child!r}: give a registry name or an allocator")
        if self.child.live():
            raise BadRequest(f"the child {type(self.child).__name__} already has live blocks")
        self.child_name = child if isinstance(child, str) else type(child).__name__
        # obmalloc's state
        self.usedpools = [0] * self.nclasses
        self.arenas: list[ArenaObject] = []
        self.maxarenas = 0
        self.unused_arena_objects: ArenaObject | None = None
        self.usable_arenas: ArenaObject | None = None
        self.nfp2lasta: list[ArenaObject | None] = [None] * (self.max_pools + 1)
        self.narenas_currently_allocated = self.ntimes_arena_allocated = self.narenas_highwater = 0
        self.raw_allocated_blocks = 0
        self.arena_map: dict[int, list[int]] = {}  # radix tree leaves: ideal arena number -> [tail_hi, tail_lo]
        self._cache = ViewCache(self._key)  # layout and snapshot of the current state
        self._events = 0  # events told so far: a step that tells two (a free, then its pool moving) changes in between

    nclasses = SMALL_REQUEST_THRESHOLD // ALIGNMENT  # NB_SMALL_SIZE_CLASSES

    def _offsets(self, offsets: Sequence[int] | None) -> tuple[int, ...] | None:
        if offsets is None:
            return None
        page = self.os.page_size
        if (
            not isinstance(offsets, (tuple, list))
            or not offsets
            or any(type(o) is not int or o < 0 or o >= self.pool_size or o % page for o in offsets)
        ):
            raise BadRequest(
                f"pymalloc arena_offsets={offsets!r}: expected offsets from pool alignment, multiples of the "
                f"{page}-byte page below the pool size {self.pool_size}"
            )
        return tuple(offsets)

    # -- memory words: the pool header and the free-list links live in the simulated bytes ------
    def _get(self, address: int) -> int:
        return self.memory.read_word(address)

    def _put(self, address: int, value: int) -> None:
        self.memory.write_word(address, value)

    def _get32(self, address: int) -> int:
        return self.memory.read_word(address, 4)

    def _put32(self, address: int, value: int) -> None:
        self.memory.write_word(address, value, 4)

    def pool_of(self, address: int) -> int:
        """``POOL_ADDR(p)``: the pool a block address lies in (round down to the pool size)."""
        return address & -self.pool_size

    # -- the radix tree over arena addresses (address_in_range) ------------------------------------
    def _arena_map_mark_used(self, base: int, used: bool) -> None:
        tail = base & (self.arena_size - 1)
        ideal = base >> self.arena_bits
        node = self.arena_map.setdefault(ideal, [0, 0])
        if tail == 0:
            node[0] = -1 if used else 0
        else:
            node[0] = tail if used else 0
            self.arena_map.setdefault(ideal + 1, [0, 0])[1] = tail if used else 0
        for key in (ideal, ideal + 1):
            if self.arena_map.get(key) == [0, 0]:
                del self.arena_map[key]

    def address_in_range(self, p: int) -> bool:
        """True if ``p`` lies in one of pymalloc's arenas (else the child allocator owns it)."""
        node = self.arena_map.get(p >> self.arena_bits)
        if node is None:
            return False
        hi, lo = node
        tail = p & (self.arena_size - 1)
        return tail < lo or (tail >= hi and hi != 0)

    # -- arenas -------------------------------------------------------------------------------------
    def _arena_mmap(self) -> int:
        """Map an arena; with ``arena_offsets``, at the given offset from pool alignment."""
        size = self.arena_size
        if self.offsets is None:
            return self.os.mmap(size)
        want = self.offsets[self.ntimes_arena_allocated % len(self.offsets)]
        raw = self.os.mmap(size + self.pool_size)
        address = raw + (want - raw) % self.pool_size
        if address > raw:
            self.os.munmap(raw, address - raw)
        if raw + size + self.pool_size > address + size:
            self.os.munmap(address + size, raw + self.pool_size - address)
        return address

    def new_arena(self) -> ArenaObject:
        """``new_arena()``: map an arena and take an arena object for it (the caller links it)."""
        address = self._arena_mmap()  # may raise OutOfMemory: nothing has changed yet
        if self.unused_arena_objects is None:
            numarenas = self.maxarenas << 1 if self.maxarenas else INITIAL_ARENA_OBJECTS
            for i in range(self.maxarenas, numarenas):
                self.arenas.append(ArenaObject(i))
            for i in range(self.maxarenas, numarenas):
                self.arenas[i].nextarena = self.arenas[i + 1] if i < numarenas - 1 else None
            self.unused_arena_objects = self.arenas[self.maxarenas]
            self.maxarenas = numarenas
        ao = self.unused_arena_objects
        self.unused_arena_objects = ao.nextarena
        self._arena_map_mark_used(address, True)
        ao.address = address
        self.narenas_currently_allocated += 1
        self.ntimes_arena_allocated += 1
        self.narenas_highwater = max(self.narenas_highwater, self.narenas_currently_allocated)
        ao.freepools = 0
        ao.pool_address = address
        ao.nfreepools = self.max_pools
        excess = address & (self.pool_size - 1)
        if excess:
            ao.nfreepools -= 1
            ao.pool_address += self.pool_size - excess
        ao.ntotalpools = ao.nfreepools
        self._add_footprint(self.arena_size)
        if self.recorder is not None:
            self._emit(ArenaNew(self.step, ao.index, address, self.arena_size, ao.ntotalpools, not excess))
        return ao

    def _free_arena(self, ao: ArenaObject) -> None:
        address = ao.address
        self._arena_map_mark_used(address, False)
        self.os.munmap(address, self.arena_size)
        self._add_footprint(-self.arena_size)
        ao.address = 0
        self.narenas_currently_allocated -= 1
        self._tell(ArenaFree(self.step, ao.index, address, self.arena_size))

    # -- usedpools: list heads per size class, lists linked through nextpool/prevpool ---------------
    def _push_used(self, pool: int, size: int) -> None:
        """Link ``pool`` at the front of ``usedpools[size]``."""
        head = self.usedpools[size]
        self._put(pool + NEXTPOOL, head)
        self._put(pool + PREVPOOL, 0)
        if head:
            self._put(head + PREVPOOL, pool)
        self.usedpools[size] = pool

    def _unlink_used(self, pool: int) -> None:
        """Take ``pool`` out of its ``usedpools`` list."""
        nxt, prev = self._get(pool + NEXTPOOL), self._get(pool + PREVPOOL)
        if prev:
            self._put(prev + NEXTPOOL, nxt)
        else:
            self.usedpools[self._get32(pool + SZIDX)] = nxt
        if nxt:
            self._put(nxt + PREVPOOL, prev)

    # -- allocation ---------------------------------------------------------------------------------
    def _alloc(self, size: int, align: int) -> int:
        if size <= SMALL_REQUEST_THRESHOLD and align <= ALIGNMENT:
            try:
                return self.pymalloc_alloc(size)
            except OutOfMemory:
                pass  # as in CPython: no arena could be mapped, so the C library gets the request
        address = self._relay(self.child.alloc, size, align)
        self.raw_allocated_blocks += 1
        self._peak_footprint = max(self._peak_footprint, self.footprint)
        return address

    def pymalloc_alloc(self, nbytes: int) -> int:
        """``pymalloc_alloc()``: a block from the first pool of ``usedpools``, else from a new pool."""
        size = (nbytes - 1) >> ALIGNMENT_SHIFT
        pool = self.usedpools[size]
        if not pool:
            return self.allocate_from_new_pool(size)
        self._put32(pool + REF_COUNT, self._get32(pool + REF_COUNT) + 1)
        bp = self._get(pool + FREEBLOCK)
        nxt = self._get(bp)
        self._put(pool + FREEBLOCK, nxt)
        if not nxt:  # reached the end of the free list: extend it, or the pool is full
            self.pool_extend(pool, size)
        return bp

    def pool_extend(self, pool: int, size: int) -> None:
        """``pymalloc_pool_extend()``: the next untouched block joins the free list, or the pool is full."""
        nextoffset = self._get32(pool + NEXTOFFSET)
        if nextoffset <= self._get32(pool + MAXNEXTOFFSET):
            block = pool + nextoffset
            self._put(pool + FREEBLOCK, block)
            self._put32(pool + NEXTOFFSET, nextoffset + INDEX2SIZE(size))
            self._put(block, 0)
            return
        self._unlink_used(pool)
        self._tell(PoolFull(self.step, pool, INDEX2SIZE(size)))

    def allocate_from_new_pool(self, size: int) -> int:
        """``allocate_from_new_pool()``: usedpools[size] is empty; use a free pool of the fullest arena."""
        if self.usable_arenas is None:
            ao = self.new_arena()
            ao.nextarena = ao.prevarena = None
            self.usable_arenas = ao
            self.nfp2lasta[ao.nfreepools] = ao
        ua = self.usable_arenas
        if self.nfp2lasta[ua.nfreepools] is ua:
            self.nfp2lasta[ua.nfreepools] = None  # it was the last with this many free pools
        if ua.nfreepools > 1:
            self.nfp2lasta[ua.nfreepools - 1] = ua  # it stays the first, now with one fewer
        pool = ua.freepools
        if pool:
            ua.freepools = self._get(pool + NEXTPOOL)
            how = "reused-same" if self._get32(pool + SZIDX) == size else "reused"
        else:
            pool = ua.pool_address
            self._put32(pool + ARENAINDEX, ua.index)
            self._put32(pool + SZIDX, DUMMY_SIZE_IDX)
            ua.pool_address += self.pool_size
            how = "carved"
        ua.nfreepools -= 1
        if ua.nfreepools == 0:  # wholly allocated: it leaves usable_arenas
            self.usable_arenas = ua.nextarena
            if ua.nextarena is not None:
                ua.nextarena.prevarena = None
        self._push_used(pool, size)
        self._put32(pool + REF_COUNT, 1)
        if how == "reused-same":  # its header and free list still hold for this class
            bp = self._get(pool + FREEBLOCK)
            self._put(pool + FREEBLOCK, self._get(bp))
        else:
            self._put32(pool + SZIDX, size)
            bsize = INDEX2SIZE(size)
            bp = pool + POOL_OVERHEAD
            self._put32(pool + NEXTOFFSET, POOL_OVERHEAD + (bsize << 1))
            self._put32(pool + MAXNEXTOFFSET, self.pool_size - bsize)
            self._put(pool + FREEBLOCK, bp + bsize)
            self._put(bp + bsize, 0)
        if self.recorder is not None:  # told once the pool's header is set: a snapshot shows it whole
            self._emit(PoolTaken(self.step, pool, ua.index, INDEX2SIZE(size), how))
        return bp

    # -- free ---------------------------------------------------------------------------------------
    def _tell(self, event: Event) -> None:
        if self.recorder is not None:
            self._emit(event)

    def _free(self, address: int, size: int) -> tuple[int, str] | None:
        if self.address_in_range(address):
            return self.pymalloc_free(address)
        self._relay(self.child.free, address)
        self.raw_allocated_blocks -= 1
        return None

    def pymalloc_free(self, p: int) -> tuple[int, str] | None:
        """``pymalloc_free()``: push the block on its pool's free list; say if the pool must move.

        A pool that was full must go back to ``usedpools``, an empty one to its arena's
        ``freepools``: :meth:`_after_free` does that, once the free itself has been told.
        """
        pool = self.pool_of(p)
        lastfree = self._get(pool + FREEBLOCK)
        self._put(p, lastfree)
        self._put(pool + FREEBLOCK, p)
        count = self._get32(pool + REF_COUNT) - 1
        self._put32(pool + REF_COUNT, count)
        if not lastfree:
            return pool, "was full"
        return (pool, "empty") if count == 0 else None

    def _after_free(self, address: int, size: int, pending: tuple[int, str]) -> None:
        pool, what = pending
        if what == "was full":  # back to the front of usedpools
            self._push_used(pool, self._get32(pool + SZIDX))
            self._tell(PoolBack(self.step, pool, INDEX2SIZE(self._get32(pool + SZIDX))))
        else:
            self.insert_to_freepool(pool)

    def insert_to_freepool(self, pool: int) -> None:
        """``insert_to_freepool()``: an empty pool goes to its arena; the arena may move, or be freed."""
        self._unlink_used(pool)
        ao = self.arenas[self._get32(pool + ARENAINDEX)]
        self._put(pool + NEXTPOOL, ao.freepools)
        ao.freepools = pool
        nf = ao.nfreepools
        lastnf = self.nfp2lasta[nf]
        if lastnf is ao:  # it was the rightmost arena with nf free pools
            p = ao.prevarena
            self.nfp2lasta[nf] = p if p is not None and p.nfreepools == nf else None
        nf += 1
        ao.nfreepools = nf
        self._tell(PoolEmpty(self.step, pool, INDEX2SIZE(self._get32(pool + SZIDX)), ao.index, nf))
        if nf == ao.ntotalpools and ao.nextarena is not None:  # case 1: every pool free; return the arena
            if ao.prevarena is None:
                self.usable_arenas = ao.nextarena
            else:
                ao.prevarena.nextarena = ao.nextarena
            ao.nextarena.prevarena = ao.prevarena
            ao.nextarena = self.unused_arena_objects
            self.unused_arena_objects = ao
            self._free_arena(ao)
            return
        if nf == ao.ntotalpools:
            self._tell(ArenaKept(self.step, ao.index))
        if nf == 1:  # case 2: the arena was full; it goes to the head of usable_arenas
            ao.nextarena = self.usable_arenas
            ao.prevarena = None
            if self.usable_arenas is not None:
                self.usable_arenas.prevarena = ao
            self.usable_arenas = ao
            if self.nfp2lasta[1] is None:
                self.nfp2lasta[1] = ao
            return
        if self.nfp2lasta[nf] is None:
            self.nfp2lasta[nf] = ao
        if ao is lastnf:  # case 4: still in order
            return
        # case 3: slide the arena right, to follow the last arena that had nf - 1 free pools
        if ao.prevarena is not None:
            ao.prevarena.nextarena = ao.nextarena
        else:
            self.usable_arenas = ao.nextarena
        ao.nextarena.prevarena = ao.prevarena
        ao.prevarena = lastnf
        ao.nextarena = lastnf.nextarena
        if ao.nextarena is not None:
            ao.nextarena.prevarena = ao
        lastnf.nextarena = ao
        self._tell(ArenaMove(self.step, ao.index, nf, lastnf.index))

    # -- realloc ------------------------------------------------------------------------------------
    def _resize(self, address: int, old_size: int, new_size: int) -> bool:
        """``pymalloc_realloc``'s in-place case: the block stays if the new size fits and wastes < 25%."""
        if not self.address_in_range(address):
            grown = self._relay(self.child.resize, address, new_size)
            self._peak_footprint = max(self._peak_footprint, self.footprint)
            return grown
        if new_size > SMALL_REQUEST_THRESHOLD:
            return False
        size = INDEX2SIZE(self._get32(self.pool_of(address) + SZIDX))
        return new_size <= size and 4 * new_size > 3 * size

    def realloc(self, address: int | None, new_size: int) -> int:
        """C's realloc with CPython's rule: a block the C library holds stays with it (``PyMem_RawRealloc``)."""
        if not address or type(address) is not int or address not in self._live or self.address_in_range(address):
            return super().realloc(address, new_size)
        self.step += 1
        old = self._live_size(address, "realloc")
        self._valid_size(new_size)
        if new_size == old:
            self._counts["reallocs"] += 1
            return address
        new = self._relay(self.child.realloc, address, new_size)
        self._peak_footprint = max(self._peak_footprint, self.footprint)
        self._counts["reallocs"] += 1  # counted once it succeeded, as Stats says
        if new == address:
            self._set_size(address, new_size)
            if self.recorder is not None:
                self._emit(Resize(self.step, address, old, new_size))
            return address
        since = self.step
        self._counts["allocs"] += 1  # a move is an allocation and a free, as in Allocator.realloc
        self._counts["frees"] += 1
        del self._live[address]
        self._freed[address] = since
        self._freed.pop(new, None)
        self._live[new] = (new_size, since)
        self._peak_live = max(self._peak_live, self._live_bytes + new_size)  # both blocks live for a moment
        self._live_bytes += new_size - old
        if self.recorder is not None:
            self._emit(Move(self.step, address, new, min(old, new_size)))
        return new

    # -- events -------------------------------------------------------------------------------------
    def _emit(self, event: Event) -> None:
        """Say where an allocation came from and where a freed block went."""
        if type(event) is Alloc:
            event = PyAlloc(event.step, event.address, event.size, *self._source(event.address, event.size))
        elif type(event) is Free:
            event = PyFree(event.step, event.address, event.size, self._where(event.address))
        self._events += 1
        super()._emit(event)

    def _source(self, address: int, size: int) -> tuple[int, str]:
        if not self.address_in_range(address):
            why = f"over {SMALL_REQUEST_THRESHOLD} bytes" if size > SMALL_REQUEST_THRESHOLD else "extra alignment"
            return 0, f"{why}, so the C library's malloc (here: {self.child_name}) serves it"
        pool = self.pool_of(address)
        bsize = INDEX2SIZE(self._get32(pool + SZIDX))
        return bsize, f"size class {bsize // ALIGNMENT - 1}, from the pool at {pool:#x}"

    def _where(self, address: int) -> str:
        if not self.address_in_range(address):
            return f"the C library's free (here: {self.child_name})"
        return f"it goes to the front of the free list of the pool at {self.pool_of(address):#x}"

    # -- reading the heap ---------------------------------------------------------------------------
    @property
    def footprint(self) -> int:
        """Bytes of the arenas plus what the child allocator holds for the large blocks."""
        return self._footprint + self.child.footprint

    def live_arenas(self) -> list[ArenaObject]:
        """The arena objects that have an arena, in arena-vector order."""
        return [ao for ao in self.arenas if ao.address]

    def first_pool(self, ao: ArenaObject) -> int:
        """The first pool-aligned address of an arena (CPython rounds the arena's address up)."""
        return -(-ao.address // self.pool_size) * self.pool_size

    def pools(self, ao: ArenaObject) -> range:
        """The pools carved from an arena so far."""
        return range(self.first_pool(ao), ao.pool_address, self.pool_size)

    def free_list(self, pool: int) -> list[int]:
        """The pool's ``freeblock`` list, head first (stops at the pool's capacity, in case of a cycle).

        The pool's bytes are read once; a link that leaves the pool (a corrupted one) ends the walk
        after that block, which ``check()`` then names.
        """
        data = self.memory.read(pool, self.pool_size)
        block = int.from_bytes(data[FREEBLOCK : FREEBLOCK + 8], "little")
        szidx = int.from_bytes(data[SZIDX : SZIDX + 4], "little")
        limit = self.numblocks[szidx] if szidx < self.nclasses else 0
        out = []
        while block and len(out) <= limit:
            out.append(block)
            offset = block - pool
            if not 0 <= offset <= self.pool_size - 8:
                break
            block = int.from_bytes(data[offset : offset + 8], "little")
        return out

    def freepools(self, ao: ArenaObject) -> list[int]:
        """The arena's empty pools, head first."""
        out, pool = [], ao.freepools
        while pool and len(out) <= ao.ntotalpools:
            out.append(pool)
            pool = self._get(pool + NEXTPOOL)
        return out

    def used_list(self, size: int) -> list[int]:
        """``usedpools[size]``: the partly used pools of that class, head first."""
        out, pool = [], self.usedpools[size]
        while pool and len(out) <= self.narenas_currently_allocated * self.max_pools:
            out.append(pool)
            pool = self._get(pool + NEXTPOOL)
        return out

    def usable_list(self) -> list[ArenaObject]:
        """``usable_arenas``, head (fewest free pools) first."""
        out, ao = [], self.usable_arenas
        while ao is not None and len(out) <= len(self.arenas):
            out.append(ao)
            ao = ao.nextarena
        return out

    def header(self, pool: int) -> dict[str, int]:
        """The fields of a pool's header, read from the simulated bytes."""
        return {name: self.memory.read_word(pool + offset, width) for name, offset, width in HEADER_FIELDS}

    def pool_view(self, pool: int, ao: ArenaObject) -> PoolView:
        """A pool as plain data, read from its header and its free list."""
        count, _, _, _, _, _, szidx, nextoffset, _ = _HEADER.unpack(self.memory.read(pool, POOL_OVERHEAD))
        if szidx >= self.nclasses:
            return PoolView(pool, ao.index, -1, 0, 0, 0, (), 0)
        capacity = self.numblocks[szidx]
        if count == 0:
            return PoolView(pool, ao.index, szidx, INDEX2SIZE(szidx), 0, capacity, (), 0)
        untouched = max(0, capacity - (nextoffset - POOL_OVERHEAD) // INDEX2SIZE(szidx))
        free = tuple(self.free_list(pool))
        return PoolView(pool, ao.index, szidx, INDEX2SIZE(szidx), count, capacity, free, untouched)

    def views(self) -> dict[int, PoolView]:
        """Every carved pool as plain data, by address (computed once per state of the heap)."""
        return self._cache.get(
            "views", lambda: {pool: self.pool_view(pool, ao) for ao in self.live_arenas() for pool in self.pools(ao)}
        )

    def _key(self) -> tuple:
        """Changes whenever the heap does: every change is part of a step, and is told by an event."""
        return (self.step, self._events, len(self._live), self._live_bytes, self._footprint, self.child.footprint)

    def layout(self) -> list[Block]:
        return list(self._cache.get("layout", self._layout))

    def _layout(self) -> list[Block]:
        blocks: list[Block] = []
        for ao in self.live_arenas():
            blocks += self._arena_blocks(ao)
        for b in self.child.layout():
            label = f"malloc: {b.label}" if b.label else "malloc"
            blocks.append(Block(b.address, b.size, b.state, label, b.header, b.footer, b.requested))
        blocks.sort(key=lambda b: b.address)
        return blocks

    def _arena_blocks(self, ao: ArenaObject) -> list[Block]:
        out = []
        first = self.first_pool(ao)
        if first > ao.address:
            out.append(Block(ao.address, first - ao.address, DEAD, "arena alignment: too little for a pool"))
        views = self.views()
        for pool in self.pools(ao):
            out += self._pool_blocks(views[pool])
        end = ao.address + self.arena_size
        pools_left = (ao.address + self.arena_size - ao.pool_address) // self.pool_size
        if pools_left:
            label = f"{pools_left} pool(s) not carved yet"
            out.append(Block(ao.pool_address, pools_left * self.pool_size, FREE, label))
        tail = end - (ao.pool_address + pools_left * self.pool_size)
        if tail > 0:
            out.append(Block(end - tail, tail, DEAD, "arena alignment: too little for a pool"))
        return out

    def _pool_blocks(self, v: PoolView) -> list[Block]:
        if v.count == 0:
            return [Block(v.address, self.pool_size, FREE, f"empty pool, on arena {v.arena}'s freepools")]
        header = f"pool header: {v.size}-byte blocks, {v.count} of {v.capacity} in use"
        out = [Block(v.address, POOL_OVERHEAD, METADATA, header)]
        free, live = set(v.free), self._live
        touched_end = v.address + POOL_OVERHEAD + (v.capacity - v.untouched) * v.size
        start = v.address + POOL_OVERHEAD
        run_start, run = 0, 0
        for a in range(start, touched_end, v.size):
            if a in free:
                if not run:
                    run_start = a
                run += 1
                continue
            if run:
                out.append(self._free_run(run_start, run, v.size, "on the pool's free list"))
                run = 0
            out.append(Block(a, v.size, ALLOCATED, f"{v.size}-byte block", requested=live.get(a, (v.size,))[0]))
        if run:
            out.append(self._free_run(run_start, run, v.size, "on the pool's free list"))
        if v.untouched:
            out.append(self._free_run(touched_end, v.untouched, v.size, "never used yet"))
        tail = self.pool_size - POOL_OVERHEAD - v.capacity * v.size
        if tail:
            out.append(Block(v.address + self.pool_size - tail, tail, DEAD, "pool tail: too small for a block"))
        return out

    @staticmethod
    def _free_run(address: int, n: int, size: int, why: str) -> Block:
        label = f"{n} free {size}-byte blocks, {why}" if n > 1 else f"free {size}-byte block, {why}"
        return Block(address, n * size, FREE, label)

    def extent(self) -> tuple[int, int]:
        spans = [(ao.address, ao.address + self.arena_size) for ao in self.live_arenas()]
        child = self.child.extent()
        if child[1] > child[0]:
            spans.append(child)
        return (min(s for s, _ in spans), max(e for _, e in spans)) if spans else (0, 0)

    def reclaimed(self) -> bool:
        """Nothing live, and every arena still held has all its pools free."""
        return (
            not self._live
            and self.child.reclaimed()
            and all(ao.nfreepools == ao.ntotalpools for ao in self.live_arenas())
        )

    def snapshot(self) -> PyMallocSnapshot:
        return self._cache.get("snapshot", self._snapshot)

    def _snapshot(self) -> PyMallocSnapshot:
        base = Allocator.snapshot(self)
        arenas, pools = [], []
        for ao in self.live_arenas():
            carved = len(self.pools(ao))
            view = ArenaView(ao.index, ao.address, self.first_pool(ao), ao.ntotalpools, ao.nfreepools, carved,
                             tuple(self.freepools(ao)))  # fmt: skip
            arenas.append(view)
            pools += [self.views()[pool] for pool in self.pools(ao)]
        return PyMallocSnapshot(
            base.blocks,
            base.start,
            base.end,
            base.stats,
            base.data,
            tuple(arenas),
            tuple(pools),
            tuple(tuple(self.used_list(i)) for i in range(self.nclasses)),
            tuple(ao.index for ao in self.usable_list()),
            tuple(sorted(self.child.live().items())),
            self.arena_size,
            self.pool_size,
            ALIGNMENT,
            SMALL_REQUEST_THRESHOLD,
        )

    def mallocstats(self) -> MallocStats:
        """What ``sys._debugmallocstats()`` would print for this heap (its pymalloc part)."""
        numpools, numblocks, numfree = [0] * self.nclasses, [0] * self.nclasses, [0] * self.nclasses
        unused = alignment = narenas = 0
        for ao in self.live_arenas():
            narenas += 1
            unused += ao.nfreepools
            if ao.address & (self.pool_size - 1):
                alignment += self.pool_size
            for pool in self.pools(ao):
                count = self._get32(pool + REF_COUNT)
                if count == 0:
                    continue
                sz = self._get32(pool + SZIDX)
                numpools[sz] += 1
                numblocks[sz] += count
                numfree[sz] += self.numblocks[sz] - count
        classes = tuple(
            ClassStats(i, INDEX2SIZE(i), numpools[i], numblocks[i], numfree[i])
            for i in range(self.nclasses)
            if numpools[i]
        )
        return MallocStats(
            classes,
            arenas_total=self.ntimes_arena_allocated,
            arenas_reclaimed=self.ntimes_arena_allocated - narenas,
            arenas_highwater=self.narenas_highwater,
            arenas_current=narenas,
            unused_pools=unused,
            allocated_bytes=sum(c.blocks * c.size for c in classes),
            available_bytes=sum(c.avail * c.size for c in classes),
            pool_header_bytes=sum(c.pools for c in classes) * POOL_OVERHEAD,
            quantization_bytes=sum(c.pools * ((self.pool_size - POOL_OVERHEAD) % c.size) for c in classes),
            alignment_bytes=alignment,
            arena_size=self.arena_size,
            pool_size=self.pool_size,
            threshold=SMALL_REQUEST_THRESHOLD,
            numclasses=self.nclasses,
        )

    # -- check --------------------------------------------------------------------------------------
    def check(self) -> None:
        """obmalloc's own invariants first (they name the pool or arena), then the contract's."""
        self._check_obmalloc()
        super().check()

    def _check(self) -> None:
        self.child.check()

    def _check_obmalloc(self) -> None:
        self._check_arenas()
        seen_used: set[int] = set()
        for size in range(self.nclasses):
            prev = 0
            for pool in self.used_list(size):
                if pool in seen_used:
                    self._corrupt(f"usedpools[{size}] runs in a circle at the pool {pool:#x}", pool)
                seen_used.add(pool)
                if self._get(pool + PREVPOOL) != prev:
                    self._corrupt(f"the pool {pool:#x} in usedpools[{size}]: prevpool does not point back", pool)
                if self._get32(pool + SZIDX) != size:
                    held = self._get32(pool + SZIDX)
                    self._corrupt(f"the pool {pool:#x} holds class {held} but sits in usedpools[{size}]", pool)
                prev = pool
        live_per_pool: dict[int, int] = {}
        for address in self._live:
            if self.address_in_range(address):
                live_per_pool[self.pool_of(address)] = live_per_pool.get(self.pool_of(address), 0) + 1
        for ao in self.live_arenas():
            empties = set(self.freepools(ao))
            for pool in self.pools(ao):
                self._check_pool(pool, ao, pool in empties, pool in seen_used, live_per_pool.get(pool, 0))
        large = self.child.live()
        for address in self._live:
            if not self.address_in_range(address) and address not in large:
                self._corrupt(f"live block {address:#x} is neither in an arena nor in the child allocator", address)

    def _check_arenas(self) -> None:
        usable = self.usable_list()
        if len(usable) > len(self.arenas):
            self._corrupt("usable_arenas runs in a circle")
        previous = None
        for ao in usable:
            if ao.address == 0 or ao.nfreepools == 0:
                self._corrupt(f"arena {ao.index} is in usable_arenas with no free pool (or no memory)", ao.address)
            if ao.prevarena is not previous:
                self._corrupt(f"arena {ao.index} in usable_arenas: prevarena does not point back", ao.address)
            if previous is not None and previous.nfreepools > ao.nfreepools:
                self._corrupt(
                    f"usable_arenas is out of order: arena {previous.index} ({previous.nfreepools} free pools) "
                    f"before arena {ao.index} ({ao.nfreepools})",
                    ao.address,
                )
            previous = ao
        for nf in range(1, self.max_pools + 1):
            last = [ao for ao in usable if ao.nfreepools == nf]
            want = last[-1] if last else None
            if self.nfp2lasta[nf] is not want:
                self._corrupt(f"nfp2lasta[{nf}] does not point at the last usable arena with {nf} free pools")
        for ao in self.live_arenas():
            if ao.nfreepools and ao not in usable:
                what = f"arena {ao.index} has {ao.nfreepools} free pools but is not in usable_arenas"
                self._corrupt(what, ao.address)
            uncarved = (ao.address + self.arena_size - ao.pool_address) // self.pool_size
            if ao.nfreepools != len(self.freepools(ao)) + uncarved:
                self._corrupt(
                    f"arena {ao.index} counts {ao.nfreepools} free pools but has {len(self.freepools(ao))} on "
                    f"freepools and {uncarved} not carved",
                    ao.address,
                )
            if not self.address_in_range(ao.address) or not self.address_in_range(ao.address + self.arena_size - 1):
                self._corrupt(f"arena {ao.index} at {ao.address:#x} is missing from the radix tree", ao.address)
        if self.narenas_currently_allocated != len(self.live_arenas()):
            self._corrupt(f"{self.narenas_currently_allocated} arenas counted, {len(self.live_arenas())} held")

    def _check_pool(self, pool: int, ao: ArenaObject, empty: bool, used: bool, live: int) -> None:
        count, _, _, _, _, arenaindex, sz, nextoffset, _ = _HEADER.unpack(self.memory.read(pool, POOL_OVERHEAD))
        if arenaindex != ao.index:
            self._corrupt(f"the pool {pool:#x} says arena {arenaindex}, but it lies in arena {ao.index}", pool)
        if count != live:
            self._corrupt(f"the pool {pool:#x} counts {count} blocks in use, {live} are live", pool)
        if count == 0:
            if not empty:
                self._corrupt(f"the empty pool {pool:#x} is not on arena {ao.index}'s freepools", pool)
            return
        if empty:
            self._corrupt(f"the pool {pool:#x} has {count} blocks in use but is on freepools", pool)
        if sz >= self.nclasses:
            self._corrupt(f"the pool {pool:#x} has blocks in use but no size class", pool)
        view = self.views()[pool]
        bsize, capacity, free = view.size, view.capacity, view.free
        if len(free) > capacity:
            self._corrupt(f"the free list of the pool {pool:#x} runs in a circle", pool)
        for block in free:
            offset = block - pool - POOL_OVERHEAD
            if not 0 <= offset < nextoffset - POOL_OVERHEAD or offset % bsize:
                self._corrupt(f"the pool {pool:#x} lists {block:#x} as free, not one of its handed-out blocks", block)
            if block in self._live:
                self._corrupt(f"live block {block:#x} is on its pool's free list", block)
        if count + len(free) + view.untouched != capacity:
            self._corrupt(
                f"the pool {pool:#x}: {count} in use + {len(free)} free + {view.untouched} untouched "
                f"!= {capacity} blocks",
                pool,
            )
        full = count == capacity
        if full == used:
            state, where = ("full", "is") if full else ("partly used", "is not")
            self._corrupt(f"the pool {pool:#x} is {state} but {where} in usedpools", pool)
