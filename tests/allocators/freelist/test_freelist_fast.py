"""The accelerator (fast.py and _fast.c) leaves exactly what the readable path leaves, for every option.

The readable path is heap.py and lists.py as written: what a heap runs while someone records, and
what a subclass with ``accelerate = False`` always runs. The same seeded program, run on it and on
the accelerated heap (in C, and in Python where no compiler built C), must end with the same
memory, layout, statistics, search counts and rovers, and raise the same errors after the same
writes, on healthy heaps and on heaps with a corrupt tag, a free list bent into a cycle or a free
block of size 0. In C the implicit list's searches are answered by an index; ``fast.VERIFY``
makes the C path check every such answer against the walk the readable path makes.
"""

import contextlib
import gc
import itertools
import os
import random
import subprocess
import sys
import textwrap
import weakref

import pytest

import memlab
from memlab.allocators.freelist import fast
from memlab.allocators.freelist.heap import FreeListHeap
from memlab.grading.checks.boundary_tags import ExerciseHeap
from memlab.grading.checks.e05_segregated_fits import ClassHeap

LISTS = (
    ("implicit", None),
    ("explicit", "lifo"),
    ("explicit", "address"),
    ("segregated", "lifo"),
    ("segregated", "address"),
)
FITS = ("first", "next", "best", "worst")
TAGS = (("all", "immediate"), ("free", "immediate"), ("all", "deferred"))  # footers=free needs immediate coalescing
VARIANTS = [
    {"list": kind, "order": order, "fit": fit, "place": place, "grow": grow, "footers": footers, "coalesce": coalesce}
    for (kind, order), fit, place, grow, (footers, coalesce) in itertools.product(
        LISTS, FITS, ("front", "back", "by-size"), ("chunk", "top-up"), TAGS
    )
]


def name(options: dict) -> str:
    return ",".join(f"{k}={v}" for k, v in options.items() if v is not None)


class Readable(FreeListHeap):
    """The heap as heap.py and lists.py are written, with no accelerator."""

    accelerate = False


@pytest.fixture(autouse=True)
def verify(monkeypatch):
    monkeypatch.setattr(fast, "VERIFY", True)


@pytest.fixture(params=["c", "python"])
def path(request, monkeypatch):
    """The accelerator in C (where it was built) or in Python (as where no C compiler was)."""
    if request.param == "python":
        monkeypatch.setattr(fast, "COMPILED", None)
    elif fast.COMPILED is None:
        pytest.skip("the C accelerator was not built here (no C compiler when memlab was installed)")
    return request.param


STEPS = {"_alloc", "_free", "_after_free", "_resize", "coalesce_all", "_find"}


def accelerated(options: dict, path: str) -> set[str]:
    """The steps the accelerator takes over: in C all of them; in Python the implicit list's search,
    and for linked lists with first fit, mm.c's own tags and placement, alloc and free."""
    if path == "c":
        return {"_alloc", "_free", "_after_free", "_resize", "coalesce_all"}
    if options.get("list", "implicit") == "implicit":
        return {"_find"}
    mm_c = {"place": "front", "footers": "all", "coalesce": "immediate"}
    if options.get("fit", "first") == "first" and all(options.get(k, v) == v for k, v in mm_c.items()):
        return {"_alloc", "_free", "_after_free"}
    return set()


def steps_taken_over(heap) -> set[str]:
    return STEPS & {name for name in vars(heap) if name != "_find" or vars(heap)[name] != heap.lists.find}


def program(heap, seed: int, ops: int) -> list[str]:
    """Seeded allocs (small and large), frees in any order, reallocs and payload writes; what failed."""
    rng, held, failures = random.Random(seed), [], []
    for _ in range(ops):
        roll = rng.random()
        try:
            if roll < 0.5 or not held:
                held.append(heap.alloc(rng.choice((rng.randint(1, 64), rng.randint(1, 600), rng.randint(600, 5000)))))
            elif roll < 0.85:
                heap.free(held.pop(rng.randrange(len(held))))
            elif roll < 0.95:
                i = rng.randrange(len(held))
                held[i] = heap.realloc(held[i], rng.randint(1, 3000))
            else:  # a write into a payload leaves every tag as it was
                heap.memory.write(rng.choice(held), b"payload!")
        except memlab.MemlabError as e:
            failures.append(f"{type(e).__name__}: {e}")
    return failures


