"""pymalloc (CPython 3.11's obmalloc): size classes, pools and their headers in the simulated bytes,
usedpools, freepools, usable_arenas in order, arena release, CPython's realloc rule, the report of
sys._debugmallocstats(), and the contract in every variant."""

from __future__ import annotations

import pytest

import memlab
from memlab.allocators.pymalloc import POOL_OVERHEAD, MallocStats, PyMalloc, size_class
from memlab.errors import HeapCorruption, InvalidFree

SMALL = {"arena_size": 64 << 10, "pool_size": 4096}  # 16 pools of 4 KiB per arena: small enough to fill


def test_size_classes_are_16_bytes_apart_up_to_512():
    heap = PyMalloc()
    assert [size_class(n) for n in (1, 16, 17, 32, 33, 511, 512)] == [0, 0, 1, 1, 2, 31, 31]
    for request, block in [(1, 16), (16, 16), (17, 32), (20, 32), (500, 512), (512, 512)]:
        with heap.record() as rec:
            heap.alloc(request)
        assert rec.recording.events[-1].block_size == block
    big = heap.alloc(513)
    assert not heap.address_in_range(big)
    assert heap.raw_allocated_blocks == 1


def test_a_pool_header_and_its_free_list_live_in_the_simulated_bytes():
    heap = PyMalloc()
    a = heap.alloc(20)
    pool = heap.pool_of(a)
    assert a == pool + POOL_OVERHEAD  # the first block follows the 48-byte header
    h = heap.header(pool)
    assert h["ref.count"] == 1 and h["szidx"] == 1
    assert h["freeblock"] == a + 32  # only the second block is set up: obmalloc touches nothing early
    assert h["nextoffset"] == POOL_OVERHEAD + 2 * 32 and h["maxnextoffset"] == (16 << 10) - 32
    assert heap.memory.read_word(a + 32) == 0  # the free list ends there
    heap.free(a)  # a goes to the front of the free list, and its first word links to the old head
    assert heap.header(pool)["freeblock"] == a and heap.memory.read_word(a) == a + 32


def test_numblocks_and_the_pool_tail():
    heap = PyMalloc()
    assert heap.numblocks[0] == (16384 - 48) // 16 == 1021
    assert heap.numblocks[31] == 31
    small = PyMalloc(pool_size=4096, arena_size=256 << 10)
    assert small.numblocks[31] == 7


def test_freed_blocks_are_reused_last_in_first_out():
    heap = PyMalloc()
    a, b, c = (heap.alloc(40) for _ in range(3))
    heap.free(b)
    heap.free(a)
    assert heap.alloc(40) == a and heap.alloc(40) == b
    assert heap.alloc(40) == c + 48  # then the untouched blocks, in address order


def test_a_full_pool_leaves_usedpools_and_returns_to_its_front():
    heap = PyMalloc()
    first = [heap.alloc(512) for _ in range(31)]  # one pool of 31 blocks, now full
    pool_a = heap.pool_of(first[0])
    assert heap.usedpools[31] == 0
    nxt = heap.alloc(512)
    pool_b = heap.pool_of(nxt)
    assert pool_b != pool_a and heap.used_list(31) == [pool_b]
    with heap.record() as rec:
        heap.free(first[5])
    assert rec.recording.kinds() == ["free", "poolback"]
    assert heap.used_list(31) == [pool_a, pool_b]
    assert heap.alloc(512) == first[5]  # the next request reuses the block just freed


def test_an_empty_pool_goes_to_freepools_and_serves_any_class_next():
    heap = PyMalloc()
    a = heap.alloc(100)
    pool = heap.pool_of(a)
    with heap.record() as rec:
        heap.free(a)
    assert rec.recording.kinds() == ["free", "poolempty", "arenakept"]
    ao = heap.arenas[0]
    assert heap.freepools(ao) == [pool] and heap.usedpools[size_class(100)] == 0
    with heap.record() as rec:
        b = heap.alloc(300)
    assert heap.pool_of(b) == pool and b == pool + POOL_OVERHEAD
    assert rec.recording.events[0].how == "reused"
    heap.free(b)
    with heap.record() as rec:
        c = heap.alloc(300)  # same class as before: header and free list are kept
    assert rec.recording.events[0].how == "reused-same" and c == b


