"""A fixed-size block pool: Zig's ``std.heap.MemoryPool``, CS:APP's simple segregated storage.

Every block has the same size, so a pool needs no headers, no splitting and no coalescing.
The free blocks form a singly linked list threaded *through the free blocks themselves*: the
first word of each free block holds the address of the next free block (0 ends the list), and
the pool keeps only ``head``. Allocation pops the head, freeing pushes the block back (LIFO),
both in O(1). The list costs zero extra bytes, because it lives in memory nobody is using.

As in Zig, a block is at least one word (it must hold the link: ``max(size, 8)``) and its
alignment is at least a word's. New blocks come in *chunks* of ``blocks`` blocks from ``sbrk``,
each threaded onto the list in address order when it arrives (``grow=False`` is Zig's
``growable = false``: the pool then holds only its first chunk).

Simplifications: Zig takes its chunks from an ArenaAllocator one item at a time and trusts the
caller; memlab checks every free against the shadow table and the pool's own chunks, so a
foreign or interior pointer raises instead of threading garbage into the list.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from ..errors import BadAlignment, BadRequest, InvalidFree, OutOfMemory, TooLarge
from ..events import Grow
from ..memory import WORD, align_up, is_power_of_two
from .base import ALLOCATED, DEAD, FREE, Allocator, Block, HeapSnapshot


class NotInPool(InvalidFree):
    """free() of an address that is not a block of this pool (another pool's, or a wild one)."""


@dataclass(frozen=True, slots=True)
class PoolSnapshot(HeapSnapshot):
    """A heap snapshot plus the free list in list order (head first), for the pool view."""

    block_size: int = 0
    chain: tuple[int, ...] = ()


class Pool(Allocator):
    """Fixed-size block pool with the free list threaded through the free blocks (Zig's MemoryPool)."""

    name = "pool"

    def __init__(self, size: int = 64, *, blocks: int = 64, grow: bool = True, align: int = WORD, **kw) -> None:
        if type(size) is not int or size <= 0:
            raise BadRequest(f"pool size={size!r}: the block size must be a positive integer")
        if type(blocks) is not int or blocks <= 0:
            raise BadRequest(f"pool blocks={blocks!r}: the blocks per chunk must be a positive integer")
        if not is_power_of_two(align) or type(align) is not int:
            raise BadRequest(f"pool align={align!r} is not a power of two")
        super().__init__(**kw)
        self.align = max(align, WORD)
        self.block_size = align_up(max(size, WORD), self.align)
        self.blocks_per_chunk, self.grow = blocks, bool(grow)
        self.chunks: list[int] = []  # start addresses, sorted; each holds blocks_per_chunk blocks
        self.head = 0
        self._words = memoryview(self.memory._bytes).cast("Q")  # 8-byte words, for the links
        with self._option(size=size, blocks=blocks, align=align):
            self._add_chunk()

    # -- chunks ----------------------------------------------------------------------------------
    @property
    def chunk_bytes(self) -> int:
        return self.blocks_per_chunk * self.block_size

    def _add_chunk(self) -> int:
        """Take a chunk from the OS and thread its blocks onto the list, lowest first."""
        pad = align_up(self.os.brk_address, self.align) - self.os.brk_address
        base = self.os.sbrk(pad + self.chunk_bytes) + pad
        self._add_footprint(pad + self.chunk_bytes)
        size, words = self.block_size, self._words
        last = base + self.chunk_bytes - size
        for a in range(base, last, size):
            words[a >> 3] = a + size
        words[last >> 3] = self.head
        self.head = base
        bisect.insort(self.chunks, base)
        if self.recorder is not None:
            self._emit(Grow(self.step, base, self.chunk_bytes, "sbrk"))
        return base

    def _refuse(self, size: int, align: int) -> None:
        if size > self.block_size:
            raise TooLarge(f"a {size}-byte request does not fit this pool's {self.block_size}-byte blocks")
        raise BadAlignment(f"this pool's blocks are aligned to {self.align} bytes, not {align}")

    # -- the fast path ---------------------------------------------------------------------------
    def alloc(self, size: int, align: int | None = None) -> int:
        """Pop the head. The common case (fits, default alignment, nobody recording) skips the
        general checks of the base class but keeps exactly its bookkeeping."""
        block = self.head
        if not block or align is not None or self.recorder is not None or type(size) is not int:
            return super().alloc(size, align)
        if not 0 < size <= self.block_size:
            return super().alloc(size, align)
        self.step += 1
        self.head = self._words[block >> 3]
        self._live[block] = (size, self.step)
        self._freed.pop(block, None)
        self._counts["allocs"] += 1
        live = self._live_bytes = self._live_bytes + size
        if live > self._peak_live:
            self._peak_live = live
        return block

    def free(self, address: int) -> None:
        """Push the block. A live block freed while nobody records takes the fast path."""
        entry = self._live.get(address) if type(address) is int else None
        if entry is None or self.recorder is not None:
            return super().free(address)
        self.step += 1
        self._words[address >> 3] = self.head
        self.head = address
        del self._live[address]
        self._freed[address] = self.step
        self._counts["frees"] += 1
        self._live_bytes -= entry[0]

    # -- the algorithm ---------------------------------------------------------------------------
    def _alloc(self, size: int, align: int) -> int:
        if size > self.block_size or align > self.align:
            self._refuse(size, align)
        block = self.head
        if not block:
            if not self.grow:
                n = len(self.chunks) * self.blocks_per_chunk
                raise OutOfMemory(f"all {n} blocks of this pool are in use and it may not grow")
            block = self._add_chunk()
        self.head = self._words[block >> 3]
        return block

    def _free(self, address: int, size: int) -> None:
        self._words[address >> 3] = self.head
        self.head = address

    def _resize(self, address: int, old_size: int, new_size: int) -> bool:
        return new_size <= self.block_size

    # -- ownership -------------------------------------------------------------------------------
    def owner(self, address: int) -> tuple[int, int] | None:
        """(block address, offset inside it) if ``address`` lies in one of this pool's chunks."""
        i = bisect.bisect_right(self.chunks, address) - 1
        if i < 0 or address >= self.chunks[i] + self.chunk_bytes:
            return None
        offset = (address - self.chunks[i]) % self.block_size
        return address - offset, offset

    def _live_size(self, address: object, what: str) -> int:
        if type(address) is int and address not in self._live and address not in self._freed:
            place = self.owner(address)
            if place is None:
                raise NotInPool(
                    f"{what} of {address:#x}: not a block of this pool (its chunks: {self._chunk_text()})",
                    address=address,
                    step=self.step,
                )
            block, offset = place
            if offset:
                state = "live" if block in self._live else "free"
                raise InvalidFree(
                    f"{what} of {address:#x}: {offset} bytes inside the {state} "
                    f"{self.block_size}-byte pool block at {block:#x}",
                    address=address,
                    step=self.step,
                )
            raise InvalidFree(f"{what} of {address:#x}: that pool block is free", address=address, step=self.step)
        return super()._live_size(address, what)

    def _chunk_text(self) -> str:
        return ", ".join(f"{c:#x}-{c + self.chunk_bytes:#x}" for c in self.chunks)

    # -- what the views and tests see --------------------------------------------------------------
    def chain(self, limit: int | None = None) -> list[int]:
        """The free list in list order, read from the links in simulated memory.

        Stops early at a link that is not a free block of this pool (a corrupted list).
        """
        total = len(self.chunks) * self.blocks_per_chunk
        limit = total if limit is None else limit
        out, seen, a = [], set(), self.head
        while a and len(out) < limit:
            place = self.owner(a)
            if place is None or place[1] or a in seen or a in self._live:
                break
            out.append(a)
            seen.add(a)
            a = self._words[a >> 3]
        return out

    def layout(self) -> list[Block]:
        free, live, size = set(self.chain()), self._live, self.block_size
        blocks = []
        for c in self.chunks:
            for a in range(c, c + self.chunk_bytes, size):
                if a in live:
                    blocks.append(Block(a, size, ALLOCATED, requested=live[a][0]))
                elif a in free:
                    blocks.append(Block(a, size, FREE, f"next -> {self._words[a >> 3]:#x}"))
                else:
                    blocks.append(Block(a, size, DEAD, "lost: neither live nor on the free list"))
        return blocks

    def extent(self) -> tuple[int, int]:
        return (self.chunks[0], self.chunks[-1] + self.chunk_bytes) if self.chunks else (0, 0)

    def snapshot(self) -> PoolSnapshot:
        base = super().snapshot()
        return PoolSnapshot(
            base.blocks, base.start, base.end, base.stats, base.data, self.block_size, tuple(self.chain())
        )

    def reclaimed(self) -> bool:
        return not self._live and len(self.chain()) == len(self.chunks) * self.blocks_per_chunk

    def _check(self) -> None:
        seen, a = set(), self.head
        while a:
            place = self.owner(a)
            if place is None or place[1]:
                self._corrupt(f"free-list link {a:#x} is not a block of this pool", a)
            if a in seen:
                self._corrupt(f"the free list runs in a cycle at {a:#x}", a)
            if a in self._live:
                self._corrupt(f"live block {a:#x} is on the free list", a)
            seen.add(a)
            a = self._words[a >> 3]
        total = len(self.chunks) * self.blocks_per_chunk
        if len(seen) + len(self._live) != total:
            self._corrupt(f"{len(seen)} free + {len(self._live)} live blocks, but the pool has {total}")
