"""The arena: bump allocation in a list of chunks taken from a child allocator (Zig's ArenaAllocator).

Follows Zig's ``std.heap.ArenaAllocator`` (0.14/0.15). The arena asks its *child* allocator
(here the page allocator, by default) for a chunk, and bump-allocates inside it with one index,
``end_index``. Each chunk starts with a 16-byte node, written in the simulated bytes: the
address of the previous chunk (the list is singly linked, newest first) and the chunk's length.
When a request does not fit, the arena first asks the child to grow the current chunk in place,
and otherwise takes a new chunk about 1.5 times as large as (previous + request); the leftover
end of the old chunk is never used again.

As in Zig, ``free`` only gives memory back when the block is the most recent allocation, and
``resize`` grows only that one (any block may shrink): freeing anything else is a documented
no-op. The point of an arena is :meth:`Arena.reset`: every block is gone in one store.

* ``reset("free_all")`` returns every chunk to the child;
* ``reset("retain_capacity")`` keeps one chunk as large as all chunks were, so the next round
  of allocations never calls the child;
* ``reset("retain_with_limit", limit=n)`` keeps at most ``n`` bytes;
* :meth:`Arena.deinit` returns everything to the child.

Zig has no ``std.heap.bump_allocator``: its bump allocator is FixedBufferAllocator (``bump``);
the arena is that idea on a growing list of chunks. Simplification: Zig trusts the caller;
memlab's shadow table turns a bad free into an error.

Zig 0.16 rewrote the arena: it is thread-safe and lock-free (threads bump the index with atomic
operations instead of taking a lock), its chunk node is three words (24 bytes, not 16), and it
keeps a list of chunks in use and a list of free chunks. memlab keeps the 0.14/0.15 design: one
thread, a 16-byte node, one list.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Any

from ..errors import BadRequest, MemlabError, OutOfMemory
from ..events import Event, Reset
from ..memory import WORD, align_up
from .base import ALLOCATED, DEAD, FREE, METADATA, Allocator, Block
from .registry import allocator as build_spec

# -- The arena's chunks: a singly linked list of buffers from a child allocator (Zig's ``BufNode``).
#
# Follows Zig's ``std.heap.ArenaAllocator`` of 0.14/0.15 (``BufNode``): each chunk starts with a
# node holding the address of the previous chunk and the chunk's length, written in the simulated
# bytes (Zig 0.16's node has a third word). A new chunk is about 1.5 times (previous + request);
# the child may instead grow the current chunk in place; chunks go back to the child on reset.
# Errors of the child carry the arena's step.

NODE = 2 * WORD
"""Bytes of the node at the start of each chunk: the previous chunk's address and the length."""


@dataclass(frozen=True, slots=True)
class NewChunk(Event):
    address: int
    size: int
    child: str

    def describe(self) -> str:
        return f"new chunk: {self.size} bytes at {self.address:#x} from the {self.child} allocator"


@dataclass(frozen=True, slots=True)
class GrowChunk(Event):
    address: int
    old_size: int
    new_size: int

    def describe(self) -> str:
        return f"the child grows the chunk at {self.address:#x} in place: {self.old_size} -> {self.new_size} bytes"


@dataclass(frozen=True, slots=True)
class ReleaseChunk(Event):
    address: int
    size: int

    def describe(self) -> str:
        return f"the {self.size}-byte chunk at {self.address:#x} goes back to the child"


def child_allocator(child: str | Allocator, **options: Any) -> Allocator:
    """An allocator from a registry spec (options go to it) or a fresh instance."""
    if isinstance(child, str):
        return build_spec(child, **options)
    if not isinstance(child, Allocator) or options:
        raise BadRequest(f"child {child!r}: give a registry name (with options) or an allocator")
    return child


MODES = ("free_all", "retain_capacity", "retain_with_limit")


@dataclass(frozen=True, slots=True)
class ArenaReset(Reset):
    blocks: int = 0
    kept: int = 0

    def describe(self) -> str:
        kept = f"{self.kept} bytes of chunks kept" if self.kept else "no chunk kept"
        return f"{self.mode}: {self.blocks} blocks freed by one store (end_index = 0); {kept}"


