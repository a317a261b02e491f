"""Composing allocators: the Zig-style interface, custom allocators and the wrappers."""

import threading

import pytest

import memlab
from memlab.allocators import REGISTRY
from memlab.compose import (
    AllocationFailureMishandled,
    CustomAllocator,
    FailingAllocator,
    StackFallback,
    ThreadSafe,
    Wrapper,
    check_all_allocation_failures,
    interface,
)
from memlab.compose.testing import TestingAllocator
from memlab.contract import ContractViolation, hints_for, random_walk, state_machine
from memlab.errors import BadRequest, HeapCorruption, InvalidFree, MemlabError, OutOfMemory
from memlab.manual import MemoryLeak


class SlotStack(CustomAllocator):
    """A learner's allocator: 64-byte slots from a stack of free slot numbers."""

    SLOT = 64
    max_request = 64

    def __init__(self, slots=64):
        super().__init__()
        self.base = self.reserve(slots * self.SLOT)
        self.free_slots = list(range(slots - 1, -1, -1))

    def alloc(self, size, align):
        if size > self.SLOT or align > self.SLOT or not self.free_slots:
            return None
        return self.base + self.free_slots.pop() * self.SLOT

    def resize(self, address, size, align, new_size):
        return new_size <= self.SLOT

    def free(self, address, size, align):
        self.free_slots.append((address - self.base) // self.SLOT)


class Moving(SlotStack):
    """remap moves a block to another slot (as mremap may), copying the bytes itself."""

    def remap(self, address, size, align, new_size):
        if new_size > self.SLOT or not self.free_slots:
            return None
        new = self.alloc(new_size, align)
        self.memory.copy(new, address, min(size, new_size))
        self.free(address, size, align)
        return new


# -- the interface ------------------------------------------------------------------------------
def test_any_allocator_through_zigs_four_functions():
    for name in memlab.names():
        entry = REGISTRY[name]
        gpa = interface(entry.factory(**entry.test_options))
        assert set(gpa.vtable._fields) == {"alloc", "resize", "remap", "free"}
        address = gpa.alloc(24, 8)
        gpa.memory.write(address, b"z" * 24)
        moved = gpa.realloc(address, 24, 40)
        assert gpa.memory.read(moved, 24) == b"z" * 24
        gpa.free(moved, 40)
        assert gpa.ptr.live() == {}


def test_a_wrong_length_passed_back_is_named_and_changes_nothing():
    gpa = interface(memlab.allocator("freelist"))
    a = gpa.alloc(24)
    before = gpa.ptr.layout()
    with pytest.raises(InvalidFree, match=f"free of {a:#x} with length 16, but the block holds 24 bytes"):
        gpa.free(a, 16)
    with pytest.raises(BadRequest, match="remap of .* with length 8, but the block holds 24 bytes"):
        gpa.remap(a, 8, 48)
    assert gpa.ptr.layout() == before and gpa.ptr.live() == {a: 24}
    gpa.free(a, 24)
    assert gpa.ptr.live() == {}


def test_out_of_memory_is_null_in_the_vtable_and_an_error_above_it():
    gpa = interface(memlab.allocator("bump", size=64))
    assert gpa.vtable.alloc(128, 8) is None
    with pytest.raises(OutOfMemory):
        gpa.alloc(128)


# -- a custom allocator -------------------------------------------------------------------------
def test_a_custom_allocator_passes_the_property_suite():
    harness = random_walk(lambda: SlotStack().heap, ops=2000, seed=3, **SlotStack.hints())
    assert harness.heap.stats().allocs > 100
    assert harness.heap.name == "SlotStack"


def test_a_custom_allocator_runs_under_hypothesis_too():
    from hypothesis import HealthCheck, settings

    machine = state_machine(lambda: SlotStack().heap, **SlotStack.hints())
    machine.TestCase.settings = settings(
        max_examples=15, stateful_step_count=25, deadline=None, suppress_health_check=list(HealthCheck)
    )
    machine.TestCase().runTest()


def test_the_suite_catches_a_broken_custom_allocator():
    class Overlapping(SlotStack):
        def alloc(self, size, align):
            return self.base if size <= self.SLOT else None  # every block in slot 0

    with pytest.raises((ContractViolation, HeapCorruption)):
        random_walk(lambda: Overlapping().heap, ops=200, seed=1, **Overlapping.hints())


def test_bad_results_from_custom_code_are_named():
    class Misaligned(SlotStack):
        def alloc(self, size, align):
            return self.base + 1

    with pytest.raises(HeapCorruption, match=r"Misaligned.alloc\(8, 8\) returned 0x[0-9a-f]+, not aligned to 8"):
        Misaligned().heap.alloc(8)

    class Outside(SlotStack):
        def alloc(self, size, align):
            return 0x1000

    with pytest.raises(HeapCorruption, match="not in memory you reserved"):
        Outside().heap.alloc(8)

    class Twice(SlotStack):
        def alloc(self, size, align):
            return self.base  # forgets that slot 0 is taken

    heap = Twice().heap
    first = heap.alloc(8)
    before = heap.layout()
    message = rf"Twice.alloc\(16, 8\) returned {first:#x}, which overlaps the live block"
    with pytest.raises(HeapCorruption, match=message):
        heap.alloc(16)
    assert heap.layout() == before and heap.live() == {first: 8}

    class Unfinished(CustomAllocator):
        pass

    with pytest.raises(NotImplementedError, match="must define alloc"):
        Unfinished().heap.alloc(8)


def test_custom_remap_may_move_and_the_shadow_table_follows():
    heap = Moving().heap
    a = heap.alloc(16)
    heap.memory.write(a, b"0123456789abcdef")
    with heap.record() as rec:
        b = heap.remap(a, 32)
    assert b != a and heap.live() == {b: 32}
    assert heap.memory.read(b, 16) == b"0123456789abcdef"
    assert rec.recording.kinds() == ["move"]
    with pytest.raises(memlab.UseAfterFree):
        heap.remap(a, 8)
    heap.check()


def test_the_default_layout_shows_blocks_and_gaps():
    s = SlotStack(slots=64)
    a = s.heap.alloc(10)
    blocks = s.heap.layout()
    assert [(b.state, b.size) for b in blocks] == [("allocated", 10), ("free", 4086)]
    assert blocks[0].address == a and s.heap.extent() == (s.base, s.base + 4096)


# -- wrappers -----------------------------------------------------------------------------------
def test_wrappers_take_a_spec_an_instance_or_a_factory_but_only_a_fresh_one():
    assert isinstance(Wrapper("bump:size=128").inner, memlab.Bump)
    assert Wrapper(lambda: memlab.allocator("bump")).inner.capacity == 4096
    used = memlab.allocator("bump")
    used.alloc(8)
    with pytest.raises(BadRequest, match="already has live blocks"):
        Wrapper(used)
    with pytest.raises(BadRequest):
        Wrapper(memlab.allocator("bump"), size=8)
    with pytest.raises(BadRequest):
        Wrapper(42)


WRAPPERS = [StackFallback, FailingAllocator, ThreadSafe]


@pytest.mark.parametrize("wrapper", WRAPPERS, ids=lambda w: w.__name__)
def test_every_wrapper_keeps_the_contract_over_every_allocator(wrapper):
    for name in memlab.names():
        entry = REGISTRY[name]
        if name in ("stackfallback", "threadsafe", "debug"):
            continue
        child = lambda e=entry: e.factory(**e.test_options)  # noqa: E731
        if wrapper is StackFallback:
            factory = lambda c=child: StackFallback(256, fallback=c)  # noqa: E731
        else:
            factory = lambda c=child: wrapper(c)  # noqa: E731
        hints = hints_for(name)
        if wrapper is StackFallback:
            hints = {**hints, "returns_to_empty": False}  # the buffer is a bump: it never empties
        random_walk(factory, ops=500, seed=11, **hints)


def test_wrapper_forwards_the_childs_own_events_with_its_steps():
    if "freelist" not in memlab.names():
        pytest.skip("needs the free-list allocator")
    heap = ThreadSafe("freelist")
    heap.alloc(8)
    with heap.record() as rec:
        heap.alloc(16)
    assert "alloc" in rec.recording.kinds() and len(rec.recording.kinds()) >= 2
    assert {e.step for e in rec.recording.events} == {heap.step}


def test_stack_fallback_serves_from_the_buffer_first():
    heap = StackFallback(64, fallback="bump:size=4096")
    a, b = heap.alloc(32), heap.alloc(32)
    c = heap.alloc(32)  # the buffer is full: from the fallback
    assert heap.owns(a) and heap.owns(b) and not heap.owns(c)
    assert heap.fallback.live() == {c: 32} and heap.fixed.live() == {a: 32, b: 32}
    heap.free(b)
    d = heap.alloc(16)  # the buffer's last block was freed: its room is back
    assert d == b
    labels = {blk.label for blk in heap.layout() if heap.owns(blk.address)}
    assert all(label.startswith("stack buffer") for label in labels)
    assert heap.footprint == heap.fixed.footprint + heap.fallback.footprint
    heap.check()


def test_failing_allocator_follows_zigs_fail_index():
    heap = FailingAllocator("bump", fail_index=2)
    heap.alloc(8), heap.alloc(8)
    for _ in range(2):  # the third allocation fails, and so does every later one
        with pytest.raises(OutOfMemory, match="allocation #2 fails on purpose"):
            heap.alloc(8)
    assert heap.has_induced_failure and heap.alloc_index == 2 and heap.allocations == 2
    assert heap.failure_site.function == "test_failing_allocator_follows_zigs_fail_index"
    heap.free(heap.realloc(next(iter(heap.live())), 4))
    assert (heap.deallocations, heap.freed_bytes) == (1, 8)


def test_failing_allocator_can_fail_resizes():
    heap = FailingAllocator("bump", resize_fail_index=1)
    a = heap.alloc(16)
    assert heap.resize(a, 24) and not heap.resize(a, 32) and heap.remap(a, 32) is None
    assert heap.live() == {a: 24} and heap.allocated_bytes == 24
    with pytest.raises(BadRequest):
        FailingAllocator("bump", fail_index=-1)


# -- check_all_allocation_failures ---------------------------------------------------------------
def careful_pair(gpa):
    first = gpa.alloc(16)
    try:
        second = gpa.alloc(16)
    except OutOfMemory:
        gpa.free(first)  # Zig's errdefer
        raise
    gpa.free(second)
    gpa.free(first)


def leaky_pair(gpa):
    first = gpa.alloc(16)
    second = gpa.alloc(16)  # if this fails, first is leaked
    gpa.free(second)
    gpa.free(first)


def swallowing(gpa):
    try:
        gpa.free(gpa.alloc(64))
    except OutOfMemory:
        pass  # "it's fine"


def test_a_careful_function_handles_every_failure_point():
    report = check_all_allocation_failures(careful_pair)
    assert report.allocations == 2 and not report.mishandled
    assert "every failure point is handled" in str(report)


def test_a_leak_on_the_error_path_is_found_with_its_site():
    with pytest.raises(AllocationFailureMishandled) as caught:
        check_all_allocation_failures(leaky_pair)
    report = caught.value.report
    assert [p.outcome for p in report.points] == ["ok", "leaked"]
    bad = report.mishandled[0]
    assert bad.index == 1 and bad.site.function == "leaky_pair"
    assert "left 16 bytes in 1 block, allocated at leaky_pair (test_compose.py:" in bad.detail
    assert isinstance(caught.value, AssertionError)


def test_swallowed_failures_nondeterminism_and_other_errors_are_reported():
    assert check_all_allocation_failures(swallowing, raise_on_failure=False).points[0].outcome == "swallowed"

    runs = []

    def different_each_time(gpa):
        runs.append(1)
        for _ in range(2 if len(runs) == 1 else 0):
            gpa.free(gpa.alloc(8))

    report = check_all_allocation_failures(different_each_time, raise_on_failure=False)
    assert {p.outcome for p in report.points} == {"nondeterministic"}

    def converts(gpa):
        try:
            gpa.free(gpa.alloc(8))
        except OutOfMemory:
            raise ValueError("no memory") from None

    report = check_all_allocation_failures(converts, raise_on_failure=False)
    assert report.points[0].outcome == "raised" and "ValueError" in report.points[0].detail
    with pytest.raises(BadRequest):
        check_all_allocation_failures(careful_pair, backing=memlab.allocator("bump"))


def test_extra_arguments_reach_the_function():
    def fill(gpa, n, size):
        blocks = []
        try:
            for _ in range(n):
                blocks.append(gpa.alloc(size))
        finally:
            for b in blocks:
                gpa.free(b)

    assert check_all_allocation_failures(fill, 5, 24).allocations == 5


# -- the testing allocator -----------------------------------------------------------------------
def test_testing_allocator_fails_a_test_that_leaks():
    with pytest.raises(MemoryLeak) as caught:
        with TestingAllocator() as gpa:
            gpa.alloc(40)
            gpa.free(gpa.alloc(8))
    report = caught.value.report
    assert report.leaked_bytes == 40
    assert "Direct leak of 40 byte(s) in 1 object(s)" in str(report)
    with TestingAllocator() as gpa:
        gpa.free(gpa.alloc(8))


def test_testing_allocator_also_reports_blocks_still_reachable():
    gpa = TestingAllocator()
    table = gpa.alloc(8)
    gpa.memory.write_word(table, gpa.alloc(8))
    with pytest.raises(MemoryLeak, match="16 byte"):
        gpa.deinit()


def test_testing_allocator_does_not_hide_the_tests_own_error():
    with pytest.raises(ZeroDivisionError):
        with TestingAllocator() as gpa:
            gpa.alloc(8)
            1 / 0  # noqa: B018


# -- thread safety --------------------------------------------------------------------------------
def test_thread_safe_counts_one_lock_per_call_and_keeps_the_heap_consistent():
    heap = ThreadSafe("bump:size=262144")
    barrier = threading.Barrier(4)

    def worker():
        barrier.wait()
        for _ in range(200):
            heap.free(heap.alloc(16))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert heap.lock_acquisitions == 4 * 200 * 2
    assert 0 <= heap.contended <= heap.lock_acquisitions
    assert heap.stats().allocs == 800 and heap.live() == {}
    heap.check()
    before = heap.lock_acquisitions
    heap.realloc(heap.alloc(8), 64)  # realloc's inner alloc and free take no second lock
    assert heap.lock_acquisitions == before + 2


def test_wrapper_errors_carry_the_wrappers_step():
    heap = ThreadSafe("bump:size=64")
    heap.alloc(8)
    with pytest.raises(OutOfMemory) as caught:
        heap.alloc(100)
    assert caught.value.step == heap.step == 2
    with pytest.raises(InvalidFree):
        heap.free(12345)
    assert isinstance(caught.value, MemlabError)