def outcome(heap, failures) -> tuple:
    start, end = heap.extent()
    memory = heap.memory.read(start, end - start)
    return heap.layout(), memory, heap.stats(), heap.search_stats(), list(heap.lists.rovers), failures


def run(cls, options: dict, seed: int, ops: int = 160, **kw) -> tuple:
    heap = cls(limit=48 << 10, chunk=512, **options, **kw)
    return outcome(heap, program(heap, seed, ops))


@pytest.mark.parametrize("options", VARIANTS, ids=name)
def test_every_option_leaves_what_the_readable_path_leaves(options, path):
    assert steps_taken_over(FreeListHeap(**options)) == accelerated(options, path)
    seed = VARIANTS.index(options)
    assert run(FreeListHeap, options, seed) == run(Readable, options, seed)


def test_the_programs_fill_the_heap_and_fail_too():
    """The equivalence above covers full heaps: the programs run out of memory on the way."""
    failures = run(Readable, VARIANTS[0], seed=0, ops=400)[-1]
    assert any("OutOfMemory" in f for f in failures)


@pytest.mark.parametrize("options", [{}, {"list": "segregated"}, {"fit": "best", "grow": "top-up"}], ids=name)
def test_a_long_program_on_a_larger_heap_too(options, path):
    heap, readable = FreeListHeap(limit=1 << 20, **options), Readable(limit=1 << 20, **options)
    assert outcome(heap, program(heap, 5, 3000)) == outcome(readable, program(readable, 5, 3000))
    assert heap.search_stats()["searches"] > 1000


def test_recording_midway_switches_paths_and_back(path):
    heap = memlab.allocator("freelist", list="segregated", chunk=512)
    a, b, c = heap.alloc(40), heap.alloc(100), heap.alloc(40)
    with heap.record() as rec:
        heap.free(b)
        heap.free(a)  # merges with b: case 2
    steps = [(type(e).__name__, getattr(e, "case", None)) for e in rec.recording.events]
    assert steps == [("Free", None), ("Coalesce", 1), ("Free", None), ("Coalesce", 2)]
    heap.free(c)  # nobody records: the accelerator merges all three with the free rest
    heap.check()
    assert heap.reclaimed()


@pytest.mark.parametrize("options", [{}, {"fit": "next"}, {"list": "segregated"}], ids=name)
def test_search_counts_add_up_across_both_paths(options, path):
    """The accelerator keeps its own counts; search_stats() adds them to the readable path's."""
    sizes = random.Random(5).choices(range(1, 700), k=300)
    outcomes = []
    for recorded in (range(300), range(150)):  # every step recorded; only the first half
        heap = memlab.allocator("freelist", chunk=512, **options)
        held = []
        for n, size in enumerate(sizes):
            with heap.record(snapshots=False) if n in recorded else contextlib.nullcontext():
                held.append(heap.alloc(size))
                if n % 3 == 2:
                    heap.free(held.pop(n % len(held)))
        start, end = heap.extent()
        outcomes.append((heap.search_stats(), heap.memory.read(start, end - start), heap.lists.rovers))
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][0]["searches"] == 300  # one search per alloc, counted once


def test_a_subclass_that_changes_a_step_keeps_the_readable_path(path):
    # the exercises' heaps replace place, coalesce or find_fit, or the segregated lists' classes
    assert steps_taken_over(FreeListHeap()) == accelerated({}, path)
    assert steps_taken_over(ExerciseHeap()) == set()
    assert steps_taken_over(ExerciseHeap(find_fit=lambda heap, asize: 0)) == {"_find"}  # the learner's search
    assert steps_taken_over(ClassHeap()) == set()


def test_the_c_path_is_the_one_installed_where_it_was_built():
    heap = memlab.allocator("freelist")
    assert (type(heap._alloc).__name__ == "builtin_function_or_method") == (fast.COMPILED is not None)