def test_each_frame_of_a_step_shows_the_heap_as_its_event_left_it():
    """A free that moves its pool, and a pool taken for a new class, are drawn in their own frames."""
    heap = PyMalloc(**SMALL)
    first = [heap.alloc(480) for _ in range(8)]  # one full pool of 480-byte blocks
    other = heap.alloc(480)
    pool_a, pool_b = heap.pool_of(first[0]), heap.pool_of(other)
    small = heap.alloc(30)
    with heap.record() as rec:
        heap.free(first[2])  # the full pool goes back to the front of usedpools
        heap.free(small)  # its pool empties
        heap.alloc(100)  # ... and serves the 112-byte class
    frames = {f.event.kind: f.snapshot for f in reversed(rec.recording) if f.event is not None}  # the first of each
    assert frames["free"].usedpools[29] == (pool_b,)  # the free itself, before the pool moves
    assert frames["poolback"].usedpools[29] == (pool_a, pool_b)
    taken = next(p for p in frames["pooltaken"].pools if p.address == heap.pool_of(small))
    assert (taken.size, taken.count) == (112, 1)  # its new class, not the one it held before


def fill_two_arenas() -> tuple[PyMalloc, list[int]]:
    """Two full arenas of 16 pools each: every 4 KiB pool holds seven 512-byte blocks."""
    heap = PyMalloc(**SMALL)
    blocks = [heap.alloc(512) for _ in range(7 * 32)]  # 32 full pools: two full arenas
    return heap, blocks


def test_usable_arenas_stay_sorted_by_free_pools_with_nfp2lasta():
    heap, blocks = fill_two_arenas()
    assert heap.narenas_currently_allocated == 2 and heap.usable_arenas is None
    by_pool: dict[int, list[int]] = {}
    for b in blocks:
        by_pool.setdefault(heap.pool_of(b), []).append(b)
    pools = sorted(by_pool)
    arena0 = [p for p in pools if heap.arenas[0].address <= p < heap.arenas[0].address + (64 << 10)]
    arena1 = [p for p in pools if p not in arena0]
    for b in by_pool[arena0[0]]:  # empty one pool of arena 0: it becomes usable with 1 free pool
        heap.free(b)
    assert [ao.index for ao in heap.usable_list()] == [0]
    for pool in arena1[:3]:  # empty three pools of arena 1
        for b in by_pool[pool]:
            heap.free(b)
    assert [(ao.index, ao.nfreepools) for ao in heap.usable_list()] == [(0, 1), (1, 3)]
    for b in by_pool[arena0[1]] + by_pool[arena0[2]] + by_pool[arena0[3]]:  # arena 0 reaches 4 free pools
        heap.free(b)
    assert [(ao.index, ao.nfreepools) for ao in heap.usable_list()] == [(1, 3), (0, 4)]
    assert heap.nfp2lasta[3] is heap.arenas[1] and heap.nfp2lasta[4] is heap.arenas[0]
    heap.check()
    new = heap.alloc(16)  # a new pool comes from the fullest usable arena: arena 1
    assert heap.arenas[1].address <= new < heap.arenas[1].address + (64 << 10)


def test_an_arena_slides_right_when_it_gains_free_pools():
    heap, blocks = fill_two_arenas()
    by_pool: dict[int, list[int]] = {}
    for b in blocks:
        by_pool.setdefault(heap.pool_of(b), []).append(b)
    pools = sorted(by_pool, key=lambda p: (p < heap.arenas[0].address or p >= heap.arenas[0].address + (64 << 10), p))
    for b in by_pool[pools[16]] + by_pool[pools[17]]:  # arena 1: 2 free pools
        heap.free(b)
    for b in by_pool[pools[0]]:  # arena 0: 1 free pool, at the head
        heap.free(b)
    assert [ao.index for ao in heap.usable_list()] == [0, 1]
    with heap.record() as rec:
        for b in by_pool[pools[1]] + by_pool[pools[2]]:
            heap.free(b)
    moves = [e for e in rec.recording.events if e.kind == "arenamove"]
    assert [(m.index, m.nfreepools, m.after) for m in moves] == [(0, 3, 1)]
    assert [ao.index for ao in heap.usable_list()] == [1, 0]
    heap.check()


def test_an_entirely_free_arena_is_unmapped_unless_it_is_the_last_usable_one():
    heap, blocks = fill_two_arenas()
    first_arena = heap.arenas[0].address
    in_first = [b for b in blocks if first_arena <= b < first_arena + (64 << 10)]
    in_second = [b for b in blocks if b not in in_first]
    footprint = heap.footprint
    for b in in_second[:7]:
        heap.free(b)  # arena 1 is usable (1 free pool); arena 0 still full
    with heap.record() as rec:
        for b in in_first:
            heap.free(b)
    assert "arenafree" not in rec.recording.kinds()  # arena 0 is the last in usable_arenas: kept
    assert "arenakept" in rec.recording.kinds()
    assert heap.narenas_currently_allocated == 2
    with heap.record() as rec:
        for b in in_second[7:]:
            heap.free(b)
    assert rec.recording.kinds().count("arenafree") == 1  # arena 1 empties while arena 0 follows it
    assert heap.narenas_currently_allocated == 1 and heap.footprint == footprint - (64 << 10)
    assert heap.mallocstats().arenas_reclaimed == 1
    assert heap.reclaimed()
    heap.check()


