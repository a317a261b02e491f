"""A custom allocator: fill Zig's four functions, get a full memlab allocator.

In Zig a custom allocator is any struct that fills ``alloc``, ``resize``, ``remap`` and
``free``. Subclass :class:`CustomAllocator` and fill them; ``.heap`` (a :class:`VTableAllocator`)
is then a memlab allocator over your code, with the argument checks, the shadow table, the
property suite and the players. It also checks what your code returns: an address that is not
aligned, not in memory you reserved, or overlapping a live block is named at once.
"""

from __future__ import annotations

from typing import Any, ClassVar

from ..allocators.base import ALLOCATED, FREE, Allocator, Block
from ..errors import HeapCorruption, OutOfMemory, describe_block
from ..events import Move, Resize
from ..memory import align_up
from ..os import OS


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