@pytest.mark.skipif(fast.COMPILED is None, reason="the C accelerator was not built here")
def test_the_implicit_list_index_is_used_and_rebuilt_after_a_tag_changes():
    """The index answers while the tags are the accelerator's own; a poked tag turns it off, exactly."""
    heap, readable = FreeListHeap(fit="best", chunk=512), Readable(fit="best", chunk=512)
    engine = heap._alloc.__self__
    for h in (heap, readable):
        program(h, 3, 120)
    assert engine.indexed, "a healthy heap's searches use the index"
    for h in (heap, readable):  # the first block's header now says 8 bytes: check() would object
        h.memory.write_word(h.first_bp - 4, 8 | 1, 4)
    assert outcome(heap, program(heap, 4, 40)) == outcome(readable, program(readable, 4, 40))
    assert not engine.indexed, "a heap whose tags are not sound is walked, not indexed"


def corrupt_then_steps(cls, options: dict, seed: int) -> tuple:
    """A heap after a seeded program, one word the next steps read poked, then up to four steps."""
    rng = random.Random(seed)
    heap = cls(limit=48 << 10, chunk=512, **options)
    held = [heap.alloc(rng.randint(1, 300)) for _ in range(12)]
    for bp in rng.sample(held, 6):
        heap.free(bp)
        held.remove(bp)
    start, end = heap.extent()
    blocks = heap.layout()
    words = [b.address for b in blocks] + [b.end - 4 for b in blocks]  # headers and footers
    words += [b.address + k for b in blocks if b.state == "free" for k in (4, 8)]  # free blocks' links
    value = rng.choice((0, 1, 2, 8, 0xFFFFFFF0, 0xFFFFFFFF, rng.randrange(16, 1 << 12, 8), rng.randrange(start, end)))
    heap.memory.write_word(rng.choice(words), value, 4)
    results = []
    for _ in range(4):
        try:
            roll = rng.random()
            if roll < 0.4 and held:
                heap.free(held.pop(rng.randrange(len(held))))
                results.append("freed")
            elif roll < 0.55 and held:
                i = rng.randrange(len(held))
                held[i] = heap.realloc(held[i], rng.randint(1, 900))
                results.append(held[i])
            else:
                held.append(heap.alloc(rng.randint(1, 900)))
                results.append(held[-1])
        except memlab.MemlabError as e:
            results.append(f"{type(e).__name__}: {e}")
            break
    return results, heap.memory.read(start, end - start), heap.stats(), heap.search_stats(), heap.lists.rovers


@pytest.mark.parametrize("kind", LISTS, ids=lambda k: "-".join(filter(None, k)))
def test_a_corrupt_tag_fails_alike_on_every_path(kind, path):
    """A poked tag sends every path down the same reads and writes to the same error, or none."""
    options = [v for v in VARIANTS if (v["list"], v["order"]) == kind]
    trips = 0
    for seed, variant in enumerate(options * 2):
        readable = corrupt_then_steps(Readable, variant, seed)
        assert corrupt_then_steps(FreeListHeap, variant, seed) == readable, (name(variant), seed)
        trips += any("corrupt boundary tag" in str(r) for r in readable[0])
    assert trips > len(options) // 10, "many of the pokes trip a check"


def bent_into_a_cycle(cls, options: dict):
    """A heap whose only free blocks, four of 72 bytes on one list, link round in a cycle."""
    heap = cls(chunk=1024, **options)
    blocks = [heap.alloc(64) for _ in range(8)]
    heap.alloc(440)  # the rest of the chunk: no other free block
    for bp in blocks[::2]:
        heap.free(bp)
    heap.free(heap.alloc(64))  # next fit: the rover now rests on the list
    (chain,) = [chain for chain in heap.lists.free_lists() if chain]
    heap.memory.write_word(chain[-1] + 4, chain[0], 4)  # the last block's succ: back to the first
    return heap


@pytest.mark.parametrize("fit", FITS)
@pytest.mark.parametrize("kind", LISTS[1:], ids=lambda k: "-".join(k))
def test_a_search_that_meets_a_cycle_stops_and_names_it(kind, fit, path):
    options = {"list": kind[0], "order": kind[1], "fit": fit}
    outcomes = []
    for cls in (Readable, FreeListHeap):
        heap = bent_into_a_cycle(cls, options)
        with pytest.raises(memlab.HeapCorruption, match=r"reaches 0x[0-9a-f]+ twice: its links form a cycle") as e:
            heap.alloc(112)  # 120 bytes, in the 72-byte blocks' class: none fits, and the walk goes round
        start, end = heap.extent()
        outcomes.append((str(e.value), heap.memory.read(start, end - start), heap.search_stats()))
    assert outcomes[0] == outcomes[1]