def test_cpythons_realloc_rule_keeps_a_block_unless_a_quarter_can_be_saved():
    heap = PyMalloc()
    a = heap.alloc(500)  # the 512-byte class
    assert heap.realloc(a, 400) == a  # 4 * 400 > 3 * 512: stays
    assert heap.realloc(a, 512) == a  # grows within the class: stays
    b = heap.realloc(a, 300)  # 4 * 300 <= 3 * 512: copied to the 304-byte class
    assert b != a and heap.pool_of(b) != heap.pool_of(a)
    assert heap.resize(b, 290) and not heap.resize(b, 400)
    big = heap.alloc(4000)
    assert heap.realloc(big, 100) == big  # the C library keeps its block (PyMem_RawRealloc)
    assert not heap.address_in_range(big) and heap.live()[big] == 100
    heap.check()


def test_arena_offsets_lose_a_pool_to_alignment_as_cpython_does():
    heap = PyMalloc(arena_offsets=[4096])
    a = heap.alloc(16)
    ao = heap.arenas[0]
    assert ao.address % (16 << 10) == 4096 and ao.ntotalpools == 63
    assert heap.pool_of(a) == ao.address + (16 << 10) - 4096
    stats = heap.mallocstats()
    assert stats.alignment_bytes == 16384 and stats.unused_pools == 62 and stats.total == 1 << 20
    assert heap.footprint == 1 << 20
    with pytest.raises(memlab.BadRequest, match="multiples of the 4096-byte page"):
        PyMalloc(arena_offsets=[100])


def test_the_report_is_printed_as_cpython_prints_it_and_read_back():
    heap = PyMalloc()
    blocks = [heap.alloc(n) for n in (10, 20, 20, 100, 500, 600)]
    heap.free(blocks[1])
    stats = heap.mallocstats()
    text = stats.text()
    assert "class   size   num pools   blocks in use  avail blocks" in text
    assert "    0     16           1               1          1020" in text
    assert "    1     32           1               1           509" in text
    assert "# arenas allocated total           =                    1" in text
    assert "60 unused pools * 16384 bytes      =              983,040" in text  # 4 pools in use
    assert text.endswith("Total                              =            1,048,576")
    assert MallocStats.parse(text) == stats
    assert stats.differences(stats) == []
    other = PyMalloc()
    other.alloc(10)
    assert "class 1 (32 bytes): pools 1 != 0" in stats.differences(other.mallocstats())


def test_a_report_without_pymalloc_is_a_clear_error():
    with pytest.raises(memlab.BadRequest, match="no pymalloc report found"):
        MallocStats.parse("nothing here")


def test_bad_frees_are_typed_errors_and_change_nothing():
    heap = PyMalloc()
    a = heap.alloc(64)
    before = heap.snapshot()
    with pytest.raises(InvalidFree, match="interior pointer, 8 bytes inside the 64-byte block"):
        heap.free(a + 8)
    assert heap.snapshot().blocks == before.blocks
    heap.free(a)
    with pytest.raises(memlab.DoubleFree):
        heap.free(a)


def test_check_names_a_corrupted_pool_header():
    heap = PyMalloc()
    a = heap.alloc(64)
    heap.alloc(64)
    heap.memory.write_word(heap.pool_of(a), 7, 4)  # ref.count says 7 blocks in use
    with pytest.raises(HeapCorruption, match=r"the pool 0x[0-9a-f]+ counts 7 blocks in use, 2 are live"):
        heap.check()


def test_check_names_a_free_list_that_points_outside_its_pool():
    heap = PyMalloc()
    a, b = heap.alloc(64), heap.alloc(64)
    heap.free(a)
    heap.memory.write_word(a, b + 4096 * 8)  # the freed block's link now points far away
    with pytest.raises(HeapCorruption, match="lists 0x[0-9a-f]+ as free, not one of its handed-out blocks"):
        heap.check()


def test_out_of_memory_for_an_arena_falls_back_to_the_child_as_cpython_does():
    heap = PyMalloc(limit=1 << 20, child="page")  # too little room for a 1 MiB arena
    a = heap.alloc(16)
    assert not heap.address_in_range(a) and heap.raw_allocated_blocks == 1
    heap.check()


def test_bad_options_are_refused():
    with pytest.raises(memlab.BadRequest, match="pymalloc pool_size=1000: not a power of two"):
        PyMalloc(pool_size=1000)
    with pytest.raises(memlab.BadRequest, match="arena_size=4096, pool_size=4096: the arena must be a power of two"):
        PyMalloc(arena_size=4096, pool_size=4096)
    with pytest.raises(memlab.BadRequest, match="pymalloc child='nosuch': .*no allocator named 'nosuch'"):
        PyMalloc(child="nosuch")
