"""Exercise 09: pages from the OS (Zig's ``page_allocator``) and glibc's choice of sbrk or mmap.

The learner writes ``pages_needed(size, page_size)``; ``page_alloc(pa, size, align)``, Zig's
page allocator on Linux: whole pages from ``mmap``, and for an alignment above the page size,
extra pages mapped and the excess on both sides unmapped; and glibc's decision between its two
sources: ``glibc_malloc`` sends requests of at least ``mmap_threshold`` (128 KiB at start) to
``mmap`` and the rest to the heap, grown by ``sbrk``; ``glibc_free`` unmaps a mapped chunk and
raises the threshold to its size (glibc's dynamic threshold, capped at
``DEFAULT_MMAP_THRESHOLD_MAX``, 32 MiB on 64-bit). Simplification: glibc compares the chunk
size (request plus header) with the threshold; here the request. The checks read the simulated
OS's mapping table and its system call counts.
"""

from __future__ import annotations

import random

from ...allocators.freelist.heap import FreeListHeap
from ...allocators.page import PageAllocator
from ...events import Shrink
from ...memory import align_up, check_size
from ...os import OS
from ..questions import Cases, Exercise, Question

KIB = 1 << 10


class ExercisePages(PageAllocator):
    """memlab's PageAllocator on a 1 MiB OS whose allocation is the learner's."""

    def __init__(self, *, alloc=None, limit: int = 1 << 20) -> None:
        self.learner_alloc = alloc
        super().__init__(limit=limit)

    def mmap(self, length: int) -> int:
        """mmap(2): map ``length`` bytes, rounded up to whole pages; the allocator records the mapping."""
        return self._map(align_up(check_size(length, "mmap length"), self.page_size))

    def munmap(self, address: int, length: int) -> None:
        """munmap(2): unmap whole pages of a mapping (its start, its end or its middle)."""
        self.os.munmap(address, length)  # refuses what is not mapped, and then nothing changes
        self._maps = dict(self.os.regions())  # this allocator is the OS's only user
        length = align_up(length, self.page_size)
        self._add_footprint(-length)
        if self.recorder is not None:
            self._emit(Shrink(self.step, address, length, "munmap"))

    def _alloc(self, size: int, align: int) -> int:
        if self.learner_alloc is None:
            return super()._alloc(size, align)
        address = self.learner_alloc(self, size, align)
        if not isinstance(address, int):
            raise TypeError(f"page_alloc returned {address!r}, not an address")
        return address

    def _free(self, address: int, size: int) -> None:
        start = max((a for a in self._maps if a <= address), default=None)
        if start is None or address >= start + self._maps[start]:
            raise AssertionError(f"page_alloc returned {address:#x}, which lies in no mapping")
        self._unmap(start, self._maps.pop(start))


class ExerciseMalloc:
    """glibc's two sources of memory: the heap, grown by sbrk, and a mapping per large request."""

    MMAP_THRESHOLD_MAX = 32 << 20  # DEFAULT_MMAP_THRESHOLD_MAX on 64-bit (512 KiB on 32-bit)

    def __init__(self, *, malloc=None, free=None) -> None:
        self.os = OS(8 << 20)
        self.heap, self.pages = FreeListHeap(os=self.os), PageAllocator(os=self.os)
        self.mmap_threshold = 128 * KIB
        self.learner_malloc, self.learner_free = malloc, free

    def is_mmapped(self, address: int) -> bool:
        """glibc reads the IS_MMAPPED bit in the chunk's header."""
        return address in self.pages.live()

    def chunk_size(self, address: int) -> int:
        """The size of a mapped chunk: its whole mapping, in bytes."""
        return self.pages._maps[address]

    def malloc(self, size: int) -> int:
        if self.learner_malloc:
            return self.learner_malloc(self, size)
        return self.pages.alloc(size) if size >= self.mmap_threshold else self.heap.alloc(size)

    def free(self, address: int) -> None:
        if self.learner_free:
            return self.learner_free(self, address)
        if not self.is_mmapped(address):
            return self.heap.free(address)
        if self.mmap_threshold < self.chunk_size(address) <= self.MMAP_THRESHOLD_MAX:
            self.mmap_threshold = self.chunk_size(address)
        self.pages.free(address)


