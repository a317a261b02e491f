"""One lock around any allocator: Zig's ``std.heap.ThreadSafeAllocator`` (through Zig 0.15).

Every call takes a mutex, runs on the child allocator, and releases it. That is correct and
simple, and it makes every thread wait for every other: the lock acquisitions counted here are
what thread-caching allocators (TCMalloc, mimalloc) exist to avoid. ``contended`` counts the
acquisitions that found the lock taken and had to wait.

Zig 0.15 and earlier ship this wrapper; its common use was to share one ``ArenaAllocator``
between threads. Zig 0.16 made the arena itself thread-safe and lock-free, and
``ThreadSafeAllocator`` is no longer in ``std.heap``; memlab keeps the wrapper, because a lock
around an allocator is the baseline every thread-aware design is measured against.
"""

from __future__ import annotations

import threading
from typing import Any

from ..allocators.wrapper import Child, Wrapper


class ThreadSafe(Wrapper):
    """A mutex around a child allocator (Zig's ThreadSafeAllocator); counts lock acquisitions."""

    name = "threadsafe"

    def __init__(self, inner: Child = "bump:size=65536", **options: Any) -> None:
        super().__init__(inner, **options)
        self._lock = threading.RLock()
        self._depth = 0
        self.lock_acquisitions = 0
        self.contended = 0

    def _locked(self, fn, *args: Any) -> Any:
        waited = not self._lock.acquire(blocking=False)
        if waited:
            self._lock.acquire()
        try:
            self._depth += 1
            if self._depth == 1:  # a call made while holding the lock takes no new lock
                self.lock_acquisitions += 1
                self.contended += waited
            return fn(*args)
        finally:
            self._depth -= 1
            self._lock.release()

    def alloc(self, size: int, align: int | None = None) -> int:
        return self._locked(super().alloc, size, align)

    def free(self, address: int) -> None:
        self._locked(super().free, address)

    def resize(self, address: int, new_size: int) -> bool:
        return self._locked(super().resize, address, new_size)

    def remap(self, address: int, new_size: int) -> int | None:
        return self._locked(super().remap, address, new_size)

    def realloc(self, address: int | None, new_size: int) -> int:
        return self._locked(super().realloc, address, new_size)

    def calloc(self, count: int, size: int) -> int:
        return self._locked(super().calloc, count, size)
