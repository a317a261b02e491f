"""The thread-caching view and its lecture demo: what a learner sees drawn and written."""

import pytest

import memlab.demos
from memlab.allocators.tcmalloc.info import Refill
from memlab.allocators.tcmalloc.tcmalloc import TCMalloc
from memlab.viz.tcmalloc import tcmalloc_svg


def test_the_view_draws_all_three_ends_and_counts_the_locks():
    heap = TCMalloc()
    heap.free(heap.alloc(64, thread=1), thread=1)
    heap.alloc(40_000, thread=2)
    svg = tcmalloc_svg(heap.snapshot())
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "locks taken: 4 for 3 mallocs and frees" in svg
    assert "thread 1" in svg and "1 / 2" in svg  # one object cached, the list may hold two
    assert "central: 127 free objects on 1 span" in svg
    assert "large 40 KiB" in svg and "free pages" in svg


def test_the_view_outlines_the_thread_and_class_of_a_refill():
    heap = TCMalloc()
    heap.alloc(64, thread=3)
    plain = tcmalloc_svg(heap.snapshot())
    marked = tcmalloc_svg(heap.snapshot(), event=Refill(1, 3, 64, 1, "central free list"))
    assert marked.count('stroke="#000000"') > plain.count('stroke="#000000"')


def test_the_view_refuses_other_snapshots():
    with pytest.raises(TypeError, match="draws a TCMallocSnapshot, not HeapSnapshot"):
        tcmalloc_svg(memlab.allocator("bump").snapshot())


def test_the_demo_ends_with_few_locks_for_many_operations():
    player = memlab.demos.demo("tcmalloc")
    player.seek(-1)
    assert 10 <= len(player.recording) <= 41
    assert player.caption.endswith("29 mallocs and frees took 10 locks; one lock around the heap would have taken 29")
    assert "locks taken: 10 for 29 mallocs and frees" in player.html
    assert "thread 2: alloc 40000 bytes" in player.recording.script()
    assert "it takes 3 from the central free list" in player.recording.script()
