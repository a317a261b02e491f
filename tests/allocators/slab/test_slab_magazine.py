"""The magazine layer (Bonwick & Adams 2001): per-CPU loaded/previous magazines and a depot."""

import pytest

import memlab
from memlab.allocators.slab.magazine import MagazineCache
from memlab.errors import BadRequest, DoubleFree, HeapCorruption, TooLarge


def rounds_in_memory(heap, mag):
    n = heap.memory.read_word(mag)
    return [heap.memory.read_word(mag + 8 * (1 + i)) for i in range(n)]


def test_rounds_are_words_in_a_magazine_in_simulated_memory():
    heap = MagazineCache("obj", 32, rounds=2, cpus=1)
    objs = [heap.alloc(32) for _ in range(3)]
    assert heap.slab_calls == 3 and heap.depot_locks == 3  # empty magazines: every alloc reaches the slabs
    for a in objs:
        heap.free(a)
    assert rounds_in_memory(heap, heap.previous[0]) == objs[:2]  # the full one became "previous"
    assert rounds_in_memory(heap, heap.loaded[0]) == objs[2:]
    assert heap.depot_locks == 5  # one lock for the first empty magazine, one for the second
    assert heap.alloc(32) == objs[2]  # LIFO, no lock, no slab call
    assert (heap.depot_locks, heap.slab_calls) == (5, 3)
    labels = {b.address: b.label for b in heap.layout()}
    assert labels[objs[0]] == "round in magazine (cpu 0 previous)"


def test_the_previous_magazine_stops_thrashing_at_a_magazine_boundary():
    heap = MagazineCache("obj", 32, rounds=4, cpus=1)
    objs = [heap.alloc(32) for _ in range(5)]
    for a in objs[:4]:
        heap.free(a)  # loaded is now exactly full
    locks = heap.depot_locks
    x = objs[4]
    for _ in range(1000):
        heap.free(x)
        x = heap.alloc(32)
    assert heap.depot_locks == locks + 1  # one trade, then the two magazines absorb every swing


def test_one_cpu_frees_into_the_depot_and_another_allocates_from_it():
    heap = MagazineCache("obj", 32, rounds=2, cpus=2)
    objs = [heap.alloc(32) for _ in range(8)]
    for a in objs:
        heap.free(a)  # cpu 0 keeps two magazines, the rest go to the depot full
    assert len(heap.depot_full) == 2
    heap.cpu = 1
    with heap.record() as rec:
        got = heap.alloc(32)
    assert got in objs and heap.slab_calls == 8
    assert (
        rec.recording.script()
        .splitlines()[0]
        .endswith("cpu 1: no magazines yet; load a full magazine from the depot (lock)")
    )
    heap.check()


def test_objects_stay_constructed_and_destructors_wait_for_the_reap():
    made, gone = [], []
    heap = MagazineCache("obj", 40, ctor=lambda m, a: made.append(a), dtor=lambda m, a: gone.append(a), rounds=4)
    for _ in range(100):
        heap.free(heap.alloc(40))
    slab_objects = heap.slabs.geometry.objects
    assert len(made) == slab_objects and heap.stats().allocs == 100
    assert heap.reap() == 1 + 1  # the object slab and the magazine slab
    assert len(gone) == slab_objects and heap.footprint == 0


def test_bad_input_is_typed_and_changes_nothing():
    heap = MagazineCache("obj", 32, rounds=2)
    a = heap.alloc(32)
    heap.free(a)
    before = heap.snapshot()
    with pytest.raises(TooLarge, match="holds 32-byte objects; 33 bytes do not fit"):
        heap.alloc(33)
    with pytest.raises(DoubleFree):
        heap.free(a)
    with pytest.raises(BadRequest, match="CPUs 0..1"):
        heap.cpu = 2
    after = heap.snapshot()
    assert (after.blocks, after.data, after.cpus) == (before.blocks, before.data, before.cpus)
    with pytest.raises(BadRequest, match="rounds=0"):
        MagazineCache(rounds=0)


def test_check_finds_a_corrupted_magazine_count():
    heap = memlab.allocator("magazine", size=32, rounds=2)
    for a in [heap.alloc(32) for _ in range(3)]:
        heap.free(a)
    heap.memory.write_word(heap.previous[0], 1)  # previous must be full or empty
    with pytest.raises(HeapCorruption, match="previous magazine holds 1 rounds; it must be full or empty"):
        heap.check()


def test_three_cpus_interleaved_keep_every_invariant_and_give_everything_back():
    import random

    rng = random.Random(8)
    heap = MagazineCache("obj", 24, rounds=3, cpus=3)
    live = {}
    for step in range(3000):
        heap.cpu = rng.randrange(3)
        if live and rng.random() < 0.5:
            a = rng.choice(list(live))
            assert heap.memory.read(a, 8) == live.pop(a)
            heap.free(a)
        else:
            a = heap.alloc(rng.randint(1, 24))
            live[a] = step.to_bytes(8, "little")
            heap.memory.write(a, live[a])
        if step % 100 == 0:
            heap.check()
    assert heap.depot_locks < heap.stats().allocs / 2  # most operations never touch the depot
    for a in live:
        heap.free(a)
    heap.check()
    heap.reap()
    assert heap.footprint == 0 and heap.reclaimed()


def test_the_magazine_view_shows_rounds_depot_and_counters():
    from memlab.viz.magazine import magazine_view

    heap = MagazineCache("file", 96, rounds=4, cpus=2)
    objs = [heap.alloc(96) for _ in range(14)]
    for a in objs[:11]:
        heap.free(a)
    heap.cpu = 1
    with heap.record() as rec:
        heap.alloc(96)
    html = magazine_view()(rec.recording[-1])
    assert "depot lock taken 18×; slab layer reached 14×" in html
    assert html.count(">3/4<") == 2 and ">4/4<" in html and ">none<" in html
    assert "out of its slab (in use, or a round in a magazine)" in html and ">file<" in html


def test_each_magazine_move_is_described_as_it_happens():
    heap = MagazineCache("obj", 32, rounds=1, cpus=1)
    objs = [heap.alloc(32) for _ in range(4)]
    with heap.record() as rec:
        for a in objs:
            heap.free(a)
        for _ in range(4):
            heap.alloc(32)
    said = [e.describe() for e in rec.recording.events if e.kind == "magazinestep"]
    assert said == [
        "cpu 0: no magazine loaded; load an empty magazine, a new one (lock)",
        "cpu 0: loaded magazine full: it becomes the previous one; load an empty magazine, a new one (lock)",
        "cpu 0: both magazines full: the previous one goes to the depot, the loaded one becomes previous; "
        "load an empty magazine, a new one (lock)",
        "cpu 0: both magazines full: the previous one goes to the depot, the loaded one becomes previous; "
        "load an empty magazine, a new one (lock)",
        "cpu 0: loaded magazine empty, previous full: swap them",
        "cpu 0: both magazines empty: the previous one goes to the depot, the loaded one becomes previous; "
        "load a full magazine from the depot (lock)",
        "cpu 0: both magazines empty: the previous one goes to the depot, the loaded one becomes previous; "
        "load a full magazine from the depot (lock)",
    ]
