"""The machine's production allocators: which library each is, how it gets into the replayer,
which of its own statistics measures its heap, and how to install it.

Versions as packaged by Debian 12 (the ones measured for the course): glibc 2.36 (ptmalloc2),
jemalloc 5.3.0 (``libjemalloc2``), mimalloc 2.0.9 (``libmimalloc2.0``) and gperftools 2.10's
TCMalloc (``libtcmalloc-minimal4``). Another version loads the same way and is reported by the
version it gives itself.

**Names.** memlab registers simulations under the names of the designs they teach
(``"tcmalloc"``, and in time ``"mimalloc"`` and ``"pymalloc"``). The real libraries carry the
name of their shared object instead, ``libjemalloc``, ``libmimalloc``, ``libtcmalloc``
(``libjemalloc.so.2``, ``libmimalloc.so.2``, ``libtcmalloc_minimal.so.4``), so that
``-a tcmalloc -a libtcmalloc`` reads as "the simulation, and the library". ``glibc`` keeps the
name it has always had in memlab: nothing simulated is called that.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Library:
    """One production allocator."""

    name: str
    """memlab's name for it (``-a NAME``)."""
    family: str
    """The replayer's name for it (``replayer.c``)."""
    soname: str | None
    """The shared object loaded by default (None: the C library the replayer runs on)."""
    loading: str
    """``"libc"``, ``"preload"`` (LD_PRELOAD) or ``"dlopen"``."""
    statistic: str
    """Its own measure of its heap, in a few words."""
    design: str
    """What it is, in one line."""
    debian: str | None
    """The Debian/Ubuntu package that installs it."""
    brew: str | None
    """The Homebrew formula (macOS), for the record: the replayer itself runs on Linux only."""

    def install_hint(self) -> str:
        """One phrase saying how to get the library."""
        if self.debian is None:
            return "it comes with the system"
        return f"Debian/Ubuntu: apt-get install {self.debian}"


LIBRARIES: dict[str, Library] = {
    lib.name: lib
    for lib in (
        Library(
            "glibc",
            "glibc",
            None,
            "libc",
            "chunk reach: lowest chunk start to highest chunk end, holes included, plus mapped chunks",
            "ptmalloc2: arenas of 16-byte-granular chunks with boundary tags, bins, a per-thread tcache",
            None,
            None,
        ),
        Library(
            "libjemalloc",
            "jemalloc",
            "libjemalloc.so.2",
            "preload",
            "mallctl stats.resident after an epoch (active pages, dirty pages and metadata)",
            "size classes in slabs tracked by bitmaps, arenas, thread caches, extents purged after a delay",
            "libjemalloc2",
            "jemalloc",
        ),
        Library(
            "libmimalloc",
            "mimalloc",
            "libmimalloc.so.2",
            "dlopen",
            "mi_heap_visit_blocks on a private heap: the committed bytes of its pages",
            "free-list sharding: a page per size class with its own free lists, in 32 MiB segments",
            "libmimalloc2.0",
            "mimalloc",
        ),
        Library(
            "libtcmalloc",
            "tcmalloc",
            "libtcmalloc_minimal.so.4",
            "dlopen",
            "MallocExtension: generic.heap_size less the page heap's free and unmapped bytes",
            "thread caches, central free lists per size class, a page heap of spans (gperftools)",
            "libtcmalloc-minimal4",
            "gperftools",
        ),
    )
}


def names() -> list[str]:
    """The production allocators, in the order the course shows them."""
    return list(LIBRARIES)