def check_pages(fns: dict) -> Cases:
    cases = Cases()
    fn = fns["pages_needed"]
    groups = [
        ("a request up to one page takes one page", [(1, 4096, 1), (16, 4096, 1), (4095, 4096, 1), (100, 16384, 1)]),
        ("a whole number of pages takes exactly that many", [(4096, 4096, 1), (8192, 4096, 2), (1 << 20, 4096, 256)]),
        ("one byte more takes one page more", [(4097, 4096, 2), (10_000, 4096, 3), (16385, 16384, 2)]),
    ]
    for title, rows in groups:
        with cases.case(title, 1):
            for size, page, want in rows:
                got = fn(size, page)
                hint = " (round up only when there is a remainder)" if got == want + 1 else ""
                cases.expect(got == want, f"pages_needed({size}, {page}) is {got!r}; expected {want}{hint}")
    return cases


def _maps(os: OS) -> list[tuple[str, int]]:
    return [(hex(a), n) for a, n in os.regions()]


def _fresh(cases: Cases, fn, requests: list[tuple[int, int]]) -> ExercisePages:
    """The requests on the learner's allocator and memlab's: the same addresses, mappings and calls."""
    mine, real = ExercisePages(alloc=fn), ExercisePages()
    for size, align in requests:
        a, b = mine.alloc(size, align), real.alloc(size, align)
        cases.expect(a == b, f"alloc({size}, align={align}) returned {a:#x}; expected {b:#x}")
    cases.expect(
        mine.os.regions() == real.os.regions(),
        f"after {requests} the OS maps {_maps(mine.os)}; expected {_maps(real.os)}: whole pages, one mapping each",
    )
    calls, want = dict(mine.os.syscalls), dict(real.os.syscalls)
    cases.expect(calls == want, f"the OS counted the system calls {calls}; expected {want}")
    return mine


def _aligned(fn, align: int) -> tuple[ExercisePages, int, int]:
    pa = ExercisePages(alloc=fn)
    first = pa.alloc(64)  # one page at the top, so the next mapping is not aligned by luck
    return pa, first, pa.alloc(5000, align)


def check_alloc(fns: dict) -> Cases:
    cases = Cases()
    fn = fns["page_alloc"]
    with cases.case("each request takes its whole pages with one mmap", 1):
        _fresh(cases, fn, [(24, 8), (5000, 16), (8192, 8)])
    with cases.case("an alignment up to the page size needs nothing more", 1):
        _fresh(cases, fn, [(100, 64), (4096, 4096), (12_000, 4096)])
    with cases.case("an alignment above the page size: the block is aligned", 1):
        pa, first, block = _aligned(fn, 16 * KIB)
        cases.expect(block % (16 * KIB) == 0, f"alloc(5000, align=16384) returned {block:#x}, not a multiple of 16384")
    with cases.case("and the excess pages before and after it are unmapped", 1):
        pa, first, block = _aligned(fn, 32 * KIB)
        cases.expect(block % (32 * KIB) == 0, f"alloc(5000, align=32768) returned {block:#x}, not a multiple of 32768")
        want = sorted([(first, 4096), (block, 8192)])
        extra = pa.os.mapped_bytes - 3 * 4096
        cases.expect(
            pa.os.regions() == want,
            f"after alloc(64) and alloc(5000, align=32768) the OS maps {_maps(pa.os)}; expected "
            f"{[(hex(a), n) for a, n in want]}" + (f": {extra} bytes of excess pages stay mapped" if extra > 0 else ""),
        )
        mmaps = pa.os.syscalls["mmap"]
        cases.expect(mmaps == 2, f"{mmaps} mmap calls for two requests; expected 2: map once, then munmap the excess")
    return cases


def _threshold(cases: Cases, m: ExerciseMalloc, want: int, after: str, why: str) -> None:
    got = m.mmap_threshold
    cases.expect(got == want, f"after {after} the threshold is {got}; expected {want}{why}")


