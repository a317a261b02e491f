"""Exercise 05: size classes and segregated fits (CS:APP 9.9.14, malloclab's segregated lists).

The learner writes ``size_class(block_size, bounds)`` (class ``k`` holds the sizes up to
``bounds[k]``; the sizes above the last bound form one more class), ``find_fit(heap, asize)``
(first fit in the request's class, then in each larger one) and ``choose_bounds()`` (classes that
keep the ``binary`` trace's searches short). :class:`ClassHeap` is memlab's segregated
:class:`~memlab.allocators.freelist.FreeListHeap` with its classes and its search replaced; the
checks follow the list heads and ``succ`` links in simulated memory. Simplification: the heap
has 15 head words, so at most 14 bounds, the last at most 8192 (larger blocks share the top list).
"""

from __future__ import annotations

from bisect import bisect_left

from ...allocators.freelist.heap import FreeListHeap
from ...allocators.freelist.lists import _TABLE_MAX, SIZE_CLASSES
from ..questions import Cases, Exercise, Failed, Question

MEMLAB = (16, 24, 32, 40, 48, 56, 64, 128, 256, 512, 1024, 2048, 4096, 8192)
"""memlab's own classes as upper bounds: 16..64 bytes one size each, then powers of two."""


def head(heap: FreeListHeap, k: int) -> int:
    """The first block (bp) on list ``k``, read from its head word below the prologue; 0 if empty."""
    heap.heads_read.append(k)
    return heap.memory.read_word(heap.heads_address + 4 * k, 4)


def succ(heap: FreeListHeap, bp: int) -> int:
    """The next block on the same list: the free block's second payload word; 0 ends the list."""
    return heap.memory.read_word(bp + 4, 4)


def block_size(heap: FreeListHeap, bp: int) -> int:
    """The size in the block's header (a free block's header holds its size alone)."""
    return heap.memory.read_word(bp - 4, 4) & ~7


class ClassHeap(FreeListHeap):
    """A segregated FreeListHeap whose class bounds, size_class and find_fit may be the learner's."""

    accelerate = False  # its lists' table changes after construction: the readable path reads it

    def __init__(self, bounds=MEMLAB, *, size_class=None, find_fit=None, chunk: int = 1024, limit: int = 1 << 20):
        super().__init__(list="segregated", chunk=chunk, limit=limit)
        self.bounds, self.classes, self.heads_read = tuple(bounds), SIZE_CLASSES, []
        classify = size_class or (lambda size, b: bisect_left(b, size))
        ((bp, tag),) = [node for k in range(SIZE_CLASSES) for node in self.lists.nodes(k)]
        self._remove(bp, tag)  # relist the fresh heap's one block under the new classes
        self.lists._table = [0, 0] + [self._class(classify, s) for s in range(16, _TABLE_MAX + 1, 8)]
        self._insert(bp, tag)
        self.learner_find = find_fit
        if find_fit is not None:
            self._find = self._learner_find

    def class_of(self, size: int) -> int:
        """The list a block of ``size`` bytes hangs on, and where a request of ``size`` bytes starts."""
        return self.lists.class_of(size)

    def _class(self, classify, size: int) -> int:
        k = classify(size, self.bounds)
        if type(k) is not int or not 0 <= k <= len(self.bounds):
            raise Failed(f"size_class({size}, {self.bounds}) returned {k!r}; expected a class 0-{len(self.bounds)}")
        return k

    def _learner_find(self, asize: int) -> tuple[int, int]:
        bp = self.learner_find(self, asize) or 0
        if not bp:
            return 0, 0
        listed = {b for lst in self.lists.free_lists() for b in lst}
        if bp not in listed:
            raise Failed(f"find_fit(heap, {asize}) returned {bp!r}, which is on no free list")
        if block_size(self, bp) < asize:
            raise Failed(f"find_fit(heap, {asize}) returned {bp:#x}, a {block_size(self, bp)}-byte block: too small")
        return bp, block_size(self, bp)


