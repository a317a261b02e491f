"""Exercise 01's stack: memlab's Stack with its allocation and free in the learner's hands."""

from __future__ import annotations

from typing import NamedTuple

from ...allocators.stack import Stack, StackOverflow


class Top(NamedTuple):
    """The block on top of the stack, and where ``sp`` was before it was allocated."""

    address: int
    size: int
    sp_before: int


class ExerciseStack(Stack):
    """A 256-byte Stack whose allocation and free are the learner's."""

    def __init__(self, *, alloc=None, free=None, size: int = 256) -> None:
        self.learner_alloc, self.learner_free = alloc, free
        super().__init__(size)

    @property
    def fp(self) -> int:
        """The frame pointer (``rbp``): the innermost frame record's address, 0 with no frame."""
        return self._frames[-1].address if self._frames else 0

    def top(self) -> Top | None:
        """The block on top, or None when the stack is empty."""
        return Top(*self._blocks[-1]) if self._blocks else None

    def _alloc(self, size: int, align: int) -> int:
        if self.learner_alloc is None:
            return super()._alloc(size, align)
        before = self.sp
        try:
            address = self.learner_alloc(self, size, align)
        except StackOverflow:
            if self.sp != before:
                raise AssertionError(
                    f"sp moved from {before:#x} to {self.sp:#x} although the request failed: check first, then move"
                ) from None
            raise
        if not isinstance(address, int):
            raise TypeError(f"stack_alloc returned {address!r}, not an address")
        self._blocks.append((address, size, before))
        return address

    def _free(self, address: int, size: int) -> None:
        if self.learner_free is None:
            return super()._free(address, size)
        self.learner_free(self, address)
        for i in range(len(self._blocks) - 1, -1, -1):  # forget the block, even one freed out of order
            if self._blocks[i][0] == address:
                del self._blocks[i]
                break