def check_glibc(fns: dict) -> Cases:
    cases = Cases()
    with cases.case("small requests are cut from the heap: no mmap", 1):
        m = ExerciseMalloc(malloc=fns["glibc_malloc"])
        rng = random.Random(9)
        got = [m.malloc(rng.randint(16, 4000)) for _ in range(200)]
        mapped = sum(m.is_mmapped(a) for a in got)
        cases.expect(not mapped, f"{mapped} of 200 requests below {m.mmap_threshold} bytes went to mmap")
        cases.expect(all(a in m.heap.live() for a in got), "a small request did not come from m.heap")
    with cases.case("mmap_threshold bytes or more get a mapping of their own", 1):
        m = ExerciseMalloc(malloc=fns["glibc_malloc"])
        for size, want in ((128 * KIB - 1, False), (128 * KIB, True), (1 << 20, True)):
            mapped = m.is_mmapped(m.malloc(size))
            went, t = "went" if mapped else "did not go", m.mmap_threshold
            cases.expect(mapped == want, f"malloc({size}) {went} to mmap; requests of {t} bytes or more do (>=)")
        m.mmap_threshold = 256 * KIB
        cases.expect(
            not m.is_mmapped(m.malloc(200 * KIB)),
            "with m.mmap_threshold = 262144, malloc(204800) went to mmap: read the threshold from m",
        )
    with cases.case("free gives a heap block to the heap, and unmaps a mapped one", 1):
        m = ExerciseMalloc(free=fns["glibc_free"])
        small, big = m.malloc(100), m.malloc(300 * KIB)
        calls = dict(m.os.syscalls)
        m.free(small)
        cases.expect(small not in m.heap.live(), f"free({small:#x}) left the heap block allocated")
        cases.expect(m.os.syscalls == calls, f"freeing a small block made system calls: {dict(m.os.syscalls)}")
        m.free(big)
        cases.expect(not m.os.regions(), f"after free({big:#x}) the OS still maps {_maps(m.os)}")
    with cases.case("freeing a mapped chunk raises the threshold to its size", 1):
        m = ExerciseMalloc(free=fns["glibc_free"])
        m.free(m.malloc(200_000))
        _threshold(cases, m, 200_704, "freeing a mapped chunk of 200704 bytes (49 pages)", "")
        cases.expect(not m.is_mmapped(m.malloc(150_000)), "so malloc(150000) should now come from the heap")
    with cases.case("the threshold never falls, and stops at MMAP_THRESHOLD_MAX", 1):
        m = ExerciseMalloc(free=fns["glibc_free"])
        m.MMAP_THRESHOLD_MAX = 512 * KIB  # glibc's cap on a 32-bit machine
        big, medium, huge = m.malloc(300_000), m.malloc(140_000), m.malloc(600 * KIB)
        m.free(big)
        m.free(medium)
        _threshold(cases, m, 303_104, "freeing chunks of 303104 then 143360 bytes", " (it only rises)")
        m.free(huge)
        _threshold(cases, m, 303_104, "freeing a 614400-byte chunk", ": it stops at m.MMAP_THRESHOLD_MAX (here 524288)")
    return cases


def demo(page_alloc):
    """Requests of 24, 10000 and 5000 bytes, one aligned to 16 KiB (map, then trim), and two frees."""
    from ...widgets import heap_player

    pa = ExercisePages(alloc=page_alloc)
    with pa.record() as rec:
        small = pa.alloc(24, 8)
        pa.alloc(10_000, 16)
        aligned = pa.alloc(5000, 16 * KIB)
        pa.free(small)
        pa.free(aligned)
    return heap_player(rec.recording, title="Your page allocator: every grow and shrink is a system call")


def count(glibc_malloc, glibc_free, ops: int = 3000, seed: int = 9) -> None:
    """Run a seeded workload of small and a few large requests on your malloc and free; print the calls."""
    m, rng, live = ExerciseMalloc(malloc=glibc_malloc, free=glibc_free), random.Random(seed), []
    for _ in range(ops):
        if live and rng.random() < 0.45:
            m.free(live.pop(rng.randrange(len(live))))
        else:
            live.append(m.malloc(rng.choice([150_000, 300_000]) if rng.random() < 0.02 else rng.randint(16, 512)))
    calls = dict(sorted(m.os.syscalls.items()))
    print(f"{ops} operations, {sum(calls.values())} system calls: {calls}")
    print(f"(the page allocator of notebook 09 would make {ops}: one per malloc and one per free)")
    print(f"mmap threshold now {m.mmap_threshold} bytes (it started at {128 * KIB})")


EXERCISE = Exercise(
    "09_pages_and_the_os",
    "Pages and the OS: mmap, and when malloc uses it",
    (
        Question("pages_needed", "rounding a request up to whole pages", ("pages_needed",), 3, check_pages),
        Question("page_alloc", "the page allocator: mmap, and trimming for alignment", ("page_alloc",), 4, check_alloc),
        Question("glibc", "sbrk or mmap: glibc's threshold", ("glibc_malloc", "glibc_free"), 5, check_glibc),
    ),
)
