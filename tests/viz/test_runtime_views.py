"""The views of pymalloc and mimalloc, and their lecture demos: what a learner sees drawn and written."""

import re

import pytest

import memlab
import memlab.demos
from memlab.allocators.mimalloc import MiMalloc
from memlab.allocators.pymalloc import PyMalloc
from memlab.viz import keys
from memlab.viz.mimalloc import mimalloc_svg
from memlab.viz.pymalloc import pymalloc_svg


def test_the_pymalloc_view_draws_arenas_usedpools_and_a_pools_free_list():
    heap = PyMalloc(arena_size=64 << 10, pool_size=4096)
    blocks = [heap.alloc(480) for _ in range(3)]
    heap.free(blocks[0])
    heap.free(blocks[1])
    svg = pymalloc_svg(heap.snapshot())
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "pymalloc: 1 arena(s), 1 pool(s) in use" in svg and "15 free pools" in svg
    assert "[29] 480 B" in svg and "0x3ff0000  1/8" in svg  # usedpools[29]: one pool, 1 of 8 in use
    assert "freeblock → 0x3ff0210 → 0x3ff0030 → 0x3ff05d0 → NULL" in svg  # LIFO, then the next untouched block
    assert "pool header: 48 bytes" in svg and "64 KiB arenas of 16 pools of 4 KiB" in svg
    assert 'stroke-dasharray="3 2"' in svg  # pools not carved yet: white, dashed (not colour alone)


def test_the_pymalloc_view_outlines_the_pool_an_event_names():
    heap = PyMalloc(arena_size=64 << 10, pool_size=4096)
    with heap.record() as rec:
        heap.alloc(100)
    taken = rec.recording[2]
    assert taken.event.kind == "pooltaken"
    plain = pymalloc_svg(taken.snapshot)
    marked = pymalloc_svg(taken.snapshot, event=taken.event)
    assert marked.count('stroke="#000000"') > plain.count('stroke="#000000"')


def test_the_mimalloc_view_draws_each_list_with_a_letter_as_well_as_a_colour():
    heap = MiMalloc()
    blocks = [heap.alloc(1000, thread=1) for _ in range(4)]
    heap.free(blocks[0], thread=1)
    heap.free(blocks[1], thread=2)
    heap.free(blocks[2], thread=2)
    svg = mimalloc_svg(heap.snapshot())
    assert "mimalloc: 1 thread heap(s), 1 page(s)" in svg
    assert "The page at 0x3c10000: 1024-byte blocks of thread 1" in svg
    assert "local_free (1): 0x3c10180" in svg
    assert "thread_free (1): 0x3c10980" in svg
    assert "owner&#x27;s delayed (1): 0x3c10580" in svg  # the apostrophe, escaped in SVG
    assert "delayed free list: 1 block(s)" in svg
    for letter in ("f", "L", "T", "D"):
        assert f'text-anchor="middle" font-weight="normal">{letter}</text>' in svg


def drawn_keys(svg: str) -> list[str]:
    return re.findall(r'data-key="([^"]+)"', svg)


def test_the_pymalloc_view_keys_every_pool_of_an_arena_and_every_block_of_the_pool_it_shows():
    heap = PyMalloc(arena_size=64 << 10, pool_size=4096)
    blocks = [heap.alloc(480) for _ in range(3)]
    heap.free(blocks[1])
    found = drawn_keys(pymalloc_svg(heap.snapshot()))
    pools = [keys.pool(0x3FF0000 + i * 4096) for i in range(16)]  # carved or not: a pool to click
    assert [k for k in found if k.startswith("q:") and "#" not in k] == pools
    assert [k for k in found if k.startswith("b:")] == [keys.block(0x3FF0030 + i * 480) for i in range(8)]
    assert keys.piece(keys.pool(0x3FF0000), 1) in found  # its entry in usedpools[29] glides with it
    assert len(found) == len(set(found))
    assert '<g data-name="block 0x3ff0210" data-key="b:0x3ff0210">' in pymalloc_svg(heap.snapshot())


def test_the_mimalloc_view_keys_every_block_of_the_pages_it_shows():
    heap = MiMalloc()
    blocks = [heap.alloc(1000, thread=1) for _ in range(4)]
    heap.free(blocks[2], thread=2)
    svg = mimalloc_svg(heap.snapshot())
    found = drawn_keys(svg)
    page = heap.page_of(blocks[0])
    assert found == [keys.block(page.start + i * 1024) for i in range(page.reserved)]
    assert f'<g data-name="block {blocks[2]:#x}" data-key="{keys.block(blocks[2])}">' in svg


def test_the_views_refuse_other_snapshots():
    with pytest.raises(TypeError, match="draws a PyMallocSnapshot, not HeapSnapshot"):
        pymalloc_svg(memlab.allocator("bump").snapshot())
    with pytest.raises(TypeError, match="draws a MiMallocSnapshot, not PyMallocSnapshot"):
        mimalloc_svg(PyMalloc().snapshot())


def test_the_pymalloc_demo_reuses_the_block_just_freed():
    player = memlab.demos.demo("pymalloc")
    script = player.recording.script()
    assert "the pool at 0x3ff0000 was full: it goes back to the front of usedpools" in script
    freed = "free the 480-byte block at 0x3ff03f0"
    assert script.index(freed) < script.index("alloc 480 bytes at 0x3ff03f0", script.index(freed))
    assert "is taken from the head of arena 0's freepools" in script
    player.seek(-1)
    assert player.caption.endswith("one mmap for the arena: every other request only took a block from a pool")


def test_the_mimalloc_demo_collects_both_lists_when_free_runs_out():
    player = memlab.demos.demo("mimalloc")
    script = player.recording.script()
    assert "thread 2: free the 1000-byte block at 0x3c10980: pushed on thread 1's delayed free list" in script
    assert "pushed on the thread_free list of thread 1's page at 0x3c10000" in script
    assert "collects 2 freed by the owner (local_free) and 1 freed by other threads (thread_free)" in script
    player.seek(-1)
    assert "no lock was taken" in player.caption
