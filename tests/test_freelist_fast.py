"""The free-list heap's fast path (freelist_fast) leaves exactly the bytes the readable path leaves.

A heap takes the readable path while someone records, so the same seeded program run on a heap
nobody records and on a recorded one must end with the same memory, layout, statistics and
search counts, and must raise the same errors."""

import contextlib
import random

import pytest

import memlab
from memlab.allocators.freelist import FreeListHeap

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


def outcome(heap, failures):
    start, end = heap.extent()
    return heap.layout(), heap.memory.read(start, end - start), heap.stats(), heap.search_stats(), failures


@pytest.mark.parametrize("options", FAST, ids=lambda o: "-".join(map(str, o.values())))
def test_fast_and_readable_paths_leave_the_same_bytes(options):
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


def test_recording_midway_switches_paths_and_back():
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


def test_search_counts_add_up_across_both_paths():
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
