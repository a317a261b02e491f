"""One interface for every allocator, as Zig's ``std.mem.Allocator``.

In Zig an allocator is two words: a pointer to the allocator's state and a *vtable* of four
functions (Zig 0.14 and later):

* ``alloc(len, alignment)`` returns memory, or null when out of memory;
* ``resize(memory, alignment, new_len)`` grows or shrinks in place and says whether it could;
* ``remap(memory, alignment, new_len)`` may move the memory; null means "allocate, copy and
  free it yourself";
* ``free(memory, alignment)``.

Zig passes the length and alignment back on every call, so an allocator need not store them.
:func:`interface` gives any memlab allocator this shape; :class:`~.custom.CustomAllocator` goes
the other way (a learner fills the four functions).
Simplification: Zig's fourth argument, the caller's return address, is left out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from ..allocators.base import Allocator
from ..errors import BadRequest, InvalidFree, OutOfMemory, describe_block
from .custom import CustomAllocator, VTableAllocator


class VTable(NamedTuple):
    """Zig's ``Allocator.VTable``: the four functions every allocator provides."""

    alloc: Callable[[int, int], int | None]  # (len, alignment) -> address or None
    resize: Callable[[int, int, int, int], bool]  # (address, len, alignment, new_len)
    remap: Callable[[int, int, int, int], int | None]  # (address, len, alignment, new_len)
    free: Callable[[int, int, int], None]  # (address, len, alignment)


@dataclass(frozen=True)
class Interface:
    """Zig's ``std.mem.Allocator``: ``ptr`` (the allocator's state) and ``vtable``."""

    ptr: Any
    vtable: VTable

    @property
    def memory(self):
        return self.ptr.memory

    def alloc(self, n: int, align: int = 8) -> int:
        """Allocate, raising OutOfMemory where the vtable returns None (Zig's ``error.OutOfMemory``)."""
        address = self.vtable.alloc(n, align)
        if address is None:
            raise OutOfMemory(f"alloc({n}, {align}) failed")
        return address

    def free(self, address: int, n: int, align: int = 8) -> None:
        self.vtable.free(address, n, align)

    def resize(self, address: int, n: int, new_n: int, align: int = 8) -> bool:
        return self.vtable.resize(address, n, align, new_n)

    def remap(self, address: int, n: int, new_n: int, align: int = 8) -> int | None:
        return self.vtable.remap(address, n, align, new_n)

    def realloc(self, address: int, n: int, new_n: int, align: int = 8) -> int:
        """Zig's ``realloc``: remap if the allocator can; else allocate, copy and free."""
        moved = self.remap(address, n, new_n, align)
        if moved is not None:
            return moved
        new = self.alloc(new_n, align)
        self.memory.copy(new, address, min(n, new_n))
        self.free(address, n, align)
        return new


def _or_none(fn: Callable, *args: Any) -> Any:
    try:
        return fn(*args)
    except OutOfMemory:
        return None


def _same_length(a: Allocator, address: int, n: int, what: str) -> bool:
    """Zig passes the block's length back; a wrong one is a bug (DebugAllocator reports it)."""
    entry = a._live.get(address) if isinstance(address, int) else None
    if entry is not None and entry[0] != n:
        error = InvalidFree if what == "free" else BadRequest
        raise error(
            f"{what} of {address:#x} with length {n}, but the block holds {entry[0]} bytes",
            address=address,
            block=describe_block(address, entry[0], "allocated", entry[1]),
            step=a.step,
        )
    return True


def interface(allocator: Allocator | CustomAllocator | Interface) -> Interface:
    """Any memlab allocator (or a custom one) through Zig's four functions."""
    if isinstance(allocator, Interface):
        return allocator
    a = allocator.heap if isinstance(allocator, CustomAllocator) else allocator
    return Interface(
        a,
        VTable(
            alloc=lambda n, align: _or_none(a.alloc, n, align),
            resize=lambda address, n, align, new_n: _same_length(a, address, n, "resize") and a.resize(address, new_n),
            remap=lambda address, n, align, new_n: _same_length(a, address, n, "remap") and a.remap(address, new_n),
            free=lambda address, n, align: _same_length(a, address, n, "free") and a.free(address),
        ),
    )


__all__ = ["CustomAllocator", "Interface", "VTable", "VTableAllocator", "interface"]