@pytest.mark.parametrize("kind", ["explicit", "segregated"])
def test_an_address_ordered_insert_that_meets_a_cycle_stops_too(kind, path):
    outcomes = []
    for cls in (Readable, FreeListHeap):
        heap = cls(list=kind, order="address", chunk=1024)
        blocks = [heap.alloc(16) for _ in range(8)]
        for bp in blocks[:6:2]:
            heap.free(bp)
        heap.memory.write_word(blocks[4] + 4, blocks[0], 4)  # the last small block links back to the first
        with pytest.raises(memlab.HeapCorruption, match="twice: its links form a cycle") as e:
            heap.free(blocks[6])  # listed in address order: after all three, so its walk goes round
        start, end = heap.extent()
        outcomes.append((str(e.value), heap.memory.read(start, end - start), heap.stats()))
    assert outcomes[0] == outcomes[1]


@pytest.mark.parametrize("options", [{}, {"fit": "best"}, {"fit": "next"}, {"coalesce": "deferred"}], ids=name)
def test_an_implicit_walk_stops_at_a_free_block_of_size_0(options, path):
    outcomes = []
    for cls in (Readable, FreeListHeap):
        heap = cls(chunk=512, **options)
        a, _ = heap.alloc(100), heap.alloc(100)
        heap.free(a)
        heap.memory.write_word(a - 4, 0, 4)  # a free block of 0 bytes: a walk would never move on
        with pytest.raises(memlab.HeapCorruption, match="a free block of 0 bytes: a walk cannot step past it") as e:
            heap.alloc(600)
        outcomes.append((str(e.value), heap.search_stats()))
    assert outcomes[0] == outcomes[1]


def test_topping_up_stops_at_a_free_footer_of_size_0(path):
    outcomes = []
    for cls in (Readable, FreeListHeap):
        heap = cls(chunk=512, grow="top-up")
        heap.alloc(100)
        end = heap.os.brk_address - 4  # the epilogue; the free rest of the chunk lies below it
        heap.memory.write_word(end - 4, 0, 4)  # its footer says 0 bytes
        with pytest.raises(memlab.HeapCorruption, match="a free block of 0 bytes") as e:
            heap.alloc(2000)  # nothing fits: growing asks how much free space ends the heap
        outcomes.append(str(e.value))
    assert outcomes[0] == outcomes[1]


CTRL_C = textwrap.dedent(
    """
    import signal
    from memlab.allocators.freelist import FreeListHeap

    heap = FreeListHeap(list="explicit", chunk=1024)
    blocks = [heap.alloc(16) for _ in range(4)]
    heap.free(blocks[0])
    heap.free(blocks[2])  # the list: blocks[2], blocks[0], the rest of the chunk
    heap.memory.write_word(blocks[0] + 4, blocks[2], 4)  # blocks[0] links back: a cycle of two
    heap.os.brk_address = 1 << 32  # as if the heap were 4 GiB: the walk may read 2**28 blocks
    # Ctrl-C's own handler, on a timer that fires 5 ms into the walk (2**28 reads take far longer):
    # a signal sent from outside could arrive only after the walk, on a busy machine
    signal.signal(signal.SIGALRM, signal.default_int_handler)
    print("walking", flush=True)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.005)
        heap.alloc(2000)
        print("finished")
    except KeyboardInterrupt:
        print("interrupted after", heap.search_stats()["searches"] - 4, "new search")
    except Exception as e:
        print(type(e).__name__, e)
    """
)


@pytest.mark.skipif(fast.COMPILED is None, reason="the C accelerator was not built here")
def test_ctrl_c_interrupts_a_long_walk_in_c():
    """A signal reaches a walk in C: it checks for signals every 2**20 blocks, as Python's loops do, and
    Ctrl-C's handler (KeyboardInterrupt) runs there."""
    child = subprocess.Popen(
        [sys.executable, "-c", CTRL_C], stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"}
    )
    try:
        out, _ = child.communicate(timeout=120)
    finally:
        child.kill()
    assert out == "walking\ninterrupted after 1 new search\n"


def test_a_heap_with_the_accelerator_is_collected(path):
    heap = memlab.allocator("freelist", list="segregated")
    heap.free(heap.alloc(100))
    ref = weakref.ref(heap)
    del heap
    gc.collect()
    assert ref() is None, "the accelerator and its heap refer to each other, and the collector frees both"
