"""The contract every allocator inherits from the base class: calloc's checks and the counters of stats()."""

import pytest

import memlab
from memlab import BadSize, MemlabError, OutOfMemory

NAMES = memlab.names()


def build(name):
    entry = memlab.REGISTRY[name]
    return memlab.allocator(name, **entry.test_options)


def state(heap):
    start, end = heap.extent()
    return heap.layout(), heap.memory.read(start, end - start), heap.stats()


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(("count", "size"), [(-2, -8), (-1, 16), (4, -1), (0, 8), (8, 0), (2.0, 8), (2, "8")])
def test_calloc_checks_count_and_size_before_multiplying_them(name, count, size):
    heap = build(name)
    kept = heap.alloc(8)
    before = state(heap)
    with pytest.raises(BadSize, match=r"calloc\(.*\): the (count|size) must be a positive integer") as caught:
        heap.calloc(count, size)  # calloc(-2, -8) used to hand out 16 bytes
    assert caught.value.step == 2
    assert state(heap) == before and heap.live() == {kept: 8}


@pytest.mark.parametrize("name", NAMES)
def test_calloc_hands_out_count_times_size_zeroed_bytes(name):
    heap = build(name)
    first = heap.alloc(24)
    heap.memory.write(first, b"\xff" * 24)
    heap.free(first)  # dirty memory the next block may reuse
    address = heap.calloc(3, 8)
    assert heap.memory.read(address, 24) == bytes(24)
    assert heap.live() == {address: 24} and heap.stats().allocs == 2


@pytest.mark.parametrize("name", NAMES)
def test_reallocs_counts_successful_reallocs_only_as_allocs_counts_successful_allocs(name):
    heap = build(name)
    a = heap.alloc(16)
    before = state(heap)
    with pytest.raises(MemlabError) as caught:
        heap.realloc(a, 1 << 40)  # far more than any simulated machine holds
    after = state(heap)
    assert after[:2] == before[:2], "a failed realloc leaves the block where it was"
    s = after[2]
    assert (s.allocs, s.frees, s.reallocs) == (1, 0, 0), f"a failed realloc is not a realloc: {s}"
    assert s.failures == (1 if isinstance(caught.value, OutOfMemory) else 0)
    b = heap.realloc(a, 8)
    s = heap.stats()
    assert s.reallocs == 1 and s.live_blocks == 1 and s.live_bytes == 8
    moved = b != a
    assert (s.allocs, s.frees) == ((2, 1) if moved else (1, 0)), "a moving realloc also counts its alloc and free"


def test_realloc_of_null_is_an_alloc_and_failed_allocs_count_as_failures():
    heap = memlab.allocator("bump", size=64)
    a = heap.realloc(None, 16)
    with pytest.raises(OutOfMemory):
        heap.alloc(100)
    with pytest.raises(OutOfMemory):
        heap.realloc(a, 100)
    s = heap.stats()
    assert (s.allocs, s.reallocs, s.frees, s.failures) == (1, 0, 0, 2)
