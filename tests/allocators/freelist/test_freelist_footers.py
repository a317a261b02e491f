"""``footers="free"``: allocated blocks without footers (CS:APP 3e, homework 9.18).

Checked in the simulated bytes (a header only, the payload running over the old footer word,
the "free on my left" bit), through coalescing and realloc, against lying tags and bad options,
under the property suite, and on the shipped real traces.
"""

import pytest
from test_freelist import word
from test_freelist_refinements import walk_heaps

from memlab import BadRequest, HeapCorruption
from memlab.allocators.freelist.heap import FreeListHeap
from memlab.allocators.freelist.tags import ALLOC, PREV_FREE
from memlab.traces import replay, shipped
from memlab.viz.tags import tags_text


def footless(**kw):
    return FreeListHeap(chunk=256, footers="free", **kw)


def header(heap, bp):
    return word(heap, bp - 4)


@pytest.mark.parametrize(
    "request_,block,with_footers",
    [(1, 16, 16), (12, 16, 24), (13, 24, 24), (20, 24, 32), (24, 32, 32), (28, 32, 40), (29, 40, 40)],
)
def test_a_request_costs_four_bytes_of_tags_not_eight(request_, block, with_footers):
    for heap, size in ((footless(), block), (FreeListHeap(chunk=256), with_footers)):
        bp = heap.alloc(request_)
        assert header(heap, bp) & ~7 == size


def test_the_payload_runs_over_the_word_where_the_footer_was():
    heap = footless()
    a = heap.alloc(20)  # a 24-byte block: header, then 20 bytes up to the next header
    b = heap.alloc(20)
    heap.memory.write(a, bytes(range(1, 21)))
    assert b - a == 24 and header(heap, a) == 24 | ALLOC
    heap.check()
    assert heap.memory.read(a, 20) == bytes(range(1, 21)) and header(heap, b) == 24 | ALLOC


def test_freeing_a_block_tells_its_right_neighbour_and_reallocating_takes_it_back():
    heap = footless(list="explicit")
    a, b, c = heap.alloc(20), heap.alloc(20), heap.alloc(20)
    heap.free(b)
    assert word(heap, b - 4) == word(heap, b + 16) == 24, "a free block keeps header and footer, just its size"
    assert header(heap, c) == 24 | PREV_FREE | ALLOC
    heap.check()
    assert heap.alloc(20) == b
    assert header(heap, c) == 24 | ALLOC
    heap.free(a)  # case 1: the prologue and b are allocated; b learns a is free
    assert header(heap, b) == 24 | PREV_FREE | ALLOC
    heap.free(c)  # case 2: c merges with the free rest of the chunk
    assert header(heap, c) == 256 - 48
    heap.free(b)  # case 4: b reads a's footer only because its bit says so
    assert heap.reclaimed()
    heap.check()


def test_the_four_cases_of_coalescing_without_allocated_footers():
    heap = footless()
    blocks = [heap.alloc(20) for _ in range(7)]  # 7 x 24 bytes, then a free rest of 88: the 256-byte chunk
    cases = []
    for k in (1, 2, 4, 6, 0, 5, 3):
        with heap.record(snapshots=False) as rec:
            heap.free(blocks[k])
        cases.append(rec.recording.events[-1].case)
        heap.check()
        told = rec.recording.events[-1].told
        assert told and word(heap, told) & PREV_FREE, "the event names the header that learned its left is free"
    assert cases == [1, 3, 1, 2, 2, 4, 4]
    caption = rec.recording.events[-1].describe()
    assert caption.endswith(f"the header at {told:#x} now says the block to its left is free")
    assert [(b.state, b.size) for b in heap.layout() if b.state != "metadata"] == [("free", 256)]


