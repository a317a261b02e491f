"""A growable array that takes its allocator as an argument: Zig's ``std.ArrayList``.

The list keeps its items in one block from the allocator it was given. When the block is full,
capacity grows by half plus 8 items (Zig's rule), and the list asks the allocator to *remap* the
block (in place, or moved by the allocator) before it falls back to allocate, copy and free.
Which of these happens depends entirely on the allocator: a bump allocator grows its last
block in place, so the same code copies nothing there and copies on every growth elsewhere.
Passing the allocator in is what lets the caller choose (an arena for a parse, a failing
allocator in a test, a testing allocator to catch the forgotten ``deinit``).

Items are fixed-size values packed with a ``struct`` format (default ``<q``, a 64-bit integer)
into the simulated memory. Simplifications: Zig 0.15's list takes the allocator on every call;
this one keeps it, like Zig's older "managed" ArrayList. Newer Zig grows by a cache line's worth
of items rather than 8.
"""

from __future__ import annotations

import struct
from typing import Any

from ..errors import BadRequest, OutOfMemory
from .interface import Interface, interface


class ArrayList:
    """A growable array of ``fmt`` values in memory from ``allocator``."""

    def __init__(self, allocator: Any, fmt: str = "<q") -> None:
        try:
            self.item_size = struct.calcsize(fmt)
        except (struct.error, TypeError) as e:
            raise BadRequest(f"item format {fmt!r}: {e}") from None
        self.gpa: Interface = interface(allocator)
        self.fmt = fmt
        self.address: int | None = None
        self.capacity = 0
        self.length = 0
        self.in_place = self.moved = self.copied = 0
        self.bytes_copied = 0

    def __len__(self) -> int:
        return self.length

    def _slot(self, i: int) -> int:
        if isinstance(i, bool) or not isinstance(i, int):
            raise BadRequest(f"index {i!r} is not an integer")
        if i < 0:
            i += self.length
        if not 0 <= i < self.length:
            raise IndexError(f"index {i} out of range for a list of {self.length}")
        return self.address + i * self.item_size

    def __getitem__(self, i: int) -> Any:
        return struct.unpack(self.fmt, self.gpa.memory.read(self._slot(i), self.item_size))[0]

    def __setitem__(self, i: int, value: Any) -> None:
        self.gpa.memory.write(self._slot(i), self._pack(value))

    def _pack(self, value: Any) -> bytes:
        try:
            return struct.pack(self.fmt, value)
        except (struct.error, TypeError) as e:
            raise BadRequest(f"cannot store {value!r} as {self.fmt!r}: {e}") from None

    def to_list(self) -> list:
        return [self[i] for i in range(self.length)]

    @staticmethod
    def grow_capacity(current: int, minimum: int) -> int:
        """Zig's growth rule: add half the capacity plus 8 until it is enough."""
        new = current
        while new < minimum:
            new += new // 2 + 8
        return new

    def ensure_capacity(self, minimum: int) -> None:
        """Make room for ``minimum`` items; on OutOfMemory nothing changes (Zig's errdefer)."""
        if minimum <= self.capacity:
            return
        new_capacity = self.grow_capacity(self.capacity, minimum)
        new_bytes = new_capacity * self.item_size
        if self.address is None:
            self.address = self.gpa.alloc(new_bytes)
        else:
            old_bytes = self.capacity * self.item_size
            moved = self.gpa.remap(self.address, old_bytes, new_bytes)
            if moved is not None:
                self.in_place += moved == self.address
                self.moved += moved != self.address
                self.address = moved
            else:
                new = self.gpa.alloc(new_bytes)  # raises OutOfMemory with the list untouched
                self.gpa.memory.copy(new, self.address, self.length * self.item_size)
                self.gpa.free(self.address, old_bytes)
                self.copied += 1
                self.bytes_copied += self.length * self.item_size
                self.address = new
        self.capacity = new_capacity

    def append(self, value: Any) -> None:
        data = self._pack(value)
        self.ensure_capacity(self.length + 1)
        self.gpa.memory.write(self.address + self.length * self.item_size, data)
        self.length += 1

    def extend(self, values) -> None:
        for value in values:
            self.append(value)

    def pop(self) -> Any:
        if not self.length:
            raise IndexError("pop from an empty list")
        value = self[self.length - 1]
        self.length -= 1
        return value

    def deinit(self) -> None:
        """Give the memory back. Forgetting this is a leak a testing allocator reports."""
        if self.address is not None:
            self.gpa.free(self.address, self.capacity * self.item_size)
        self.address, self.capacity, self.length = None, 0, 0

    def __repr__(self) -> str:
        return f"ArrayList({self.to_list()!r}, capacity={self.capacity})"


__all__ = ["ArrayList", "OutOfMemory"]
