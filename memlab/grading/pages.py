"""Simulated memory crossing the grading boundary: only the pages in use, never all 64 MiB.

memlab's :class:`~memlab.memory.Memory` is one anonymous ``mmap`` (up to 64 MiB) of which a heap
touches a few pages. To send one to the learner's process the grader sends the pages that hold
anything but zeros; to send it back, that process sends the pages the learner's call changed.
Which pages were ever touched the kernel knows: ``mincore(2)`` (Linux, macOS) says which pages of a
mapping are resident, and a page of an anonymous mapping nobody touched is not. Where ``mincore``
is missing every page is looked at, which is slower and gives the same answer.
"""

from __future__ import annotations

import mmap
import re

PAGE = mmap.PAGESIZE
_ZERO = bytes(PAGE)
_RUNS = re.compile(rb"\x01+")
_LOW_BIT = bytes(b & 1 for b in range(256))

try:
    import ctypes

    _libc = ctypes.CDLL(None, use_errno=True)
    _mincore = _libc.mincore
    _mincore.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p)
    _mincore.restype = ctypes.c_int
except (ImportError, OSError, AttributeError):  # pragma: no cover - no libc to ask
    _mincore = None


_ARRAYS: dict[tuple[type, int], type] = {}


def _array(kind: type, n: int) -> type:
    """The ctypes array type of ``n`` ``kind`` (made once: making one is slow)."""
    if (kind, n) not in _ARRAYS:
        _ARRAYS[kind, n] = kind * n
    return _ARRAYS[kind, n]


def _resident_runs(mm: mmap.mmap) -> list[tuple[int, int]]:
    """(first page, end page) of each run of resident pages; every page when the kernel cannot say."""
    pages = (len(mm) + PAGE - 1) // PAGE
    if _mincore is None or not pages:
        return [(0, pages)]
    holder = _array(ctypes.c_char, len(mm)).from_buffer(mm)
    try:
        vec = _array(ctypes.c_ubyte, pages)()
        if _mincore(ctypes.addressof(holder), len(mm), vec) != 0:
            return [(0, pages)]
    finally:
        del holder  # release the export, so the mmap can still be closed or resized
    flags = bytes(vec).translate(_LOW_BIT)
    return [(m.start(), m.end()) for m in _RUNS.finditer(flags)]


def used(mm: mmap.mmap) -> list[tuple[int, bytes]]:
    """The mapping's non-zero pages, merged into (offset, bytes) ranges."""
    out: list[tuple[int, bytes]] = []
    size = len(mm)
    for first, end in _resident_runs(mm):
        start = None
        for page in range(first, end + 1):
            lo = page * PAGE
            zero = page == end or mm[lo : min(lo + PAGE, size)] == _ZERO[: min(PAGE, size - lo)]
            if zero and start is not None:
                out.append((start, mm[start : min(lo, size)]))
                start = None
            elif not zero and start is None:
                start = lo
    return out


class Sent:
    """What the learner's process received of each mapping, to tell afterwards what its call changed."""

    def __init__(self) -> None:
        self.maps: dict[int, tuple[mmap.mmap, dict[int, bytes]]] = {}
        self.views: list[memoryview] = []

    def clear(self) -> None:
        """Forget the call's mappings and unmap them now (the heaps around them are cyclic garbage,
        which Python would free only at its next collection: 64 MiB a call adds up fast)."""
        for view in reversed(self.views):
            view.release()
        for mm, _ in self.maps.values():
            try:
                mm.close()
            except BufferError:  # a view the call made itself still holds it: Python frees it later
                pass
        self.maps.clear()
        self.views.clear()

    def remember(self, mm: mmap.mmap, ranges: list[tuple[int, bytes]]) -> None:
        pages: dict[int, bytes] = {}
        for offset, data in ranges:
            for lo in range(offset, offset + len(data), PAGE):
                pages[lo // PAGE] = data[lo - offset : lo - offset + PAGE]
        self.maps[id(mm)] = (mm, pages)

    def changes(self, mm: mmap.mmap) -> list[tuple[int, bytes]]:
        """The (offset, bytes) ranges of ``mm`` that differ from what was received."""
        _, before = self.maps[id(mm)]
        size, out = len(mm), []
        start = None
        for first, end in _resident_runs(mm):
            for page in range(first, end + 1):
                lo = page * PAGE
                if page < end:
                    now = mm[lo : min(lo + PAGE, size)]
                    was = before.get(page, _ZERO[: len(now)])
                    changed = now != was
                else:
                    changed = False
                if changed and start is None:
                    start = lo
                elif not changed and start is not None:
                    out.append((start, mm[start : min(lo, size)]))
                    start = None
        return out


SENT = Sent()
"""The learner's process's record of the mappings it received for the call in progress."""


def rebuild(size: int, ranges: list[tuple[int, bytes]]) -> mmap.mmap:
    """A fresh mapping of ``size`` bytes holding ``ranges`` (in the learner's process, from the grader)."""
    mm = mmap.mmap(-1, size)
    for offset, data in ranges:
        mm[offset : offset + len(data)] = data
    SENT.remember(mm, ranges)
    return mm


def view(mm: mmap.mmap, fmt: str) -> memoryview:
    """A memoryview of ``mm`` in format ``fmt``, as the allocators keep over their memory."""
    whole = memoryview(mm)
    SENT.views.append(whole)
    if fmt != "B":
        whole = whole.cast(fmt)
        SENT.views.append(whole)
    return whole
