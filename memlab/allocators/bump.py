"""Bump allocation, with the semantics of Zig's ``std.heap.FixedBufferAllocator``.

A buffer and one index, ``end_index``. Allocating aligns the index up and moves it past the
request; that is all. Zig ships no ``bump_allocator``: FixedBufferAllocator *is* its bump
allocator. As in Zig:

* ``free`` gives memory back only when the block is the last allocation (its end is the
  index); freeing any other block is a documented no-op, and its bytes stay used ("dead")
  until :meth:`Bump.reset`;
* ``resize`` grows or shrinks the last allocation in place, and may shrink any other block
  (its slack is not reusable);
* ``reset`` empties the whole buffer in one store.

Simplification: Zig trusts the caller; memlab's shadow table turns a bad free into an error.
"""

from __future__ import annotations

from ..errors import BadRequest, BadSize, OutOfMemory
from ..events import Reset
from ..memory import align_up
from .base import ALLOCATED, DEAD, FREE, Allocator, Block, machine


class Bump(Allocator):
    """Bump allocator over a fixed buffer (Zig's FixedBufferAllocator)."""

    name = "bump"

    CAP = 64 << 20
    """The largest buffer a replay gives a bump allocator (it never reuses, so it needs a lot)."""

    @classmethod
    def replay_options(cls, sizes, options: dict) -> dict:
        """Unless the spec sets a buffer: one for every byte a trace requests (16-aligned each), up to :attr:`CAP`."""
        if "size" in options or "buffer" in options:
            return options
        need = sum(-(-size // 16) * 16 for size in sizes)
        return {**options, "size": min(cls.CAP, max(4096, -(-need // 4096) * 4096))}

    def __init__(self, size: int = 4096, *, buffer: tuple[int, int] | None = None, **kw) -> None:
        if buffer is None:
            if type(size) is not int or size <= 0:
                raise BadSize(f"bump size={size!r}: the buffer needs a positive number of bytes")
            if "os" not in kw and "limit" not in kw:  # a machine just large enough for the buffer
                kw["os"] = machine(self.name, "size", size, align_up(size, 4096) + (64 << 10))
        elif not (isinstance(buffer, tuple) and len(buffer) == 2 and all(type(n) is int and n > 0 for n in buffer)):
            raise BadRequest(f"bump buffer={buffer!r}: expected (start address, capacity in bytes)")
        super().__init__(**kw)
        if buffer is None:
            with self._option(size=size):
                self.start, self.capacity = self._mmap(size), size
        else:
            with self._option(buffer=buffer):
                self.memory.read(*buffer)  # bounds check only
            self.start, self.capacity = buffer
        self.end_index = 0

    @property
    def top(self) -> int:
        """The address the next allocation starts from (before alignment)."""
        return self.start + self.end_index

    def _alloc(self, size: int, align: int) -> int:
        address = (self.start + self.end_index + align - 1) & -align
        if address + size > self.start + self.capacity:
            raise OutOfMemory(
                f"bump buffer full: {size} bytes aligned to {align} need "
                f"{address + size - self.start} of {self.capacity} bytes",
                address=address,
            )
        self.end_index = address + size - self.start
        return address

    def _is_last(self, address: int, size: int) -> bool:
        return address + size == self.start + self.end_index

    def _free(self, address: int, size: int) -> None:
        if address + size == self.start + self.end_index:
            self.end_index = address - self.start

    def _resize(self, address: int, old_size: int, new_size: int) -> bool:
        if not self._is_last(address, old_size):
            return new_size <= old_size
        if address + new_size > self.start + self.capacity:
            return False
        self.end_index = address + new_size - self.start
        return True

    def reset(self) -> None:
        """Forget every allocation at once: one store to ``end_index``."""
        self.step += 1
        for address in self._live:
            self._freed[address] = self.step
        self._counts["frees"] += len(self._live)
        self._live.clear()
        self._live_bytes = 0
        self.end_index = 0
        if self.recorder is not None:
            self._emit(Reset(self.step, "reset"))

    def layout(self) -> list[Block]:
        blocks, cursor = [], self.start
        for address, (size, _) in sorted(self._live.items()):
            if address > cursor:
                gap = address - cursor
                padding = gap < min(address & -address, self.default_align)
                label = "alignment padding" if padding else "freed, unusable until reset"
                blocks.append(Block(cursor, gap, DEAD, label))
            blocks.append(Block(address, size, ALLOCATED, requested=size))
            cursor = address + size
        if self.top > cursor:
            blocks.append(Block(cursor, self.top - cursor, DEAD, "freed, unusable until reset"))
        if self.capacity > self.end_index:
            blocks.append(Block(self.top, self.capacity - self.end_index, FREE, "unused"))
        return blocks

    def extent(self) -> tuple[int, int]:
        return self.start, self.start + self.capacity

    def reclaimed(self) -> bool:
        return not self._live and self.end_index == 0

    def _check(self) -> None:
        if not 0 <= self.end_index <= self.capacity:
            self._corrupt(f"end_index {self.end_index} outside the {self.capacity}-byte buffer", self.top)
        for address, (size, _) in self._live.items():
            if address + size > self.top:
                self._corrupt(f"live block {address:#x} ends past the bump pointer {self.top:#x}", address)