def check_size_class(fns: dict) -> Cases:
    size_class, cases = fns["size_class"], Cases()

    def expect(sizes, bounds, why: str) -> None:
        for s in sizes:
            got, want = size_class(s, bounds), bisect_left(bounds, s)
            cases.expect(got == want, f"size_class({s}, {bounds}) gave {got!r}; expected {want}: {why}")

    small = (32, 64, 256)
    with cases.case("a size equal to a bound is in that bound's class", 1):
        expect((16, 24, 64, 8192), MEMLAB, "class k holds the sizes up to and including bounds[k]")
        expect((32, 64, 256), small, "class k holds the sizes up to and including bounds[k]")
    with cases.case("a size between two bounds is in the upper one's class", 1):
        expect((72, 136, 520, 4104, 200), MEMLAB, "the first bound at least as large as the size")
        expect((16, 40, 72, 248), small, "the first bound at least as large as the size")
    with cases.case("sizes above the last bound form one more class", 1):
        expect((8200, 1 << 20), MEMLAB, "above the last bound is class len(bounds)")
        expect((264, 4096), small, "above the last bound is class len(bounds)")
    with cases.case("in the heap: every free block hangs on its class's list", 1):
        heap = ClassHeap(small, size_class=size_class, chunk=2048, limit=1 << 13)
        p = [heap.alloc(n) for n in (20, 8, 56, 8, 200, 8, 24, 8, 400, 8, 40, 8)]
        for i in (0, 2, 4, 6, 8, 10):
            heap.free(p[i])
        for k, blocks in enumerate(heap.lists.free_lists()):
            for bp in blocks:
                size, want = block_size(heap, bp), bisect_left(small, block_size(heap, bp))
                cases.expect(
                    k == want,
                    f"the free block at {bp:#x} ({size} bytes) hangs on list {k} (head word at "
                    f"{heap.heads_address + 4 * k:#x}); with bounds {small} it belongs on list {want}",
                )
    return cases


SEPARATED = (72, 8, 112, 8, 96, 8, 40, 8, 304, 8)  # blocks of 80, 16, 120, 16, 104, 16, 48, 16, 312, 16
FREED = (4, 2, 0, 6, 8)  # list 7 (72-128 bytes) reads 80 -> 120 -> 104; 48 on list 4, 312 on list 9


def _holes(**fns) -> tuple[ClassHeap, dict[int, str]]:
    heap = ClassHeap(chunk=2048, **fns)
    p = [heap.alloc(n) for n in SEPARATED]
    for i in FREED:
        heap.free(p[i])
    names = {p[i]: f"the {block_size(heap, p[i])}-byte block at {p[i]:#x}" for i in FREED}
    rest = heap.lists.free_lists()[11][0]  # what is left of the chunk: 1304 bytes, on list 11 (1032-2048)
    names[rest] = f"the {block_size(heap, rest)}-byte rest of the heap at {rest:#x}"
    return heap, names


def check_find_fit(fns: dict) -> Cases:
    find_fit, cases = fns["find_fit"], Cases()
    heap, names = _holes()
    by_size = {block_size(heap, bp): bp for bp in names}

    def expect(asize: int, want: int, why: str) -> None:
        got = find_fit(heap, asize)
        said = names.get(got, f"{got:#x}" if got else "0") if type(got) is int else repr(got)
        cases.expect(got == want, f"find_fit(heap, {asize}) gave {said}; expected {names.get(want, 0)}: {why}")

    with cases.case("the request's own class, its first block", 1):
        expect(48, by_size[48], "list 4 (48 bytes) holds exactly one block")
    with cases.case("first fit inside a class, not best fit", 1):
        expect(96, by_size[120], "list 7 reads 80 -> 120 -> 104: the 120-byte block is the first that fits")
    with cases.case("an empty class: move on to the next non-empty one", 1):
        expect(56, by_size[80], "lists 5 and 6 are empty; list 7's first block, 80 bytes, fits")
    with cases.case("no block of the class fits: search the larger classes", 1):
        expect(128, by_size[312], "list 7's blocks (80, 120, 104) are all too small; list 9 holds 312 bytes")
    with cases.case("nothing fits anywhere: return 0", 1):
        expect(4096, 0, "the largest free block has 1304 bytes; return 0 and the heap grows")
    with cases.case("the search starts at the request's class", 1):
        heap.heads_read.clear()
        find_fit(heap, 600)
        low = sorted({k for k in heap.heads_read if k < 10})
        cases.expect(
            not low,
            f"find_fit(heap, 600) read the heads of lists {low}: they hold blocks of "
            f"at most {MEMLAB[9]} bytes, too small for 600; start at list 10 (520-1024)",
        )
    with cases.case("in the heap: 80 operations, same blocks as memlab's", 1):
        mine, real = ClassHeap(find_fit=find_fit), ClassHeap()
        for h in (mine, real):
            live = []
            for i in range(80):
                live.append(h.alloc(1 + (i * 53) % 300)) if i % 3 != 2 else h.free(live.pop((i * 7) % len(live)))
            h.check()
        for a, b in zip(mine.layout(), real.layout()):
            cases.expect(
                (a.address, a.size, a.state) == (b.address, b.size, b.state),
                f"after 80 operations the first difference is at {b.address:#x}: yours has a {a.size}-byte "
                f"{a.state} block at {a.address:#x}, memlab's a {b.size}-byte {b.state} one",
            )
    return cases


