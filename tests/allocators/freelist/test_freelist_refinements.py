"""The free-list heap's refinements beyond mm.c: ``grow="top-up"``, ``place="by-size"`` and ``"back"``.

Each is checked in the simulated bytes (tags, footprint, sbrk calls), against bad input, under
the property suite, and on the traces they are meant for."""

import pytest
from test_freelist import state, tags, word  # reading tags from simulated memory

import memlab
from memlab import BadRequest, OutOfMemory
from memlab.allocators.freelist.heap import LARGE, FreeListHeap
from memlab.contract import random_walk
from memlab.traces import replay
from memlab.traces.generators import binary, realloc_trace


def test_options_are_named_and_checked():
    with pytest.raises(BadRequest, match="freelist place='tail': choose one of front, back, by-size"):
        FreeListHeap(place="tail")
    with pytest.raises(BadRequest, match="freelist grow='exact': choose one of chunk, top-up"):
        FreeListHeap(grow="exact")
    assert "place=by-size,grow=top-up" in repr(memlab.allocator("freelist", place="by-size", grow="top-up"))
    assert "place" not in repr(FreeListHeap())  # mm.c's own behaviour keeps its old name


@pytest.mark.parametrize("coalesce", ["immediate", "deferred"])
def test_top_up_sbrks_only_what_the_free_last_block_lacks(coalesce):
    heap = FreeListHeap(chunk=256, grow="top-up", coalesce=coalesce)
    heap.alloc(100)  # 112 bytes; 144 free bytes end the heap
    footprint, calls = heap.footprint, heap.os.syscalls["sbrk"]
    b = heap.alloc(392)  # 400 bytes: 256 more (at least a chunk), where mm.c would sbrk 400
    assert heap.footprint - footprint == 256 and heap.os.syscalls["sbrk"] == calls + 1
    assert tags(heap, b) == (401, 401)
    heap.check()
    plain = FreeListHeap(chunk=256, coalesce=coalesce)
    plain.alloc(100)
    plain.alloc(392)
    assert plain.footprint - footprint == 400


def test_realloc_of_the_last_block_grows_the_heap_under_it():
    heap = FreeListHeap(chunk=256, grow="top-up")
    a = heap.alloc(100)  # 112 bytes; the free rest of 144 bytes is the last block
    b = heap.alloc(130)  # 144 bytes: exactly the rest, so b is now the last block
    heap.memory.write(b, b"last block")
    footprint, calls = heap.footprint, heap.os.syscalls["sbrk"]
    with heap.record() as rec:
        assert heap.realloc(b, 300) == b  # 312 bytes: the heap grows by 312 - 144
    assert rec.recording.kinds() == ["grow", "resize"]
    assert heap.footprint - footprint == 168 and heap.os.syscalls["sbrk"] == calls + 1
    assert tags(heap, b) == (313, 313) and heap.memory.read(b, 10) == b"last block"
    assert word(heap, heap.os.brk_address - 4) == 1  # the new epilogue
    heap.free(b)
    assert heap.realloc(a, 600) == a  # 608 bytes: a takes the free 312 after it, sbrks 184 more
    assert tags(heap, a) == (609, 609) and heap.footprint - footprint == 168 + 184
    heap.check()
    plain = FreeListHeap(chunk=256)  # mm.c: the last block moves to a new chunk
    plain.alloc(100)
    b = plain.alloc(130)
    assert plain.realloc(b, 300) != b


def test_realloc_moves_when_a_block_follows():
    heap = FreeListHeap(chunk=256, grow="top-up")
    a = heap.alloc(100)
    heap.alloc(100)  # allocated, after a
    heap.memory.write(a, b"moving")
    new = heap.realloc(a, 300)
    assert new != a and heap.memory.read(new, 6) == b"moving"
    heap.check()


def test_growing_the_last_block_past_the_limit_changes_nothing_and_raises():
    heap = FreeListHeap(chunk=256, grow="top-up", limit=8192)
    a = heap.alloc(100)
    heap.memory.write(a, b"keep me")
    before, calls = state(heap), dict(heap.os.syscalls)
    with pytest.raises(OutOfMemory) as caught:
        heap.realloc(a, 9000)
    assert caught.value.step == heap.step
    assert state(heap) == before and heap.live() == {a: 100}
    assert not heap.resize(a, 9000)
    assert state(heap) == before
    assert heap.os.syscalls["mmap"] == calls.get("mmap", 0)


