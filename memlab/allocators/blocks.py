"""What an allocator shows of itself: block states, ``Block``, ``Stats`` and ``HeapSnapshot``.

Plain frozen data, read by views, tests and the property suite; every allocator's ``layout()``,
``stats()`` and ``snapshot()`` (see :mod:`.base`) return these. A layout is the allocator's own
account of its memory, in address order, like the picture a heap checker such as malloclab's
``mm_checkheap`` walks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

ALLOCATED = "allocated"
FREE = "free"
METADATA = "metadata"
DEAD = "dead"
"""Bytes no request can use: padding, page and span tails, slack, quarantined or leaked blocks,
and a bump allocator's out-of-order frees (until a reset)."""

SNAPSHOT_BYTES = 1 << 16
"""Snapshots keep a copy of the heap's bytes when it is at most this large."""


@dataclass(frozen=True, slots=True)
class Block:
    """One block of a layout, as plain data for views and tests."""

    address: int
    size: int
    state: str
    label: str = ""
    header: int = 0
    footer: int = 0
    requested: int = 0

    @property
    def end(self) -> int:
        return self.address + self.size

    @property
    def payload(self) -> int:
        return self.address + self.header


@dataclass(frozen=True, slots=True)
class Stats:
    """What an allocator has done and what it holds (bytes unless said otherwise).

    * ``live_bytes``, ``live_blocks``: the payload asked for by the blocks live now (a ``calloc``
      block counts ``count * size``), and how many they are;
    * ``peak_live_bytes``: the most ``live_bytes`` ever were, including the moment inside a realloc
      that moves, when the old block and the new one are both live;
    * ``footprint``, ``peak_footprint``: bytes taken from the OS (a wrapper: from its children);
    * ``allocs``: blocks handed out, by ``alloc``, ``malloc``, ``calloc``, and by a ``realloc``
      that moves (its new block); ``frees``: blocks given back, by ``free`` and by a ``realloc``
      that moves (its old block), or all at once (a reset, a popped frame), one each;
      so ``allocs - frees == live_blocks``, and, as in Valgrind's heap summary, a realloc that
      moves is one alloc and one free;
    * ``reallocs``: successful ``realloc`` calls, in place or moving (``realloc(None, n)`` is an
      alloc);
    * ``failures``: requests refused for want of memory (``OutOfMemory`` from alloc, calloc or
      realloc); a refused request counts here only, never in ``allocs`` or ``reallocs``. A bad
      argument (``BadRequest``, ``InvalidFree``) is counted nowhere: nothing was requested.
    * ``syscalls``: the simulated OS's counts (``sbrk``, ``mmap``, ``munmap``), refused calls included.
    """

    live_bytes: int
    peak_live_bytes: int
    live_blocks: int
    footprint: int
    peak_footprint: int
    allocs: int
    frees: int
    reallocs: int
    failures: int
    syscalls: dict[str, int] = field(default_factory=dict)

    @property
    def overhead(self) -> int:
        """Footprint not holding live payload: headers, padding, free space."""
        return self.footprint - self.live_bytes

    @property
    def utilization(self) -> float:
        """malloclab's utilization: peak live payload / peak footprint."""
        return self.peak_live_bytes / self.peak_footprint if self.peak_footprint else 0.0


@dataclass(frozen=True, slots=True)
class HeapSnapshot:
    """The state of an allocator at one moment: layout, statistics and (small heaps) bytes."""

    blocks: tuple[Block, ...]
    start: int
    end: int
    stats: Stats
    data: bytes = b""

    def read(self, address: int, n: int) -> bytes:
        """Bytes of the heap as they were, if the snapshot kept them."""
        if not self.data or address < self.start or address + n > self.start + len(self.data):
            raise ValueError(f"snapshot holds no bytes at {address:#x}")
        offset = address - self.start
        return self.data[offset : offset + n]


T = TypeVar("T")


class ViewCache:
    """What an allocator's views read (its layout, its snapshot), built once per state of the heap.

    ``key()`` names the state: anything that changes whenever the heap does (a step counter, the
    events told so far, the live bytes). A view asks :meth:`get`; the value is built again only
    when the key has moved since it was last built.
    """

    def __init__(self, key: Callable[[], tuple]) -> None:
        self.key = key
        self.built: dict[str, tuple[tuple, object]] = {}

    def get(self, name: str, build: Callable[[], T]) -> T:
        key = self.key()
        hit = self.built.get(name)
        if hit is None or hit[0] != key:
            hit = self.built[name] = (key, build())
        return hit[1]  # type: ignore[return-value]
