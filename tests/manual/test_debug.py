"""DebugAllocator: reports, quarantine, redzones, definedness, leaks, and bad input."""

import pytest

import memlab
from memlab.errors import BadRequest, BadSize, DoubleFree, HeapCorruption, InvalidFree, MemlabError, UseAfterFree
from memlab.manual import (
    DebugAllocator,
    HeapBufferOverflow,
    HeapBufferUnderflow,
    ManualHeap,
    MemoryLeak,
    Ptr,
    SegmentationFault,
    UninitialisedRead,
)
from memlab.manual.debug import FREE_FILL, BugCaught, Released


def debug_heap(inner="bump:size=65536", **options):
    return ManualHeap(DebugAllocator(inner, **options))


def reusing():
    """An allocator that hands a freed block straight back (LIFO free lists)."""
    names = [n for n in ("freelist", "slab", "buddy") if n in memlab.names()]
    if not names:
        pytest.skip("no reusing allocator registered yet")
    return names[0]


def state(allocator):
    snap = allocator.snapshot()
    return snap.blocks, allocator.memory.read(snap.start, snap.end - snap.start), allocator.live()


# -- the reports ------------------------------------------------------------------------------
def test_use_after_free_report_reads_like_asan_and_memcheck():
    heap = debug_heap()
    p = heap.malloc(16)
    p.i32[0] = 1
    heap.free(p)
    with pytest.raises(UseAfterFree) as caught:
        p.i32[1]
    lines = caught.value.report.asan().splitlines()
    line = caught.traceback[0].lineno + 1  # the line of `p.i32[1]`
    assert lines[0] == f"==memlab== ERROR: DebugAllocator: heap-use-after-free on address {int(p) + 4:#x} at step 4"
    assert lines[1] == f"READ of size 4 at {int(p) + 4:#x}"
    assert (
        lines[2]
        == f"    #0 step 4 in {test_use_after_free_report_reads_like_asan_and_memcheck.__name__} (test_debug.py:{line})"
    )
    assert lines[3] == f"{int(p) + 4:#x} is located 4 bytes inside of 16-byte region [{int(p):#x},{int(p) + 16:#x})"
    assert lines[4] == "freed by step 3 here:" and lines[6] == "previously allocated by step 1 here:"
    assert lines[-1].startswith("SUMMARY: DebugAllocator: heap-use-after-free in test_use_after_free")
    memcheck = caught.value.report.memcheck()
    assert "==memlab== Invalid read of size 4" in memcheck
    assert f"Address {int(p) + 4:#x} is 4 bytes inside a block of size 16 free'd" in memcheck
    assert "Block was alloc'd at" in memcheck


def test_double_free_names_allocation_first_free_and_second_free():
    heap = debug_heap()
    p = heap.malloc(8)  # line A
    heap.free(p)  # line B
    with pytest.raises(DoubleFree) as caught:
        heap.free(p)  # line C
    report = caught.value.report
    assert (report.block.alloc_step, report.block.free_step, report.step) == (1, 2, 3)
    lines = [report.block.alloc_site.line, report.block.free_site.line, report.site.line]
    assert lines[1] == lines[0] + 1 and lines[2] == lines[1] + 2
    assert "attempting double-free" in str(report)
    error = caught.value
    assert error.address == int(p) and error.step == 3 and "freed at step 2" in error.block


def test_overflow_underflow_and_invalid_free_memcheck_words():
    heap = debug_heap()
    p = heap.malloc(10)
    with pytest.raises(HeapBufferOverflow) as over:
        p.u8[10] = 1
    assert "Invalid write of size 1" in over.value.report.memcheck()
    assert "is 0 bytes after a block of size 10 alloc'd" in over.value.report.memcheck()
    with pytest.raises(HeapBufferUnderflow) as under:
        (p - 4).u32[0]
    assert "is located 4 bytes to the left of 10-byte region" in str(under.value.report)
    assert "4 bytes before a block of size 10" in under.value.report.memcheck()
    with pytest.raises(InvalidFree) as bad:
        heap.free(p + 3)
    assert type(bad.value) is InvalidFree
    assert "attempting free on address which was not malloc()-ed" in str(bad.value.report)
    assert "Invalid free() / delete / delete[] / realloc()" in bad.value.report.memcheck()


