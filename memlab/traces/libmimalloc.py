"""The real mimalloc's pages for a trace, against memlab's: replay into a private heap of libmimalloc.

mimalloc can walk a heap page by page (``mi_heap_visit_blocks``): for each page it reports the
block size, the blocks reserved and the blocks in use. :func:`real_pages` replays a trace into a
fresh private heap of the machine's libmimalloc (``mi_heap_new``, ``mi_heap_malloc``,
``mi_heap_realloc``, ``mi_free``) through ctypes, on one thread, and counts its pages by
(block size, blocks in use); :func:`compare` does the same with memlab's
:class:`~memlab.allocators.mimalloc.MiMalloc` and puts the two side by side. On the shipped real
traces they agree page for page with Debian's libmimalloc 2.0.9.

The library is Debian's ``libmimalloc2.0`` here (``mi_version()`` says 209). Only this process's
private heap is visited, so Python's own allocations (which do not go through mimalloc) do not
count. Simplification: one thread; the heap is destroyed after the visit, whatever it still held.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections import Counter
from dataclasses import dataclass

from ..allocators.mimalloc import MiMalloc
from ..errors import BadRequest
from .rep import ALLOC, FREE, Trace


class LibraryMissing(BadRequest):
    """libmimalloc is not installed here (Debian: ``apt-get install libmimalloc2.0``)."""


class _Area(ctypes.Structure):
    _fields_ = [
        ("blocks", ctypes.c_void_p),
        ("reserved", ctypes.c_size_t),
        ("committed", ctypes.c_size_t),
        ("used", ctypes.c_size_t),
        ("block_size", ctypes.c_size_t),
        ("full_block_size", ctypes.c_size_t),
    ]


_VISIT = ctypes.CFUNCTYPE(
    ctypes.c_bool, ctypes.c_void_p, ctypes.POINTER(_Area), ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p
)
_LIB: ctypes.CDLL | None = None


def library() -> ctypes.CDLL:
    """The machine's libmimalloc (2.x), loaded once; LibraryMissing says why not."""
    global _LIB
    if _LIB is not None:
        return _LIB
    name = ctypes.util.find_library("mimalloc")
    if name is None:
        raise LibraryMissing("libmimalloc is not installed here (Debian: apt-get install libmimalloc2.0)")
    lib = ctypes.CDLL(name)
    lib.mi_version.restype = ctypes.c_int
    if lib.mi_version() // 100 != 2:
        raise LibraryMissing(f"memlab follows mimalloc 2.x; this libmimalloc is version {lib.mi_version()}")
    lib.mi_heap_new.restype = ctypes.c_void_p
    lib.mi_heap_malloc.restype, lib.mi_heap_malloc.argtypes = ctypes.c_void_p, [ctypes.c_void_p, ctypes.c_size_t]
    lib.mi_heap_realloc.restype = ctypes.c_void_p
    lib.mi_heap_realloc.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t]
    lib.mi_free.argtypes = [ctypes.c_void_p]
    lib.mi_heap_visit_blocks.argtypes = [ctypes.c_void_p, ctypes.c_bool, _VISIT, ctypes.c_void_p]
    lib.mi_heap_destroy.argtypes = [ctypes.c_void_p]
    _LIB = lib
    return lib


def version() -> str:
    """The library's version, as ``"2.0.9"``."""
    v = library().mi_version()
    return f"{v // 100}.{v // 10 % 10}.{v % 10}"


def real_pages(trace: Trace) -> Counter[tuple[int, int]]:
    """Replay ``trace`` into a private heap of the real mimalloc; count its pages by (block size, in use)."""
    lib = library()
    heap = lib.mi_heap_new()
    address: dict[int, int] = {}
    for kind, ident, size in trace.ops:
        if kind == ALLOC:
            address[ident] = lib.mi_heap_malloc(heap, size)
        elif kind == FREE:
            lib.mi_free(address.pop(ident))
        else:
            address[ident] = lib.mi_heap_realloc(heap, address[ident], size)
    pages: Counter[tuple[int, int]] = Counter()

    def visit(_heap, area, _block, _size, _arg) -> bool:
        pages[area.contents.block_size, area.contents.used] += 1
        return True

    callback = _VISIT(visit)
    lib.mi_heap_visit_blocks(heap, False, callback, None)
    lib.mi_heap_destroy(heap)
    return pages


def memlab_pages(trace: Trace, **options) -> Counter[tuple[int, int]]:
    """The same count for memlab's mimalloc after the same trace (one thread)."""
    options.setdefault("limit", 256 << 20)
    heap = MiMalloc(**options)
    address: dict[int, int] = {}
    for kind, ident, size in trace.ops:
        if kind == ALLOC:
            address[ident] = heap.alloc(size)
        elif kind == FREE:
            heap.free(address.pop(ident))
        else:
            address[ident] = heap.realloc(address[ident], size)
    return Counter((v.block_size, v.used) for v in heap.views().values())


@dataclass
class PageComparison:
    """Pages by block size, real and memlab's, after one trace."""

    trace: str
    real: Counter[tuple[int, int]]
    simulated: Counter[tuple[int, int]]

    @property
    def exact(self) -> bool:
        return self.real == self.simulated

    def table(self) -> str:
        """Per block size: pages and blocks in use, real and memlab's."""

        def by_size(pages: Counter) -> dict[int, tuple[int, int]]:
            out: dict[int, tuple[int, int]] = {}
            for (size, used), n in pages.items():
                p, b = out.get(size, (0, 0))
                out[size] = (p + n, b + n * used)
            return out

        real, sim = by_size(self.real), by_size(self.simulated)
        lines = [f"{'block size':>10} {'pages: real':>12} {'memlab':>7} {'in use: real':>13} {'memlab':>7}"]
        for size in sorted(set(real) | set(sim)):
            (rp, rb), (sp, sb) = real.get(size, (0, 0)), sim.get(size, (0, 0))
            mark = "" if (rp, rb) == (sp, sb) else "   <- differs"
            lines.append(f"{size:>10} {rp:>12} {sp:>7} {rb:>13} {sb:>7}{mark}")
        return "\n".join(lines)


def compare(trace: Trace, **options) -> PageComparison:
    """The real libmimalloc's pages and memlab's, after the same trace."""
    return PageComparison(trace.name, real_pages(trace), memlab_pages(trace, **options))