def test_realloc_in_place_keeps_the_bit_that_says_the_left_neighbour_is_free():
    heap = footless(list="explicit", grow="top-up")
    a, b, c = heap.alloc(40), heap.alloc(40), heap.alloc(40)
    heap.free(a)
    assert heap.realloc(b, 16) == b  # shrink: the tail becomes free and merges with nothing
    assert header(heap, b) == 24 | PREV_FREE | ALLOC
    assert header(heap, b + 24) == 24 and header(heap, c) & PREV_FREE
    assert heap.realloc(b, 40) == b  # grow back into the freed tail
    assert header(heap, b) == 48 | PREV_FREE | ALLOC and not header(heap, c) & PREV_FREE
    heap.check()
    assert heap.realloc(c, 400) == c  # the last block grows at the heap's end
    assert header(heap, c) == 408 | ALLOC
    heap.check()


@pytest.mark.parametrize(
    "damage,message",
    [
        (PREV_FREE | ALLOC | 24, r"block 0x[0-9a-f]+ says the block to its left is free, but it is allocated"),
        (4 | ALLOC | 24, r"stray bits below the allocated bit"),
    ],
)
def test_check_names_a_header_that_lies_about_its_left_neighbour(damage, message):
    heap = footless()
    _, b = heap.alloc(20), heap.alloc(20)
    heap.memory.write_word(b - 4, damage, 4)
    with pytest.raises(HeapCorruption, match=message):
        heap.check()


def test_check_names_a_block_that_forgot_its_left_neighbour_is_free():
    heap = footless()
    a, b = heap.alloc(20), heap.alloc(20)
    heap.free(a)
    heap.memory.write_word(b - 4, 24 | ALLOC, 4)
    lie = f"block {b - 4:#x} says the block to its left is allocated, but it is free"
    with pytest.raises(HeapCorruption, match=lie):
        heap.check()


def test_bad_options_are_refused_before_anything_is_built():
    with pytest.raises(BadRequest, match="footers='free' needs coalesce='immediate'"):
        FreeListHeap(footers="free", coalesce="deferred")
    with pytest.raises(BadRequest, match="freelist footers='none': choose one of all, free"):
        FreeListHeap(footers="none")
    assert "footers=free" in repr(footless()) and "footers" not in repr(FreeListHeap())


def test_the_tags_view_shows_a_header_only_and_the_left_bit():
    heap = footless(list="explicit")
    a, b = heap.alloc(20), heap.alloc(20)
    heap.free(a)
    text = tags_text(heap.snapshot())
    assert f"{b - 4:#06x}  1b 00 00 00  header: size 24, allocated, the block to its left is free" in text
    assert "footer: size 24, allocated" not in text and "footer: size 24, free" in text


@pytest.mark.parametrize(
    "options",
    [
        {"list": "implicit", "fit": "first"},
        {"list": "implicit", "fit": "next"},
        {"list": "explicit", "fit": "best", "order": "address", "place": "back", "grow": "top-up"},
        {"list": "explicit", "fit": "first", "order": "lifo", "place": "by-size"},
        {"list": "segregated", "fit": "worst", "place": "back", "grow": "top-up"},
    ],
)
@pytest.mark.extended  # every option and pair of options also walks, shorter, in test_contract.py
def test_property_suite_without_allocated_footers(options):
    harness = walk_heaps(11, footers="free", **options)
    assert harness.steps >= 10_000


def test_the_shipped_real_traces_replay_checked_and_pack_tighter():
    spec = "freelist:list=explicit,fit=best,order=address,place=back,grow=top-up"
    ls = shipped.load("ls-zoneinfo")
    assert replay(ls, spec + ",footers=free", check=True, progress=False).errors == 0
    for trace in shipped.load_all():
        plain = replay(trace, spec, progress=False)
        lean = replay(trace, spec + ",footers=free", progress=False)
        assert lean.peak_live_bytes == plain.peak_live_bytes
        assert lean.heap_bytes <= plain.heap_bytes, trace.name
    python = shipped.load("python-startup")
    lean, plain = (replay(python, spec + extra, progress=False).utilization for extra in (",footers=free", ""))
    assert lean - plain > 0.005, "thousands of small blocks: 4 bytes each show"
