"""One interface for every allocator, as Zig's ``std.mem.Allocator``.

In Zig an allocator is two words: a pointer to the allocator's state and a *vtable* of four
functions (Zig 0.14 and later):

* ``alloc(len, alignment)`` returns memory, or null when out of memory;
* ``resize(memory, alignment, new_len)`` grows or shrinks in place and says whether it could;
* ``remap(memory, alignment, new_len)`` may move the memory; null means "allocate, copy and
  free it yourself";
* ``free(memory, alignment)``.

Zig passes the length and alignment back on every call, so an allocator need not store them.
:func:`interface` gives any memlab allocator this shape. :class:`CustomAllocator` goes the other
way: a learner fills the four functions, and ``.heap`` is a full memlab allocator over them,
with the argument checks, the shadow table, the property suite and the players.
Simplification: Zig's fourth argument, the caller's return address, is left out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple

from ..allocators.base import ALLOCATED, FREE, Allocator, Block
from ..errors import BadRequest, HeapCorruption, InvalidFree, OutOfMemory, describe_block
from ..events import Move, Resize
from ..memory import align_up
from ..os import OS


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


class CustomAllocator:
    """Write an allocator by filling Zig's four functions; ``.heap`` is the memlab allocator.

    Get memory with :meth:`reserve` (whole pages from the simulated OS). Optionally write
    ``layout()`` (to draw it exactly) and ``check()`` (your invariants). The class attributes are
    hints for the property suite: ``returns_to_empty``, ``max_request``, ``aligns``.
    """

    returns_to_empty: ClassVar[bool] = True
    max_request: ClassVar[int] = 256
    aligns: ClassVar[tuple] = (None,)

    def __init__(self, *, limit: int = 1 << 20, os: OS | None = None) -> None:
        self.heap = _heap_class(type(self))(self, limit=limit, os=os)

    @property
    def memory(self):
        return self.heap.memory

    def reserve(self, n: int) -> int:
        """``n`` bytes (rounded up to pages) of fresh memory from the OS, counted as footprint."""
        return self.heap.reserve(n)

    # -- the four functions -----------------------------------------------------------------
    def alloc(self, size: int, align: int) -> int | None:
        """Return the address of ``size`` free bytes aligned to ``align``, or None."""
        raise NotImplementedError(f"{type(self).__name__} must define alloc(self, size, align)")

    def resize(self, address: int, size: int, align: int, new_size: int) -> bool:
        """Grow or shrink the block in place; return whether that worked."""
        return False

    def remap(self, address: int, size: int, align: int, new_size: int) -> int | None:
        """Resize, perhaps moving (then copy the bytes yourself); None: the caller moves it."""
        return address if self.resize(address, size, align, new_size) else None

    def free(self, address: int, size: int, align: int) -> None:
        raise NotImplementedError(f"{type(self).__name__} must define free(self, address, size, align)")

    def layout(self) -> list[Block] | None:
        """The blocks, if you want to draw them yourself; None draws live blocks and gaps."""
        return None

    def check(self) -> None:
        """Raise an exception if one of your invariants is broken."""

    @classmethod
    def hints(cls) -> dict:
        """The property-suite hints, for ``memlab.contract.random_walk(factory, **hints)``."""
        return {"returns_to_empty": cls.returns_to_empty, "max_request": cls.max_request, "aligns": cls.aligns}


_HEAP_CLASSES: dict[type, type] = {}


def _heap_class(cls: type) -> type:
    """A VTableAllocator subclass named ``Slots.heap`` for ``Slots``, so messages name the learner's class."""
    if cls not in _HEAP_CLASSES:
        _HEAP_CLASSES[cls] = type(f"{cls.__name__}.heap", (VTableAllocator,), {"__module__": cls.__module__})
    return _HEAP_CLASSES[cls]


class VTableAllocator(Allocator):
    """The memlab face of a :class:`CustomAllocator`: checks arguments and results."""

    def __init__(self, impl: CustomAllocator, **kw: Any) -> None:
        super().__init__(**kw)
        self.impl = impl
        self.name = type(impl).__name__
        self._regions: list[tuple[int, int]] = []
        self._aligns: dict[int, int] = {}

    def reserve(self, n: int) -> int:
        address = self._mmap(n)
        self._regions.append((address, align_up(n, self.os.page_size)))
        return address

    def _bad(self, message: str, address: int | None = None) -> None:
        raise HeapCorruption(f"{self.name}.{message}", address=address, step=self.step)

    def _valid_result(self, what: str, address: object, size: int, align: int, moving: int | None = None) -> int:
        if isinstance(address, bool) or not isinstance(address, int):
            self._bad(f"{what} returned {address!r}, not an address or None")
        if address % align:
            self._bad(f"{what} returned {address:#x}, not aligned to {align}", address)
        if not any(start <= address and address + size <= start + n for start, n in self._regions):
            self._bad(f"{what} returned {address:#x}: {size} bytes there are not in memory you reserved", address)
        for start, (n, since) in self._live.items():
            if start < address + size and address < start + n and start != moving:
                block = describe_block(start, n, "allocated", since)
                self._bad(f"{what} returned {address:#x}, which overlaps the live block {block}", address)
        return address

    def _alloc(self, size: int, align: int) -> int:
        address = self.impl.alloc(size, align)
        if address is None:
            raise OutOfMemory(f"{self.name}.alloc({size}, {align}) returned None: out of memory")
        self._valid_result(f"alloc({size}, {align})", address, size, align)
        self._aligns[address] = align
        return address

    def _free(self, address: int, size: int) -> None:
        self.impl.free(address, size, self._aligns.pop(address))

    def _resize(self, address: int, old_size: int, new_size: int) -> bool:
        done = self.impl.resize(address, old_size, self._aligns[address], new_size)
        if not isinstance(done, bool):
            self._bad(f"resize returned {done!r}, not True or False", address)
        return done

    def remap(self, address: int, new_size: int) -> int | None:
        """Zig's remap through the custom allocator; it may move the block."""
        self.step += 1
        old = self._live_size(address, "remap")
        self._valid_size(new_size)
        if new_size == old:
            return address
        align = self._aligns[address]
        new = self.impl.remap(address, old, align, new_size)
        if new is None:
            return None
        self._valid_result("remap", new, new_size, align, moving=address)
        size, since = self._live.pop(address)
        self._live[new] = (size, since)
        self._aligns[new] = self._aligns.pop(address)
        self._set_size(new, new_size)
        if new != address:
            self._freed[address] = self.step
        if self.recorder is not None:
            event = Resize(self.step, new, old, new_size) if new == address else Move(self.step, address, new, new_size)
            self._emit(event)
        return new

    def layout(self) -> list[Block]:
        mine = self.impl.layout()
        if mine is not None:
            return list(mine)
        blocks = []
        live = sorted(self._live.items())
        for start, n in sorted(self._regions):
            cursor = start
            for address, (size, _) in live:
                if start <= address < start + n:
                    if address > cursor:
                        blocks.append(Block(cursor, address - cursor, FREE, "not in use"))
                    blocks.append(Block(address, size, ALLOCATED, requested=size))
                    cursor = address + size
            if start + n > cursor:
                blocks.append(Block(cursor, start + n - cursor, FREE, "not in use"))
        return blocks

    def extent(self) -> tuple[int, int]:
        if self.impl.layout() is not None:  # the learner's own picture decides what is shown
            return super().extent()
        if not self._regions:
            return (0, 0)
        return min(s for s, _ in self._regions), max(s + n for s, n in self._regions)

    def _check(self) -> None:
        self.impl.check()