def test_by_size_carves_large_blocks_from_the_high_end():
    heap = FreeListHeap(chunk=1024, place="by-size")
    small = heap.alloc(24)  # 32 bytes from the low end of the 1024-byte free block
    large = heap.alloc(LARGE)  # 136 bytes from the high end
    assert small == heap.first_bp
    end = heap.os.brk_address - 4  # the epilogue header
    assert large - 4 + 136 == end and tags(heap, large) == (137, 137)
    rest = small + 32
    assert tags(heap, rest) == (1024 - 32 - 136, 1024 - 32 - 136)
    with heap.record() as rec:
        heap.alloc(200)  # 208 bytes, also from the high end, just below ``large``
    split = rec.recording.events[0]
    assert split.kind == "split" and (split.first, split.second) == (1024 - 32 - 136 - 208, 208)
    heap.check()


def test_by_size_leaves_holes_that_merge_on_the_binary_trace():
    trace = binary(3000, seed=1)
    front = replay(trace, "freelist:list=explicit,fit=best", progress=False)
    by_size = replay(trace, "freelist:list=explicit,fit=best,place=by-size", progress=False)
    assert front.utilization < 0.65 and by_size.utilization > 0.9
    assert by_size.heap_bytes < front.heap_bytes * 0.7


def test_top_up_keeps_a_growing_buffer_in_place_on_the_realloc_trace():
    trace = realloc_trace(3000, seed=1)
    plain = replay(trace, "freelist:list=explicit,fit=best,order=address,place=by-size", progress=False)
    tuned = replay(trace, "freelist:list=explicit,fit=best,order=address,place=by-size,grow=top-up", progress=False)
    assert plain.utilization < 0.7 and tuned.utilization > 0.9
    assert tuned.peak_live_bytes == plain.peak_live_bytes


def test_back_carves_every_block_from_the_high_end_as_k_and_r_does():
    heap = FreeListHeap(chunk=1024, place="back")
    end = heap.os.brk_address - 4  # the epilogue header
    a = heap.alloc(24)  # 32 bytes at the very end of the 1024-byte free block
    assert a - 4 + 32 == end and tags(heap, a) == (33, 33)
    assert tags(heap, heap.first_bp) == (1024 - 32, 1024 - 32), "the free rest stays where it was"
    b = heap.alloc(LARGE)  # large or small, the same end: just below a
    assert b - 4 + 136 == a - 4 and tags(heap, b) == (137, 137)
    heap.check()


def test_back_keeps_a_hole_free_next_to_the_block_that_may_grow_into_it():
    """ls's pattern: a buffer, then a freed 32 KiB buffer after it, small strings, a realloc."""
    outcomes = {}
    for place in ("front", "back"):
        heap = FreeListHeap(list="explicit", fit="best", order="address", place=place, chunk=16)  # exact growth
        buffer = heap.alloc(20800)
        directory = heap.alloc(32816)
        heap.alloc(4096)  # a block after the directory buffer: the heap cannot top it up
        heap.free(directory)
        strings = [heap.alloc(24) for _ in range(20)]  # into the 32 KiB hole: at which end?
        heap.memory.write(buffer, b"the buffer")
        grown = heap.realloc(buffer, 41600)
        assert heap.memory.read(grown, 10) == b"the buffer"
        outcomes[place] = grown == buffer, heap.footprint, min(strings) > buffer + 41600
        heap.check()
    assert outcomes["back"][0] and outcomes["back"][2], "the strings took the hole's far end; the buffer grew in place"
    assert not outcomes["front"][0], "mm.c's strings sit right after the buffer: it must move"
    assert outcomes["back"][1] < outcomes["front"][1] - 32 * 1024


def walk_heaps(seed: int, **options):
    """The property suite's 10,000-op random walk over fresh 48 KiB free-list heaps with ``options``."""

    def factory():
        return FreeListHeap(limit=48 << 10, chunk=1024, **options)

    return random_walk(factory, ops=10_000, seed=seed, max_request=512, aligns=(None,))


@pytest.mark.parametrize(
    "options",
    [
        {"list": "explicit", "fit": "best", "order": "address", "place": "by-size"},
        {"list": "segregated", "fit": "first", "place": "by-size"},
        {"list": "implicit", "fit": "next", "coalesce": "deferred", "place": "by-size"},
        {"list": "explicit", "fit": "best", "order": "address", "place": "back"},
        {"list": "segregated", "fit": "first", "place": "back", "coalesce": "deferred"},
    ],
)
@pytest.mark.extended  # every option and pair of options also walks, shorter, in test_contract.py
def test_property_suite_with_the_refinements(options):
    harness = walk_heaps(7, grow="top-up", **options)
    assert harness.steps >= 10_000