def measure(bounds, kind: str = "binary", seed: int = 1, ops: int = 3000) -> tuple[float, float]:
    """Replay a seeded trace through a ClassHeap with ``bounds``: (utilization, blocks examined per search)."""
    from ...traces.generators import generate
    from ...traces.replay import replay

    heap = ClassHeap(bounds, chunk=4096, limit=1 << 24)
    result = replay(generate(kind, ops=ops, seed=seed), heap, progress=False)
    return result.utilization, heap.search_stats()["per_search"]


def valid(bounds) -> str:
    """Why ``bounds`` cannot be a heap's classes ("" if it can)."""
    if not isinstance(bounds, (tuple, list)) or not 1 <= len(bounds) <= 14:
        return f"{bounds!r} is not a tuple of 1 to 14 bounds (the heap has 15 list heads)"
    if any(type(b) is not int or b % 8 or not 16 <= b <= 8192 for b in bounds):
        return f"{tuple(bounds)}: every bound is a block size, a multiple of 8 from 16 to 8192"
    if any(a >= b for a, b in zip(bounds, bounds[1:])):
        return f"{tuple(bounds)}: the bounds must rise strictly"
    return ""


def check_choose_bounds(fns: dict, seeds=(1,)) -> Cases:
    choose, cases = fns["choose_bounds"], Cases()
    with cases.case("valid bounds", 1):
        cases.expect(not valid(choose()), valid(choose()))
    with cases.case("binary: at most 2 blocks examined per search", 2):
        bounds = choose()
        cases.expect(not valid(bounds), "the bounds are not valid (see above)")
        for seed in seeds:
            (_, examined), (_, before) = measure(tuple(bounds), "binary", seed), measure(MEMLAB, "binary", seed)
            hole, want = bisect_left(bounds, 416), bisect_left(bounds, 480)
            cases.expect(
                examined <= 2,
                f"binary (seed {seed}) examined {examined:.1f} blocks per search (memlab's "
                f"classes: {before:.0f}); its freed 416-byte blocks sit in class {hole}, where the 480-byte "
                f"requests start{' too' if hole == want else ''}",
            )
    with cases.case("random, ramp, phases, peaks: as good as memlab's classes", 1):
        bounds = choose()
        cases.expect(not valid(bounds), "the bounds are not valid (see above)")
        for kind in ("random", "ramp", "phases", "peaks"):
            (u, e), (u0, e0) = measure(tuple(bounds), kind), measure(MEMLAB, kind)
            cases.expect(
                u >= u0 - 0.02 and e <= e0 + 1,
                f"{kind}: utilization {u:.1%}, {e:.1f} examined per "
                f"search; memlab's classes: {u0:.1%}, {e0:.1f} (allowed: 2 points less, 1 block more)",
            )
    return cases


def demo(size_class, find_fit):
    """The notebook's scene with your size_class and find_fit: holes on five lists, four searches."""
    from ...demos.segregated import FREED as HOLES
    from ...demos.segregated import REQUESTS, SETUP
    from ...viz.tags import tags_view
    from ...widgets.player import Player

    heap = ClassHeap(size_class=size_class, find_fit=find_fit)
    with heap.record() as rec:
        held = [heap.alloc(n) for n in SETUP]
        for i in HOLES:
            heap.free(held[i])
        for n in REQUESTS:
            heap.alloc(n)
    return Player(rec.recording, tags_view(rec.recording, free_only=True), title="Your size_class and find_fit")


EXERCISE = Exercise(
    "05_segregated_fits",
    "Segregated fits: size classes and their search",
    (
        Question("size_class", "which list a block belongs on", ("size_class",), 4, check_size_class),
        Question("find_fit", "first fit from the request's class up", ("find_fit",), 7, check_find_fit),
        Question("choose_bounds", "size classes for the binary trace", ("choose_bounds",), 4, check_choose_bounds),
    ),
)
