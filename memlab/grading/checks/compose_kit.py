"""Exercise 11's allocators: a stack-fallback and a testing allocator on memlab's, with the learner's steps inside."""

from __future__ import annotations

from ...allocators.bump import Bump
from ...allocators.wrapper import Wrapper
from ...compose.fallback import StackFallback
from ..questions import Failed


def _address(call: str, address: object) -> int:
    """The learner's alloc must return an address; anything else is named at once."""
    if not isinstance(address, int) or isinstance(address, bool):
        raise Failed(f"{call} returned {address!r}: return an address, or let OutOfMemory reach the caller")
    return address


class FixedBuffer(Bump):
    """Zig's FixedBufferAllocator over the fallback's buffer; remembers frees of blocks it never owned."""

    def __init__(self, *args, **kw) -> None:
        super().__init__(*args, **kw)
        self.foreign: list[int] = []

    def free(self, address: int) -> None:
        if not self.start <= address < self.start + self.capacity:
            self.foreign.append(address)
        super().free(address)


class ExerciseFallback(StackFallback):
    """memlab's stackFallback whose alloc and free are the learner's."""

    def __init__(self, size: int = 128, fallback="freelist", *, alloc=None, free=None) -> None:
        Wrapper.__init__(self, fallback)
        self.fixed = FixedBuffer(size, os=self.os)
        self.learner_alloc, self.learner_free = alloc, free

    def _alloc(self, size: int, align: int) -> int:
        if self.learner_alloc is None:
            return super()._alloc(size, align)
        return _address(f"fallback_alloc(fb, {size}, {align})", self.learner_alloc(self, size, align))

    def _free(self, address: int, size: int) -> None:
        if self.learner_free is None:
            return super()._free(address, size)
        self.learner_free(self, address)

    def _resize(self, address: int, old_size: int, new_size: int) -> bool:
        return False  # not part of the exercise: realloc moves


class ExerciseTesting(Wrapper):
    """A testing allocator: the learner's checked_alloc, checked_free and deinit over a child."""

    name = "testing"

    def __init__(self, child="freelist", *, alloc=None, free=None, deinit=None) -> None:
        super().__init__(child)
        self.blocks: dict = {}
        self.learner = (alloc, free, deinit)

    @property
    def child(self):
        return self.inner

    def _alloc(self, size: int, align: int) -> int:
        return _address(f"checked_alloc(t, {size}, {align})", self.learner[0](self, size, align))

    def _free(self, address: int, size: int) -> None:
        self.learner[1](self, address, size)

    def _resize(self, address: int, old_size: int, new_size: int) -> bool:
        return False  # realloc allocates, copies and frees: your bookkeeping sees both

    def deinit(self) -> None:
        self.learner[2](self)

    def __enter__(self) -> ExerciseTesting:
        return self

    def __exit__(self, kind, error, traceback) -> None:
        if kind is None:
            self.deinit()
