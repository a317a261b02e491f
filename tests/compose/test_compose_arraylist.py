"""ArrayList: the same container, and a different story with every allocator passed in."""

import pytest

import memlab
from memlab.compose import ArrayList, FailingAllocator, check_all_allocation_failures
from memlab.compose.testing import TestingAllocator
from memlab.errors import BadRequest, OutOfMemory
from memlab.manual import MemoryLeak


def test_grows_by_half_plus_eight():
    capacities = [0]
    for _ in range(200):
        capacities.append(ArrayList.grow_capacity(capacities[-1], capacities[-1] + 1))
    assert capacities[:6] == [0, 8, 20, 38, 65, 105]


def test_values_live_in_simulated_memory():
    gpa = memlab.allocator("bump")
    items = ArrayList(gpa, "<i")
    items.extend(range(-5, 30))
    assert len(items) == 35 and items[0] == -5 and items[-1] == 29
    assert gpa.memory.read(items.address, 4) == (-5).to_bytes(4, "little", signed=True)
    items[1] = 100
    assert items.pop() == 29 and items.to_list()[:2] == [-5, 100]
    with pytest.raises(IndexError):
        items[34]
    with pytest.raises(BadRequest):
        items.append("x")
    with pytest.raises(BadRequest):
        ArrayList(gpa, "not a format")


def test_on_a_bump_allocator_the_last_block_grows_in_place():
    items = ArrayList(memlab.allocator("bump"))
    items.extend(range(300))
    assert items.copied == 0 and items.in_place > 0


def test_when_something_else_was_allocated_after_it_every_growth_copies():
    gpa = memlab.allocator("bump", size=65536)
    items = ArrayList(gpa)
    growths = 0
    for i in range(300):
        before = items.capacity
        items.append(i)
        gpa.alloc(8)  # another allocation lands right after the list's block
        growths += items.capacity != before
    assert items.in_place == 0 and items.copied == growths - 1
    assert items.bytes_copied == 8 * sum(c for c in _capacities(300)[1:-1])


def _capacities(n):
    caps, c = [0], 0
    while c < n:
        c = ArrayList.grow_capacity(c, c + 1)
        caps.append(c)
    return caps


def test_out_of_memory_leaves_the_list_as_it_was():
    gpa = FailingAllocator("bump", fail_index=2)
    items = ArrayList(gpa)
    items.extend(range(8))  # allocation #0: capacity 8
    gpa.alloc(8)  # allocation #1, right after the list: it cannot grow in place any more
    before = (items.to_list(), items.capacity, items.address, gpa.live())
    with pytest.raises(OutOfMemory):
        items.append(8)  # needs allocation #2, which fails
    assert (items.to_list(), items.capacity, items.address, gpa.live()) == before


def test_every_failure_point_of_a_list_user_is_handled():
    def build(gpa, n):
        items = ArrayList(gpa)
        try:
            for i in range(n):
                items.append(i)
                gpa.alloc(8)  # forces copies, so the list allocates several times
        finally:
            items.deinit()
            for address in list(gpa.live()):
                gpa.free(address)

    report = check_all_allocation_failures(build, 40)
    assert report.allocations > 40 and not report.mishandled


def test_a_forgotten_deinit_fails_under_the_testing_allocator():
    with pytest.raises(MemoryLeak):
        with TestingAllocator() as gpa:
            ArrayList(gpa).extend(range(10))
    with TestingAllocator() as gpa:
        items = ArrayList(gpa)
        items.extend(range(10))
        items.deinit()