def test_a_partly_outside_access_is_an_overflow_and_says_how_far():
    heap = debug_heap()
    p = heap.calloc(6, 1)
    with pytest.raises(HeapBufferOverflow) as caught:
        p.u32[1]  # bytes 4..7 of a 6-byte block
    assert "starts 4 bytes inside and runs 2 past the end" in str(caught.value)


def test_null_and_wild_pointers_fault():
    heap = debug_heap()
    with pytest.raises(SegmentationFault) as caught:
        heap.NULL.u64[0]
    text = caught.value.report.asan()
    assert "SEGV on unknown address 0x0" in text and "Hint: address points to the zero page." in text
    assert "Process terminating with default action of signal 11 (SIGSEGV)" in caught.value.report.memcheck()
    plain = ManualHeap("bump")
    with pytest.raises(SegmentationFault):
        plain.NULL.u8[0] = 1


def test_free_null_is_allowed():
    heap = debug_heap()
    heap.free(heap.NULL)
    heap.free(None)
    heap.allocator.free(0)
    assert heap.reports == [] and heap.allocator.step == 0


# -- quarantine ---------------------------------------------------------------------------------
def test_quarantine_delays_reuse_and_catches_the_use_after_free_a_plain_heap_misses():
    plain = ManualHeap(reusing())
    p = plain.malloc(16)
    plain.strcpy(p, "password")
    plain.free(p)
    q = plain.malloc(16)
    plain.strcpy(q, "someone else")
    assert q == p and plain.string(p) == "someone else"  # read through the dangling pointer

    heap = debug_heap(reusing())
    p = heap.malloc(16)
    heap.free(p)
    q = heap.malloc(16)
    assert q != p
    assert heap.allocator.memory.read(int(p), 16) == bytes([FREE_FILL]) * 16
    with pytest.raises(UseAfterFree):
        heap.string(p)


def test_a_block_leaves_quarantine_fifo_and_is_still_recognised_until_reused():
    debug = DebugAllocator(reusing(), quarantine=60)
    a, b = debug.alloc(16), debug.alloc(16)  # each 48 bytes with redzones
    debug.free(a)
    debug.free(b)
    assert debug.quarantined_bytes == 48  # a left first
    with pytest.raises(UseAfterFree) as caught:
        debug.load(a, 1)
    assert "left quarantine" in str(caught.value)
    debug.drain()
    assert debug.quarantined_bytes == 0 and debug.inner.live() == {}


def test_without_quarantine_memory_is_reused_at_once_and_then_a_stale_read_is_not_caught():
    debug = DebugAllocator(reusing(), quarantine=0)
    a = debug.alloc(16)
    debug.free(a)
    b = debug.alloc(16)
    assert b == a
    debug.store(b, b"x" * 16)
    assert debug.load(a, 16) == b"x" * 16  # the pointer is stale, the block is someone else's
    assert debug.reports == []


def test_empty_after_drain_on_allocators_that_return_to_empty():
    name = reusing()
    debug = DebugAllocator(name)
    for _ in range(3):
        debug.free(debug.alloc(40))
    assert not debug.reclaimed()
    debug.drain()
    assert debug.reclaimed()


# -- redzones (canaries) ---------------------------------------------------------------------
def test_a_write_that_bypassed_the_checks_is_found_at_free_and_nothing_changes():
    debug = DebugAllocator()
    p = debug.alloc(10)
    debug.memory.write(p + 10, b"!")  # an unchecked write, one past the end
    with pytest.raises(HeapCorruption, match="right redzone of block"):
        debug.check()
    before = state(debug)
    with pytest.raises(HeapBufferOverflow) as caught:
        debug.free(p)
    assert "right redzone was overwritten before this free" in str(caught.value)
    assert caught.value.address == p + 10
    assert state(debug) == before


def test_without_halt_a_damaged_redzone_is_reported_repaired_and_the_free_done():
    debug = DebugAllocator(halt=False)
    p = debug.alloc(10)
    debug.memory.write(p - 1, b"?")
    debug.free(p)
    assert [r.error_type for r in debug.reports] == [HeapBufferUnderflow]
    assert p not in debug.live()
    debug.check()


