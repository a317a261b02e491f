"""Exercise 20: pymalloc's size classes, pools, and where the next block comes from (CPython 3.11's obmalloc).

The learner writes ``size_class(nbytes)`` (the class index of a request, or None when pymalloc
does not serve it), ``blocks_per_pool(pool_size, szidx)`` (``NUMBLOCKS``) and
``next_block(heap, nbytes)``: the address the next ``heap.alloc(nbytes)`` of memlab's
:class:`~memlab.allocators.pymalloc.PyMalloc` will return, read from ``usedpools``, the pool
headers and ``usable_arenas`` without changing anything. The checks compare with what memlab's
pymalloc does.
"""

from __future__ import annotations

from ...allocators.pymalloc import POOL_OVERHEAD, PyMalloc, size_class
from ...errors import MemlabError
from ...events import Note
from ..questions import Cases, Exercise, Failed, Question

SMALL = {"arena_size": 64 << 10, "pool_size": 4096}


def _hex(value) -> str:
    return f"{value:#x}" if isinstance(value, int) and not isinstance(value, bool) else repr(value)


def check_size_class(fns: dict) -> Cases:
    learner, cases = fns["size_class"], Cases()

    def expect(nbytes: int, why: str) -> None:
        want = size_class(nbytes) if 0 < nbytes <= 512 else None
        got = learner(nbytes)
        if got is not None and want is not None and got == want + 1 and learner(1) == 1:
            why = "class numbers start at 0 (the 16-byte class): (nbytes - 1) >> 4"
        cases.expect(got == want, f"size_class({nbytes}) gave {got!r}; expected {want!r}: {why}")

    with cases.case("requests up to 512 bytes: 16-byte classes, numbered from 0", 1):
        for nbytes, why in (
            (16, "16 bytes fit the 16-byte class exactly: (nbytes - 1) >> 4, not nbytes >> 4"),
            (1, "the smallest class holds 1 to 16 bytes"),
            (17, "17 bytes need the 32-byte class"),
            (32, "32 bytes fit the 32-byte class exactly"),
            (100, "100 bytes round up to 112, class 6"),
            (512, "512 bytes are the last class, 31"),
        ):
            expect(nbytes, why)
    with cases.case("over 512 bytes, and 0 bytes: not pymalloc's (None)", 1):
        for nbytes in (513, 4096, 0):
            expect(nbytes, "CPython passes requests over 512 bytes, and of 0 bytes, to malloc")
    return cases


def check_blocks_per_pool(fns: dict) -> Cases:
    learner, cases = fns["blocks_per_pool"], Cases()

    def expect(pool_size: int, szidx: int) -> None:
        size = (szidx + 1) * 16
        want = (pool_size - POOL_OVERHEAD) // size
        got = learner(pool_size, szidx)
        hint = ""
        if got == pool_size // size:
            hint = ": the pool's first 48 bytes are its header, not blocks"
        elif got == (pool_size - POOL_OVERHEAD) / size:
            hint = ": a part of a block does not count (integer division)"
        cases.expect(
            got == want,
            f"blocks_per_pool({pool_size}, {szidx}) gave {got!r}; expected {want} {size}-byte blocks{hint}",
        )

    with cases.case("16 KiB pools (CPython 3.10 to 3.13)", 1):
        for szidx in (0, 7, 31):
            expect(16 << 10, szidx)
    with cases.case("4 KiB pools (CPython 3.9 and earlier)", 1):
        for szidx in (0, 20, 31):
            expect(4 << 10, szidx)
    return cases


def _predict(cases: Cases, learner, heap: PyMalloc, nbytes: int, hints: dict[int, str]) -> None:
    """Ask the learner, make sure nothing changed, allocate, compare."""
    before = heap.mallocstats()
    got = learner(heap, nbytes)
    try:
        heap.check()
    except MemlabError as e:
        raise Failed(f"next_block changed the heap ({e}): read usedpools, the headers and usable_arenas only") from None
    if heap.mallocstats() != before:
        raise Failed("next_block changed the heap: read usedpools, the pool headers and usable_arenas only")
    want = heap.alloc(nbytes)
    hint = hints.get(got, "") if isinstance(got, int) else ""
    said = f"next_block(heap, {nbytes}) gave {_hex(got)}; heap.alloc({nbytes}) returned {want:#x}"
    cases.expect(got == want, said + hint)


