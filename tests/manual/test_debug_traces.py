"""No false positives on real programs: the shipped real traces run under the DebugAllocator
with zero bug reports, even when every byte of every block is written and read back."""

import pytest

from memlab.manual import DebugAllocator, ManualHeap
from memlab.traces import replay, shipped

INNER = "freelist:list=segregated"


@pytest.mark.parametrize("name", shipped.names())
def test_a_real_trace_replays_under_the_debug_allocator_with_zero_reports(name):
    trace = shipped.load(name).balanced()
    heap = DebugAllocator(INNER, halt=True, sites=False)
    result = replay(trace, heap, progress=False, label="debug")
    assert (result.errors, result.stopped) == (0, None), result.messages
    assert heap.reports == []
    assert result.peak_live_bytes == trace.peak_live_bytes
    assert not heap.leak_check(), "a balanced trace frees every block: nothing leaks"


@pytest.mark.parametrize("name", ["sort", "ls-zoneinfo"])
def test_every_byte_written_and_read_back_through_checked_pointers(name):
    """Like the program itself: fill each block when it is made, read it all before it is freed."""
    trace = shipped.load(name)
    heap = ManualHeap(INNER, debug=True, sites=False)
    blocks, sizes = {}, {}
    for kind, ident, size in trace.ops:
        if kind == "f":
            p = blocks.pop(ident)
            assert p.read(sizes[ident]) == bytes([ident & 0xFF]) * sizes[ident]
            heap.free(p)
            continue
        p = blocks[ident] = heap.malloc(size) if kind == "a" else heap.realloc(blocks[ident], size)
        sizes[ident] = size
        heap.memset(p, ident & 0xFF, size)
    assert heap.reports == []
    leaks = heap.leak_check()
    assert blocks and len(leaks.leaks) == len(blocks), "what the program never freed, and nothing else, is reported"