def test_redzones_and_quarantine_show_in_the_layout():
    debug = DebugAllocator(redzone=16)
    p = debug.alloc(24, 32)
    q = debug.alloc(8)
    debug.free(q)
    live, dead = [b for b in debug.layout() if b.state in ("allocated", "dead")]
    assert (live.payload, live.header, live.requested, live.label) == (p, 32, 24, "redzones")
    assert live.end - live.footer == p + 24
    assert (dead.state, dead.label) == ("dead", "quarantined")
    debug.check()


# -- definedness ----------------------------------------------------------------------------------
def test_calloc_memset_and_writes_define_bytes_malloc_does_not():
    heap = debug_heap()
    assert heap.calloc(4, 2).u64[0] == 0
    p = heap.malloc(8)
    heap.memset(p, 7, 4)
    assert p.u32[0] == 0x07070707
    with pytest.raises(UninitialisedRead) as caught:
        p.u64[0]
    assert "byte 4 of the block was never written" in str(caught.value)
    assert "Uninitialized value was created by a heap allocation" in str(caught.value.report)


def test_definedness_travels_with_realloc_and_memcpy():
    heap = debug_heap()
    p = heap.malloc(4)
    p.u16[0] = 1  # bytes 0-1 defined, 2-3 not
    blocker = heap.malloc(4)
    q = heap.realloc(p, 64)
    assert q != p and q.u16[0] == 1
    with pytest.raises(UninitialisedRead):
        q.u16[1]
    r = heap.malloc(4)
    heap.memcpy(r, q, 4)  # copying undefined bytes is fine ...
    assert r.u16[0] == 1
    with pytest.raises(UninitialisedRead):
        r.u16[1]  # ... using them is not
    heap.free(blocker)


# -- leaks ------------------------------------------------------------------------------------------
def test_roots_make_blocks_reachable_and_interior_pointers_possibly_lost():
    heap = debug_heap()
    table = heap.malloc(16)
    kept = heap.malloc(8)
    inner = heap.malloc(32)
    table.ptr[0] = kept
    table.ptr[1] = inner + 8  # only an interior pointer to inner
    lost = heap.malloc(8)
    lost.u64[0] = 0
    report = heap.leak_check(roots=[table])
    assert [b.payload for b in report.of("reachable")] == [int(table), int(kept)]
    assert [b.payload for b in report.of("possibly")] == [int(inner)]
    assert [b.payload for b in report.of("direct")] == [int(lost)]
    assert "possibly lost: 32 bytes in 1 blocks" in report.memcheck()
    assert "still reachable: 24 bytes in 2 blocks" in report.memcheck()
    assert report.leaked_bytes == 8 and "SUMMARY: LeakCheck: 8 byte(s) leaked in 1 allocation(s)." in str(report)
    assert type(report.error()) is MemoryLeak


def test_no_live_blocks_means_no_leak_report():
    heap = debug_heap()
    heap.free(heap.malloc(8))
    report = heap.leak_check()
    assert not report and "no leaks" in report.lsan()


# -- recording ------------------------------------------------------------------------------------
def test_recording_shows_the_bug_and_blocks_leaving_quarantine():
    debug = DebugAllocator(reusing(), quarantine=0, halt=False)
    with debug.record() as rec:
        p = debug.alloc(16)
        debug.free(p)
        debug.free(p)
    kinds = [k for k in rec.recording.kinds() if k in ("alloc", "free", "released", "bugcaught")]
    assert kinds == ["alloc", "released", "free", "bugcaught"]
    assert len(rec.recording.kinds()) > 4  # the child's own events (split, coalesce) come through
    assert isinstance(rec.recording.events[-1], BugCaught)
    assert "caught: double-free" in rec.recording.script()
    assert any(isinstance(e, Released) for e in rec.recording.events)


# -- bad input never breaks it ----------------------------------------------------------------
GARBAGE = [None, True, -1, 0, 1, 3, 0x7F8, 2**64, 2**200, -(2**70), 1.5, "0x10", b"", [], object()]


