"""The free-list heap's fast path (freelist_fast) leaves exactly the bytes the readable path leaves.

A heap takes the readable path while someone records, so the same seeded program run on a heap
nobody records and on a recorded one must end with the same memory, layout, statistics and
search counts, and must raise the same errors."""

import contextlib
import gc
import random
import weakref

import pytest

import memlab
from memlab.allocators.freelist import fast as freelist_fast
from memlab.allocators.freelist.heap import FreeListHeap

FAST = [
    {"list": kind, "order": order, "chunk": chunk}
    for kind in ("explicit", "segregated")
    for order in ("lifo", "address")
    for chunk in (256, 4096)
]


def program(heap, seed: int, ops: int = 3000) -> list[str]:
    """Seeded allocs (small and large), frees in any order and reallocs; returns what failed."""
    rng, held, failures = random.Random(seed), [], []
    for _ in range(ops):
        roll = rng.random()
        try:
            if roll < 0.5 or not held:
                size = rng.choice((rng.randint(1, 64), rng.randint(1, 600), rng.randint(600, 9000)))
                held.append(heap.alloc(size))
            elif roll < 0.9:
                heap.free(held.pop(rng.randrange(len(held))))
            else:
                i = rng.randrange(len(held))
                held[i] = heap.realloc(held[i], rng.randint(1, 3000))
        except memlab.MemlabError as e:
            failures.append(f"{type(e).__name__}: {e}")
    return failures


@pytest.fixture(params=["python", "c"])
def implementation(request, monkeypatch):
    """Run the test on the Python fast path and, where it was built, on the C one."""
    if request.param == "python":
        monkeypatch.setattr(freelist_fast, "COMPILED", None)
    elif freelist_fast.COMPILED is None:
        pytest.skip("the C fast path was not built here (no C compiler when memlab was installed)")
    return request.param


def outcome(heap, failures):
    start, end = heap.extent()
    return heap.layout(), heap.memory.read(start, end - start), heap.stats(), heap.search_stats(), failures


@pytest.mark.parametrize("options", FAST, ids=lambda o: "-".join(map(str, o.values())))
def test_fast_and_readable_paths_leave_the_same_bytes(options, implementation):
    fast = FreeListHeap(limit=96 << 10, **options)
    readable = FreeListHeap(limit=96 << 10, **options)
    assert "_alloc" in vars(fast)  # the fast path is installed for these options
    with readable.record(snapshots=False) as rec:
        readable_failures = program(readable, seed=11)
    fast_failures = program(fast, seed=11)
    assert any("OutOfMemory" in f for f in fast_failures)  # the heap filled up on the way
    assert outcome(fast, fast_failures) == outcome(readable, readable_failures)
    assert len(rec.recording) > 1000
    fast.check()


def test_recording_midway_switches_paths_and_back(implementation):
    heap = memlab.allocator("freelist", list="segregated", chunk=512)
    a, b, c = heap.alloc(40), heap.alloc(100), heap.alloc(40)
    with heap.record() as rec:
        heap.free(b)
        heap.free(a)  # merges with b: case 2
    steps = [(type(e).__name__, getattr(e, "case", None)) for e in rec.recording.events]
    assert steps == [("Free", None), ("Coalesce", 1), ("Free", None), ("Coalesce", 2)]
    heap.free(c)  # nobody records: the fast path merges all three with the free rest
    heap.check()
    assert heap.reclaimed()


def test_search_counts_add_up_across_both_paths(implementation):
    """The fast path keeps its own counts; search_stats() adds them to the readable path's."""
    sizes = random.Random(5).choices(range(1, 700), k=400)
    outcomes = []
    for recorded in (range(400), range(200)):  # every step recorded; only the first half
        heap = memlab.allocator("freelist", list="segregated", chunk=512)
        held = []
        for n, size in enumerate(sizes):
            with heap.record(snapshots=False) if n in recorded else contextlib.nullcontext():
                held.append(heap.alloc(size))
                if n % 3 == 2:
                    heap.free(held.pop(n % len(held)))
        start, end = heap.extent()
        outcomes.append((heap.search_stats(), heap.memory.read(start, end - start)))
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][0]["searches"] == 400  # one search per alloc, counted once


def test_the_fast_path_is_not_used_where_it_does_not_apply():
    for options in ({"list": "implicit"}, {"list": "segregated", "fit": "best"}, {"coalesce": "deferred"}):
        assert "_alloc" not in vars(memlab.allocator("freelist", **options))


def test_the_c_path_is_the_one_installed_where_it_was_built():
    heap = memlab.allocator("freelist", list="segregated")
    compiled = freelist_fast.COMPILED is not None
    assert (type(heap._alloc).__name__ == "builtin_function_or_method") == compiled


def corrupt_then_step(seed: int) -> tuple:
    """A heap after a seeded program, one tag the next step reads poked, then that step."""
    rng = random.Random(seed)
    heap = FreeListHeap(list=rng.choice(("explicit", "segregated")), order=rng.choice(("lifo", "address")), chunk=512)
    held = [heap.alloc(rng.randint(1, 300)) for _ in range(12)]
    for bp in rng.sample(held, 6):
        heap.free(bp)
        held.remove(bp)
    start, end = heap.extent()
    freeing = rng.choice(held) if rng.random() < 0.5 else None
    if freeing:  # its header, its left neighbour's footer or its right neighbour's header
        size = heap.memory.read_word(freeing - 4, 4) & ~7
        tag = rng.choice((freeing - 4, freeing - 8, freeing + size - 4))
    else:  # the header of a free block a search will read
        tag = rng.choice([b.address for b in heap.layout() if b.state == "free"])
    value = rng.choice((0, 1, 8, 0xFFFFFFF0, 0xFFFFFFFF, rng.randrange(16, 1 << 12, 8), rng.randrange(start, end)))
    heap.memory.write_word(tag, value, 4)
    try:
        result = heap.free(freeing) if freeing else heap.alloc(rng.randint(1, 400))
    except memlab.MemlabError as e:
        result = f"{type(e).__name__}: {e}"
    return result, heap.memory.read(start, end - start), heap.search_stats()


def test_c_and_python_fast_paths_fail_alike_on_corrupt_tags(monkeypatch):
    """A poked tag sends both paths down the same reads and writes to the same error, or none."""
    if freelist_fast.COMPILED is None:
        pytest.skip("the C fast path was not built here (no C compiler when memlab was installed)")
    c = [corrupt_then_step(seed) for seed in range(300)]
    monkeypatch.setattr(freelist_fast, "COMPILED", None)
    python = [corrupt_then_step(seed) for seed in range(300)]
    assert c == python
    assert sum(isinstance(r, str) and "corrupt boundary tag" in r for r, _, _ in c) > 20, "many seeds trip"


def test_a_heap_with_the_fast_path_is_collected(implementation):
    heap = memlab.allocator("freelist", list="segregated")
    heap.free(heap.alloc(100))
    ref = weakref.ref(heap)
    del heap
    gc.collect()
    assert ref() is None, "the fast path and its heap refer to each other, and the collector frees both"
