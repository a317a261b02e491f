"""A fixed buffer first, another allocator when it is full: Zig's ``std.heap.stackFallback``.

``stackFallback(size, fallback)`` puts a ``size``-byte buffer in the caller's stack frame and a
FixedBufferAllocator (a bump allocator) over it. Requests are served from the buffer while it
has room and from the fallback allocator after that; resize and free go to whichever owns the
address. The common case (small, short-lived data) then never touches the heap.

Simplification: the simulated machine has no stack, so the buffer is a mapped region of its own.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..allocators.base import Allocator, Block
from ..allocators.bump import Bump
from ..allocators.wrapper import Child, Wrapper
from ..errors import OutOfMemory


class StackFallback(Wrapper):
    """A fixed (stack) buffer first, then a fallback allocator (Zig's stackFallback)."""

    name = "stackfallback"
    child_option = "fallback"

    def __init__(self, size: int = 256, fallback: Child = "bump:size=65536", **options: Any) -> None:
        super().__init__(fallback, **options)
        with self._option(size=size):
            self.fixed = Bump(size, os=self.os)

    def children(self) -> list[Allocator]:
        fixed = getattr(self, "fixed", None)
        return [self.inner] if fixed is None else [fixed, self.inner]

    @property
    def fallback(self) -> Allocator:
        return self.inner

    def owns(self, address: int) -> bool:
        """True if ``address`` lies in the fixed buffer (Zig's ``ownsPtr``)."""
        return self.fixed.start <= address < self.fixed.start + self.fixed.capacity

    def _owner(self, address: int) -> Allocator:
        return self.fixed if self.owns(address) else self.inner

    def _alloc(self, size: int, align: int) -> int:
        try:
            return self.fixed.alloc(size, align)
        except OutOfMemory:
            return self._relay(self.inner.alloc, size, align)

    def _free(self, address: int, size: int) -> None:
        self._relay(self._owner(address).free, address)

    def _resize(self, address: int, old_size: int, new_size: int) -> bool:
        return self._relay(self._owner(address).resize, address, new_size)

    def layout(self) -> list[Block]:
        stack = [
            replace(b, label=f"stack buffer: {b.label}" if b.label else "stack buffer") for b in self.fixed.layout()
        ]
        return sorted(stack + self.inner.layout(), key=lambda b: b.address)

    def extent(self) -> tuple[int, int]:
        spans = [self.fixed.extent(), self.inner.extent()]
        spans = [s for s in spans if s[1] > s[0]]
        return (min(s[0] for s in spans), max(s[1] for s in spans)) if spans else (0, 0)
