"""Checked, typed pointers: C's ``*(uint32_t *)p = 7`` and ``p + 4`` in Python.

A :class:`Ptr` is an address plus the heap it points into. Its typed views read and write
little-endian values through the heap's checked accesses, so under a DebugAllocator every read
and write is checked the way AddressSanitizer's instrumentation checks a real program's loads
and stores. ``p.u32[3]`` is C's ``((uint32_t *)p)[3]``; ``p + 4`` moves by bytes, like a
``char *``; ``p.ptr[0]`` reads or stores a pointer (8 bytes). NULL is ``Ptr(heap, 0)``.
"""

from __future__ import annotations

import struct
from typing import Any

from ..errors import BadRequest

TYPES = {
    "u8": "<B",
    "i8": "<b",
    "u16": "<H",
    "i16": "<h",
    "u32": "<I",
    "i32": "<i",
    "u64": "<Q",
    "i64": "<q",
    "f32": "<f",
    "f64": "<d",
    "ptr": "<Q",
}


def _index(i: object) -> int:
    if isinstance(i, bool) or not isinstance(i, int):
        raise BadRequest(f"pointer index {i!r} is not an integer")
    return i


class _View:
    """``p.u32``: the memory at ``p`` seen as an array of one C type."""

    __slots__ = ("ptr", "name", "fmt", "size")

    def __init__(self, ptr: Ptr, name: str) -> None:
        self.ptr, self.name, self.fmt = ptr, name, TYPES[name]
        self.size = struct.calcsize(self.fmt)

    def __getitem__(self, i: int) -> Any:
        address = self.ptr.address + _index(i) * self.size
        (value,) = struct.unpack(self.fmt, self.ptr.heap.load(address, self.size))
        return Ptr(self.ptr.heap, value) if self.name == "ptr" else value

    def __setitem__(self, i: int, value: Any) -> None:
        address = self.ptr.address + _index(i) * self.size
        if self.name == "ptr":
            value = 0 if value is None else value
            value = int(value) if isinstance(value, Ptr) else value
        try:
            data = struct.pack(self.fmt, value)
        except (struct.error, TypeError) as e:
            raise BadRequest(f"cannot store {value!r} as {self.name}: {e}", address=address) from None
        self.ptr.heap.store(address, data)


class Ptr:
    """An address in a heap, with checked typed access (see the module docstring)."""

    __slots__ = ("heap", "address")

    def __init__(self, heap: Any, address: int) -> None:
        if isinstance(address, bool) or not isinstance(address, int):
            raise BadRequest(f"a pointer needs an integer address, not {address!r}")
        self.heap, self.address = heap, address

    # -- values of C types -----------------------------------------------------------------
    def __getattr__(self, name: str) -> _View:
        if name in TYPES:
            return _View(self, name)
        raise AttributeError(f"Ptr has no attribute {name!r}; typed views: {', '.join(TYPES)}")

    def read(self, n: int) -> bytes:
        """``n`` bytes from here."""
        return self.heap.load(self.address, n)

    def write(self, data: bytes) -> None:
        """Store ``data`` from here on."""
        self.heap.store(self.address, data)

    # -- pointer arithmetic (in bytes) -------------------------------------------------------
    def __add__(self, n: int) -> Ptr:
        return Ptr(self.heap, self.address + _index(n))

    __radd__ = __add__

    def __sub__(self, other: int | Ptr) -> Ptr | int:
        if isinstance(other, Ptr):
            return self.address - other.address
        return Ptr(self.heap, self.address - _index(other))

    def __int__(self) -> int:
        return self.address

    __index__ = __int__

    def __bool__(self) -> bool:
        return self.address != 0

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Ptr):
            return self.address == other.address and self.heap is other.heap
        return other is None and self.address == 0 or (isinstance(other, int) and other == self.address)

    def __lt__(self, other: Ptr) -> bool:
        return self.address < int(other)

    def __hash__(self) -> int:
        return hash(self.address)

    def __repr__(self) -> str:
        return f"Ptr({self.address:#x})" if self.address else "NULL"
