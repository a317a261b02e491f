"""The arena's chunks: a singly linked list of buffers from a child allocator (Zig's ``BufNode``).

Follows Zig's ``std.heap.ArenaAllocator``: each chunk starts with a node holding the address of
the previous chunk and the chunk's length, written in the simulated bytes. A new chunk is about
1.5 times (previous + request); the child may instead grow the current chunk in place; chunks go
back to the child on reset. Errors of the child carry the arena's step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import BadRequest, MemlabError, OutOfMemory
from ..events import Event
from ..memory import WORD
from .base import Allocator
from .registry import allocator as build_spec

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


class Chunks:
    """The chunk list of an :class:`~.arena.Arena`: new, grown, released, resized for reuse (a mixin)."""

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