class Arena(Allocator):
    """Bump allocation in chunks from a child allocator, freed all at once (Zig's ArenaAllocator)."""

    name = "arena"

    def __init__(self, child: str | Allocator = "page", **options: Any) -> None:
        with self._option(child=child):
            self.child = child_allocator(child, **options)
        super().__init__(os=self.child.os)
        self.chunks: list[tuple[int, int]] = []  # (address, length), oldest first; the last is current
        self.end_index = 0  # bytes used in the current chunk, after its node
        self._cache: tuple[tuple, list[Block]] = ((), [])

    @property
    def capacity(self) -> int:
        """Bytes the chunks can hold, nodes not counted (Zig's ``queryCapacity``)."""
        return sum(length - NODE for _, length in self.chunks)

    @property
    def top(self) -> int:
        """Where the next allocation starts (before alignment); 0 without a chunk."""
        return self.chunks[-1][0] + NODE + self.end_index if self.chunks else 0

    # -- the algorithm ---------------------------------------------------------------------------
    def _alloc(self, size: int, align: int) -> int:
        if not self.chunks:
            self._new_chunk(0, size + align)
        while True:
            chunk, length = self.chunks[-1]
            buffer = chunk + NODE
            address = align_up(buffer + self.end_index, align)
            end = address - buffer + size
            if end <= length - NODE:
                self.end_index = end
                return address
            if self._child(self.child.resize, chunk, NODE + end):
                self._set_length(len(self.chunks) - 1, NODE + end)
            else:
                self._new_chunk(length - NODE, size + align)

    def _is_last(self, address: int, size: int) -> bool:
        return bool(self.chunks) and address + size == self.top

    def _free(self, address: int, size: int) -> None:
        if self._is_last(address, size):
            self.end_index -= size

    def _resize(self, address: int, old_size: int, new_size: int) -> bool:
        if not self._is_last(address, old_size):
            return new_size <= old_size
        if self.end_index + new_size - old_size > self.chunks[-1][1] - NODE:
            return False
        self.end_index += new_size - old_size
        return True

    # -- freeing everything at once ----------------------------------------------------------------
    def reset(self, mode: str = "retain_capacity", *, limit: int | None = None) -> bool:
        """Free every block at once; keep chunks as ``mode`` says. False if preheating failed."""
        self.step += 1
        if mode not in MODES:
            raise BadRequest(f"reset mode {mode!r}: choose one of {', '.join(MODES)}", step=self.step)
        if mode == "retain_with_limit" and (type(limit) is not int or limit < 0):
            raise BadRequest(f"retain_with_limit needs a limit of 0 or more bytes, not {limit!r}", step=self.step)
        wanted = {"free_all": 0, "retain_capacity": self.capacity}.get(mode, min(limit or 0, self.capacity))
        blocks = self._forget_all()
        ok = True
        if wanted == 0:
            while self.chunks:
                self._release(*self.chunks.pop())
        else:
            while len(self.chunks) > 1:
                self._release(*self.chunks.pop())
            ok = self._preheat(NODE + wanted)
        if self.recorder is not None:
            self._emit(ArenaReset(self.step, mode, blocks, sum(n for _, n in self.chunks)))
        return ok

    def deinit(self) -> None:
        """Return every chunk to the child (Zig's ``deinit``); the arena is then empty and reusable."""
        self.reset("free_all")

    def _forget_all(self) -> int:
        count = len(self._live)
        for address in self._live:
            self._freed[address] = self.step
        self._counts["frees"] += count
        self._live.clear()
        self._live_bytes = 0
        self.end_index = 0
        return count

    # -- views -------------------------------------------------------------------------------------
    def layout(self) -> list[Block]:
        key = (self.step, len(self._live), self._live_bytes, self.end_index, self._footprint, len(self.chunks))
        if self._cache[0] != key:
            self._cache = (key, self._layout())
        return list(self._cache[1])

    def _layout(self) -> list[Block]:
        live = sorted(self._live.items())
        starts = [a for a, _ in live]
        blocks = []
        order = {address: i for i, (address, _) in enumerate(self.chunks)}
        for address, length in sorted(self.chunks):
            i = order[address]
            blocks.append(Block(address, NODE, METADATA, f"chunk {i + 1} node: previous chunk and length"))
            cursor, end = address + NODE, address + length
            current = i == len(self.chunks) - 1
            for a, (size, _) in live[bisect.bisect_left(starts, cursor) : bisect.bisect_left(starts, end)]:
                if a > cursor:
                    blocks.append(Block(cursor, a - cursor, DEAD, "padding, or freed: unusable until reset"))
                blocks.append(Block(a, size, ALLOCATED, requested=size))
                cursor = a + size
            if current and self.top > cursor:
                blocks.append(Block(cursor, self.top - cursor, DEAD, "padding, or freed: unusable until reset"))
                cursor = self.top
            if end > cursor:
                label = "unused" if current else "left over: the arena moved on to a newer chunk"
                blocks.append(Block(cursor, end - cursor, FREE if current else DEAD, label))
        return blocks

    def extent(self) -> tuple[int, int]:
        if not self.chunks:
            return 0, 0
        return min(a for a, _ in self.chunks), max(a + n for a, n in self.chunks)

    def reclaimed(self) -> bool:
        return not self._live and self.end_index == 0 and len(self.chunks) <= 1

    def _check(self) -> None:
        if self.chunks and not 0 <= self.end_index <= self.chunks[-1][1] - NODE:
            self._corrupt(f"end_index {self.end_index} is outside the current chunk", self.top)
        held = sum(n for _, n in self.chunks)
        if held != self._footprint:
            self._corrupt(f"the chunks hold {held} bytes, the footprint says {self._footprint}")
        previous = 0
        for address, length in self.chunks:
            if self.memory.read_word(address) != previous or self.memory.read_word(address + WORD) != length:
                self._corrupt(f"the node of the chunk at {address:#x} was overwritten", address)
            previous = address
        if self.chunks:
            chunk, length = self.chunks[-1]
            if any(a + s > self.top for a, (s, _) in self._live.items() if chunk <= a < chunk + length):
                self._corrupt(f"a live block ends past the bump pointer {self.top:#x}", self.top)

    # -- the chunk list: new, grown, released, resized for reuse -------------------------------

    def _child(self, fn, *args):
        try:
            return fn(*args)
        except MemlabError as e:
            e.step = self.step
            raise

    def _write_node(self, i: int) -> None:
        address, length = self.chunks[i]
        self.memory.write_word(address, self.chunks[i - 1][0] if i else 0)
        self.memory.write_word(address + WORD, length)

    def _new_chunk(self, previous: int, minimum: int) -> None:
        wanted = previous + minimum + NODE + 16
        length = wanted + wanted // 2
        address = self._child(self.child.alloc, length, WORD)
        self.chunks.append((address, length))
        self._write_node(len(self.chunks) - 1)
        self.end_index = 0
        self._add_footprint(length)
        if self.recorder is not None:
            self._emit(NewChunk(self.step, address, length, self.child.name))

    def _release(self, address: int, length: int) -> None:
        self._child(self.child.free, address)
        self._add_footprint(-length)
        if self.recorder is not None:
            self._emit(ReleaseChunk(self.step, address, length))

    def _set_length(self, i: int, length: int) -> None:
        address, old = self.chunks[i]
        self.chunks[i] = (address, length)
        self._write_node(i)
        self._add_footprint(length - old)
        if self.recorder is not None:
            self._emit(GrowChunk(self.step, address, old, length))

    def _preheat(self, total: int) -> bool:
        """Make the one chunk left ``total`` bytes long: in place if the child can, else a new chunk."""
        address, length = self.chunks[0]
        if length == total or self._child(self.child.resize, address, total):
            if length != total:
                self._set_length(0, total)
            return True
        try:
            new = self._child(self.child.alloc, total, WORD)
        except OutOfMemory:
            return False
        self._release(address, length)
        self.chunks[0] = (new, total)
        self._write_node(0)
        self._add_footprint(total)
        if self.recorder is not None:
            self._emit(NewChunk(self.step, new, total, self.child.name))
        return True


__all__ = ["NODE", "Arena", "ArenaReset", "GrowChunk", "NewChunk", "ReleaseChunk", "child_allocator"]
