"""Exercise 03: first-fit placement over an implicit free list, and splitting (CS:APP 9.9.7-9.9.8).

The learner writes ``find_fit(heap, asize)`` (walk the blocks header to header) and
``place(heap, bp, asize)`` (allocate at the front of a free block; split off a rest of at least
16 bytes, CS:APP's minimum block). The checks build heaps with holes of known sizes and read
the tags back from simulated memory.
"""

from __future__ import annotations

from ..questions import Cases, Exercise, Question
from .boundary_tags import MIN_BLOCK, WSIZE, ExerciseHeap, get, tags

REQUESTS = (8, 40, 8, 64, 8, 24, 8)  # blocks of 16, 48, 16, 72, 16, 32, 16 bytes
HOLES = (1, 3, 5)  # freed: holes of 48, 72 and 32 bytes


def holes(**fns) -> tuple[ExerciseHeap, list[int]]:
    """A heap whose blocks are REQUESTS, with HOLES freed (memlab's own code sets it up)."""
    heap = ExerciseHeap(**fns)
    with heap.real():
        p = [heap.alloc(n) for n in REQUESTS]
        for i in HOLES:
            heap.free(p[i])
    return heap, p


def check_find_fit(fns: dict) -> Cases:
    find_fit, cases = fns["find_fit"], Cases()
    heap, p = holes()
    names = {p[1]: "the 48-byte hole", p[3]: "the 72-byte hole", p[5]: "the 32-byte hole"}

    def expect(asize: int, want: int, why: str) -> None:
        got = find_fit(heap, asize)
        said = names.get(got, f"{got:#x} ({tags(heap, got)})" if isinstance(got, int) and got else repr(got))
        cases.expect(got == want, f"find_fit(heap, {asize}) gave {said}; expected {names.get(want, want)}: {why}")

    with cases.case("skips allocated blocks", 1):
        expect(16, p[1], "the first block is allocated")
    with cases.case("takes the first hole that fits, not the best", 1):
        expect(32, p[1], "first fit stops at the first free block of 32+ bytes")
    with cases.case("skips holes that are too small", 1):
        expect(56, p[3], "the 48-byte hole is too small")
    with cases.case("an exact fit counts", 1):
        expect(72, p[3], "a 72-byte hole holds a 72-byte block (>=, not >)")
    with cases.case("nothing fits: returns 0 at the epilogue", 1):
        expect(4096, 0, "no block is that large; stop at the epilogue, whose header is 0/allocated")
    return cases


def _hole_of_48(place) -> tuple[ExerciseHeap, int]:
    heap, p = holes(place=place)
    return heap, p[1]


def check_place(fns: dict) -> Cases:
    place, cases = fns["place"], Cases()

    def block(heap, bp, size, allocated, what):
        got = get(heap, bp - WSIZE), get(heap, bp + size - 2 * WSIZE)
        state = "allocated" if allocated else "free"
        cases.expect(
            got == ((size, allocated), (size, allocated)),
            f"{what}: expected tags {size}/{state} at {bp - WSIZE:#x} and {bp + size - 2 * WSIZE:#x}; "
            f"memory says {tags(heap, bp)}",
        )

    with cases.case("splits a large free block", 1):
        heap = ExerciseHeap(place=place)
        size = get(heap, heap.first_bp - WSIZE)[0]
        bp = heap.alloc(24)
        block(heap, bp, 32, True, "alloc(24) from the fresh heap's one free block")
        block(heap, bp + 32, size - 32, False, "the rest after it")
    with cases.case("splits off a rest of exactly 16 bytes", 1):
        heap, hole = _hole_of_48(place)
        bp = heap.alloc(24)  # 32 of the 48 bytes; the rest is 16, the minimum block
        cases.expect(bp == hole, f"alloc(24) went to {bp:#x}, not the 48-byte hole at {hole:#x}")
        cases.expect(
            get(heap, bp - WSIZE)[0] != 48,
            "alloc(24) took the whole 48-byte hole: a rest of 16 bytes is a valid block "
            "(header, 8 bytes, footer), so split when the rest is at least 16, not more than 16",
        )
        block(heap, bp, 32, True, "a 32-byte block placed in a 48-byte hole")
        block(heap, bp + 32, MIN_BLOCK, False, "a rest of 16 bytes is a valid block (header, 8 bytes, footer)")
    with cases.case("keeps a rest under 16 bytes inside the block", 1):
        heap, hole = _hole_of_48(place)
        bp = heap.alloc(32)  # 40 of 48 bytes: the 8 left cannot be a block
        block(heap, bp, 48, True, "alloc(32) in a 48-byte hole leaves 8 bytes, too few for a block")
        heap.check()
    with cases.case("the heap stays consistent over 60 operations", 1):
        mine, real = ExerciseHeap(place=place), ExerciseHeap()
        for heap in (mine, real):
            live = []
            for i in range(60):
                if i % 3 == 2:
                    heap.free(live.pop(i % len(live)))
                else:
                    live.append(heap.alloc(1 + (i * 37) % 90))
                heap.check()
        for a, b in zip(mine.layout(), real.layout()):
            cases.expect(
                (a.address, a.size, a.state) == (b.address, b.size, b.state),
                f"after 60 mixed operations the first difference is at {b.address:#x}: your heap has a "
                f"{a.size}-byte {a.state} block at {a.address:#x}, memlab's a {b.size}-byte {b.state} one",
            )
    return cases


def demo(find_fit, place):
    """First fit and splitting: three allocations, two frees, then requests that fit the holes."""
    from ...widgets import heap_player

    heap = ExerciseHeap(find_fit=find_fit, place=place)
    with heap.record() as rec:
        p = [heap.alloc(n) for n in (40, 8, 64, 8)]
        heap.free(p[0])
        heap.free(p[2])
        heap.alloc(24)  # into the first hole, splitting it
        heap.alloc(56)  # skips the rest of the first hole; takes the second, whole
    return heap_player(
        rec.recording, title="Your find_fit and place", hexdump=True, start=heap.first_bp - 4, length=192
    )


EXERCISE = Exercise(
    "03_free_lists_and_placement",
    "Free lists: placement and splitting",
    (
        Question("find_fit", "first fit over the implicit list", ("find_fit",), 5, check_find_fit),
        Question("place", "placing and splitting", ("place",), 4, check_place),
    ),
)