def check_next_block(fns: dict) -> Cases:
    learner, cases = fns["next_block"], Cases()
    with cases.case("a class with a pool in usedpools: the head of that pool's free list", 1):
        heap = PyMalloc(**SMALL)
        blocks = [heap.alloc(100) for _ in range(4)]
        heap.free(blocks[1])
        _predict(cases, learner, heap, 100, {blocks[3] + 112: ": the block freed last comes first (freeblock)"})
        _predict(cases, learner, heap, 97, {})
    with cases.case("two pools in usedpools: the head of the list, not its tail", 1):
        heap = PyMalloc(**SMALL)
        blocks = [heap.alloc(480) for _ in range(9)]  # 8 fill the first pool; the 9th is in a second one
        heap.free(blocks[3])  # the full pool returns to the front of usedpools
        tail = heap.used_list(29)[-1]
        hints = {heap.header(tail)["freeblock"]: ": that is the last pool's block; a request takes the first pool's"}
        _predict(cases, learner, heap, 480, hints)
    with cases.case("no pool of the class: an empty pool from the arena's freepools comes first", 1):
        heap = PyMalloc(**SMALL)
        keep = heap.alloc(200)
        for a in [heap.alloc(30) for _ in range(3)]:
            heap.free(a)  # the 32-byte pool is empty: on the arena's freepools
        empty = heap.freepools(heap.arenas[0])[0]
        carve = heap.arenas[0].pool_address
        hints = {
            carve + POOL_OVERHEAD: ": a new pool is carved only when the arena's freepools is empty",
            empty: ": the first block of a pool starts after its 48-byte header",
        }
        _predict(cases, learner, heap, 64, hints)
        heap.free(keep)
    with cases.case("an empty pool that held this size before keeps its free list", 1):
        heap = PyMalloc(**SMALL)
        blocks = [heap.alloc(50) for _ in range(3)]
        for a in (blocks[0], blocks[2], blocks[1]):
            heap.free(a)  # emptied: the last block freed heads its free list
        hints = {blocks[0]: ": the pool kept its free list, whose head is the block freed last"}
        _predict(cases, learner, heap, 60, hints)
    with cases.case("a new pool comes from the fullest usable arena, the head of usable_arenas", 1):
        heap = PyMalloc(**SMALL)
        objs = [heap.alloc(512) for _ in range(7 * 16)]  # arena 0: all 16 pools full
        more = [heap.alloc(512) for _ in range(7 * 3)]  # arena 1: three pools
        for a in objs[:7]:
            heap.free(a)  # one pool of arena 0 is empty: arena 0 has the fewest free pools
        first, last = heap.usable_list()[0], heap.usable_list()[-1]
        hints = {
            last.pool_address + POOL_OVERHEAD: ": new pools come from the head of usable_arenas, the fullest arena",
            first.freepools: ": the first block of a pool starts after its 48-byte header",
        }
        _predict(cases, learner, heap, 300, hints)
        del more
    return cases


def demo(next_block):
    """The lecture demo's program, your prediction before every allocation, and pymalloc's answer."""
    from ...demos import pymalloc as pymalloc_demo
    from ...viz import pymalloc_view
    from ...widgets import Player

    heap = PyMalloc(**SMALL)
    real_alloc = heap.alloc

    def alloc(size: int, align: int | None = None) -> int:
        guess, mapped = next_block(heap, size), heap.ntimes_arena_allocated
        address = real_alloc(size, align)
        if guess is None and heap.ntimes_arena_allocated > mapped:
            verdict = "right: a new arena, where the OS put it"
        else:
            verdict = "right" if guess == address else f"wrong: you said {_hex(guess)}"
        heap._emit(Note(heap.step, f"you predicted the {size}-byte block at {address:#x}: {verdict}"))
        return address

    heap.alloc = alloc
    with heap.record() as rec:
        pymalloc_demo.scenario(heap)
    return Player(rec.recording, pymalloc_view(), title="Your predictions, step by step")


EXERCISE = Exercise(
    "20_pymalloc",
    "pymalloc: size classes, pools and the next block",
    (
        Question("size_class", "the size class of a request", ("size_class",), 2, check_size_class),
        Question("blocks_per_pool", "how many blocks a pool holds", ("blocks_per_pool",), 2, check_blocks_per_pool),
        Question("next_block", "where the next block comes from", ("next_block",), 5, check_next_block),
    ),
)