@pytest.mark.parametrize("halt", [True, False])
def test_garbage_arguments_give_typed_errors_and_leave_the_heap_intact(halt):
    debug = DebugAllocator(reusing(), halt=halt)
    p = debug.alloc(24)
    debug.store(p, b"x" * 24)
    q = debug.alloc(8)
    debug.free(q)
    calls = [debug.free, debug.resize, debug.realloc, debug.remap, debug.load, debug.store, debug.alloc]
    calls += [debug.calloc, debug.fill, debug.copy]
    errors = 0
    for call in calls:
        for a in GARBAGE + [p + 1, p - 1, q, p + 24, p + 40]:
            for b in (0, -3, 2**40, "8", None, b"ab", 8):
                args = (a,) if call == debug.free else (a, b, 4) if call in (debug.fill, debug.copy) else (a, b)
                before = state(debug.inner)
                try:
                    call(*args)
                except MemlabError:
                    errors += 1
                    assert state(debug.inner) == before, (call.__name__, args)
                debug.check()
                debug.inner.check()
    assert errors > 300
    assert len(debug.reports) > (0 if halt else 100)


def test_garbage_never_raises_anything_but_memlab_errors():
    hypothesis = pytest.importorskip("hypothesis")
    from hypothesis import strategies as st

    value = st.one_of(st.integers(-(2**70), 2**70), st.sampled_from(GARBAGE), st.text(max_size=2))

    @hypothesis.settings(max_examples=150, deadline=None)
    @hypothesis.given(st.lists(st.tuples(st.integers(0, 6), value, value), max_size=25), st.booleans())
    def run(ops, halt):
        debug = DebugAllocator("bump:size=4096", halt=halt)
        live = []
        for op, a, b in ops:
            try:
                if op == 0:
                    live.append(debug.alloc(abs(a) % 300 + 1 if isinstance(a, int) else a))
                elif op == 1:
                    debug.free(live.pop() if live and isinstance(a, int) and a % 2 else a)
                elif op == 2:
                    debug.load(a, b)
                elif op == 3:
                    debug.store(a, b if isinstance(b, bytes) else b"z")
                elif op == 4:
                    debug.realloc(live[-1] if live else a, b)
                elif op == 5:
                    debug.resize(a, b)
                else:
                    debug.leak_check(roots=[a] if isinstance(a, int) else [])
            except MemlabError:
                pass
            debug.check()

    run()


def test_option_errors_are_typed():
    with pytest.raises(BadRequest):
        DebugAllocator(redzone=-1)
    with pytest.raises(BadRequest):
        DebugAllocator(quarantine="big")
    with pytest.raises(BadRequest):
        ManualHeap("bump", redzone=8)  # debug options without debug=True
    with pytest.raises(BadSize):
        DebugAllocator().calloc(-1, -8)
    with pytest.raises(BadRequest):
        ManualHeap("bump").leak_check()


# -- pointers ------------------------------------------------------------------------------------
def test_pointer_arithmetic_and_typed_views():
    heap = debug_heap()
    p = heap.malloc(16)
    p.f64[0] = 2.5
    (p + 8).i32[0] = -7
    p.u8[12] = 255
    assert p.f64[0] == 2.5 and p.i32[2] == -7 and (p + 12).u8[0] == 255
    assert (p + 8) - p == 8 and (p + 8) - 8 == p and p < p + 1 and bool(p) and not heap.NULL
    assert repr(heap.NULL) == "NULL" and repr(p) == f"Ptr({int(p):#x})"
    with pytest.raises(BadRequest):
        p.u8[0] = 256
    with pytest.raises(BadRequest):
        p.u8["0"]
    with pytest.raises(AttributeError):
        _ = p.u128
    with pytest.raises(BadRequest):
        Ptr(heap, 1.0)
    other = debug_heap()
    with pytest.raises(BadRequest):
        heap.free(other.malloc(8))


def test_property_suite_holds_for_the_debug_allocator_on_every_allocator():
    from memlab.allocators import REGISTRY
    from memlab.contract import hints_for, random_walk

    for name in memlab.names():
        if name in ("debug", "stack") or REGISTRY[name].free_order != "any":
            continue
        entry = REGISTRY[name]
        hints = {**hints_for(name), "returns_to_empty": False}
        widest = max(a or 8 for a in hints["aligns"])
        hints["max_request"] -= 16 + max(16, widest)  # leave room for the redzones
        factory = lambda e=entry: DebugAllocator(e.factory(**e.test_options))  # noqa: E731
        harness = random_walk(factory, ops=600, seed=5, **hints)
        assert harness.heap.stats().allocs > 0
