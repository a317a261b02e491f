"""The bump allocator follows Zig's FixedBufferAllocator, and bad input changes nothing."""

import pytest

import memlab
from memlab import BadAlignment, BadSize, DoubleFree, InvalidFree, OutOfMemory, UseAfterFree


def state(heap):
    start, end = heap.extent()
    return heap.layout(), heap.memory.read(start, end - start), heap.end_index


def test_alloc_three_bytes_costs_eight():
    heap = memlab.allocator("bump", size=64)
    a, b = heap.alloc(3), heap.alloc(3)
    assert b - a == 8, "the second block starts at the next 8-byte boundary"
    assert heap.alloc(1, align=1) == b + 3


def test_only_the_last_allocation_is_given_back():
    heap = memlab.allocator("bump", size=64)
    a, b = heap.alloc(16), heap.alloc(16)
    heap.free(a)  # not the last: a no-op, as in Zig
    assert heap.end_index == 32
    assert [blk.state for blk in heap.layout()] == ["dead", "allocated", "free"]
    heap.free(b)
    assert heap.end_index == 16, "b was last, so the index moves back to its start"
    assert not heap.reclaimed()
    heap.reset()
    assert heap.end_index == 0 and heap.reclaimed()


def test_resize_grows_only_the_last_allocation():
    heap = memlab.allocator("bump", size=64)
    a = heap.alloc(8)
    b = heap.alloc(8)
    assert not heap.resize(a, 16), "a is not last: it cannot grow"
    assert heap.resize(a, 4), "but any block may shrink"
    assert heap.resize(b, 40) and heap.end_index == 48
    assert not heap.resize(b, 100)
    assert heap.realloc(b, 48) == b
    moved = heap.realloc(a, 8)
    assert moved == b + 48, "a is not last, so growing it back to 8 bytes must move it"


def test_realloc_that_moves_copies_the_payload():
    heap = memlab.allocator("bump", size=128)
    a = heap.alloc(8)
    heap.alloc(8)
    heap.memory.write(a, b"ABCDEFGH")
    with heap.record() as rec:
        new = heap.realloc(a, 24)
    assert new != a and heap.memory.read(new, 8) == b"ABCDEFGH"
    assert rec.recording.kinds() == ["alloc", "free", "move"]
    assert heap.stats().reallocs == 1


@pytest.mark.parametrize(
    "action,error,text",
    [
        (lambda h, a: h.alloc(0), BadSize, "size 0 must be at least 1 byte"),
        (lambda h, a: h.alloc(-5), BadSize, "size -5"),
        (lambda h, a: h.alloc(8, align=24), BadAlignment, "alignment 24 is not a power of two"),
        (lambda h, a: h.alloc(1000), OutOfMemory, "bump buffer full"),
        (lambda h, a: h.free(a + 2), InvalidFree, "interior pointer, 2 bytes inside the 16-byte block"),
        (lambda h, a: h.free(12345), InvalidFree, "not the start of any live block"),
        (lambda h, a: h.free("a"), InvalidFree, "not an address"),
        (lambda h, a: h.resize(a, 0), BadSize, "size 0"),
    ],
)
def test_bad_input_raises_a_typed_error_and_changes_nothing(action, error, text):
    heap = memlab.allocator("bump", size=64)
    a = heap.alloc(16)
    heap.memory.write(a, b"sixteen bytes!!!")
    before = state(heap)
    with pytest.raises(error, match=text) as info:
        action(heap, a)
    assert info.value.step == heap.step, "the error names the step it happened at"
    assert state(heap) == before


def test_double_free_and_realloc_after_free_name_the_first_free():
    heap = memlab.allocator("bump", size=64)
    a = heap.alloc(16)
    heap.alloc(16)
    heap.free(a)
    before = state(heap)
    with pytest.raises(DoubleFree, match=rf"double free at {a:#x}, block {a:#x} \(freed at step 3\), step 4"):
        heap.free(a)
    with pytest.raises(UseAfterFree, match="realloc of a freed block"):
        heap.realloc(a, 8)
    assert state(heap) == before


def test_stats_count_what_happened():
    heap = memlab.allocator("bump", size=64)
    a = heap.alloc(10)
    heap.alloc(20)
    heap.free(a)
    with pytest.raises(OutOfMemory):
        heap.alloc(60)
    s = heap.stats()
    assert (s.live_bytes, s.peak_live_bytes, s.live_blocks, s.allocs, s.frees, s.failures) == (20, 30, 1, 2, 1, 1)
    assert s.footprint == 4096 and s.syscalls == {"mmap": 1}
