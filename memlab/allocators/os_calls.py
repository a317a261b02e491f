"""Asking the simulated OS for memory: ``sbrk``, ``mmap`` and ``munmap``, as an allocator sees them.

Every call goes to :class:`~memlab.os.OS` (which may refuse with OutOfMemory, before anything
changes), then counts in the allocator's footprint, rounded to whole pages for ``mmap``, and is
announced as a Grow or Shrink event when someone records.

:class:`OSCalls` is a mixin for :class:`~memlab.allocators.base.Allocator`.
"""

from __future__ import annotations

from ..events import Grow, Shrink


class OSCalls:
    """``_sbrk``, ``_mmap``, ``_munmap`` and the footprint they change."""

    def _sbrk(self, increment: int) -> int:
        """Grow the heap through the OS, counting the footprint and emitting Grow."""
        address = self.os.sbrk(increment)
        self._add_footprint(increment)
        if self.recorder is not None:
            self._emit(Grow(self.step, address, increment, "sbrk"))
        return address

    def _mmap(self, length: int) -> int:
        address = self.os.mmap(length)
        length = -(-length // self.os.page_size) * self.os.page_size
        self._add_footprint(length)
        if self.recorder is not None:
            self._emit(Grow(self.step, address, length, "mmap"))
        return address

    def _munmap(self, address: int, length: int) -> None:
        self.os.munmap(address, length)
        length = -(-length // self.os.page_size) * self.os.page_size
        self._add_footprint(-length)
        if self.recorder is not None:
            self._emit(Shrink(self.step, address, length, "munmap"))

    def _add_footprint(self, n: int) -> None:
        self._footprint += n
        if self._footprint > self._peak_footprint:
            self._peak_footprint = self._footprint
