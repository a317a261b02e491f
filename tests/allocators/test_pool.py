"""The fixed-size pool: a free list threaded through the free blocks, in simulated bytes."""

import re

import pytest

import memlab
from memlab.allocators.pool import NotInPool, Pool
from memlab.errors import BadAlignment, BadRequest, DoubleFree, HeapCorruption, InvalidFree, OutOfMemory, TooLarge
from memlab.events import Grow
from memlab.viz.pool import pool_svg


def word(pool, address):
    return pool.memory.read_word(address)


def state(pool):
    start, end = pool.extent()
    return pool.layout(), pool.memory.read(start, end - start), pool.head


def test_a_new_chunk_is_threaded_in_address_order_through_its_own_blocks():
    pool = Pool(16, blocks=4)
    base = pool.chunks[0]
    assert pool.head == base
    assert [word(pool, base + 16 * i) for i in range(4)] == [base + 16, base + 32, base + 48, 0]
    assert pool.chain() == [base, base + 16, base + 32, base + 48]


def test_the_free_list_costs_zero_extra_bytes():
    pool = Pool(32, blocks=8)
    assert pool.footprint == 8 * 32
    assert all(b.header == 0 and b.footer == 0 for b in pool.layout())
    blocks = [pool.alloc(32) for _ in range(8)]
    assert pool.stats().live_bytes == pool.footprint  # every byte is payload when full
    assert pool.head == 0 and pool.chain() == []
    assert sorted(blocks) == [pool.chunks[0] + 32 * i for i in range(8)]


def test_alloc_pops_the_head_and_free_pushes_the_block_storing_the_old_head_in_its_first_word():
    pool = Pool(16, blocks=4)
    a, b = pool.alloc(16), pool.alloc(10)
    pool.memory.write(a, b"A" * 16)
    old_head = pool.head
    pool.free(a)
    assert pool.head == a
    assert word(pool, a) == old_head
    assert pool.memory.read(a + 8, 8) == b"A" * 8  # only the link word was written
    assert pool.alloc(16) == a  # LIFO: the block just freed comes back first
    assert pool.chain() == [b + 16, b + 32]


def test_a_request_larger_than_the_block_is_too_large_and_changes_nothing():
    pool = Pool(24, blocks=2)
    before = state(pool)
    with pytest.raises(TooLarge, match="a 25-byte request does not fit this pool's 24-byte blocks"):
        pool.alloc(25)
    assert state(pool) == before


def test_block_size_and_alignment_follow_zig_a_block_holds_at_least_one_link():
    assert Pool(3).block_size == 8
    pool = Pool(24, align=16, blocks=3)
    assert pool.block_size == 32
    assert all(pool.alloc(24, 16) % 16 == 0 for _ in range(3))
    with pytest.raises(BadAlignment, match="aligned to 16 bytes, not 64"):
        pool.alloc(8, 64)


def test_freeing_a_block_of_another_pool_or_a_wild_address_is_refused():
    machine = memlab.OS()
    pool, other = Pool(16, blocks=4, os=machine), Pool(16, blocks=4, os=machine)
    mine = pool.alloc(16)
    foreign = other.alloc(16)
    before = state(pool)
    with pytest.raises(NotInPool, match=f"free of {foreign:#x}: not a block of this pool") as info:
        pool.free(foreign)
    assert isinstance(info.value, InvalidFree) and info.value.step == 2
    with pytest.raises(NotInPool):
        pool.free(12345)
    assert state(pool) == before
    assert mine < other.chunks[0]  # below every chunk of the other pool: not one of its blocks either
    with pytest.raises(NotInPool, match=f"free of {mine:#x}: not a block of this pool"):
        other.free(mine)
    other.free(foreign)  # the owner takes it back


def test_interior_pointers_and_free_blocks_are_named():
    pool = Pool(16, blocks=4)
    a = pool.alloc(16)
    before = state(pool)
    with pytest.raises(InvalidFree, match=r"4 bytes inside the live 16-byte pool block at"):
        pool.free(a + 4)
    with pytest.raises(InvalidFree, match="that pool block is free"):
        pool.free(a + 16)
    pool.free(a)
    with pytest.raises(DoubleFree):
        pool.free(a)
    assert pool.layout()[0].state == "free" and before[0][0].state == "allocated"


def test_growth_adds_a_chunk_or_fails_when_not_growable():
    fixed = Pool(64, blocks=2, grow=False)
    fixed.alloc(1), fixed.alloc(1)
    before = state(fixed)
    with pytest.raises(OutOfMemory, match="all 2 blocks of this pool are in use"):
        fixed.alloc(1)
    assert state(fixed) == before
    pool = Pool(64, blocks=2)
    pool.alloc(1), pool.alloc(1)
    with pool.record() as rec:
        third = pool.alloc(1)
    assert rec.recording.kinds() == ["grow", "alloc"]
    assert isinstance(rec.recording.events[0], Grow)
    assert len(pool.chunks) == 2 and third == pool.chunks[1]
    assert len(rec.recording[1].snapshot.chain) == 2  # the new chunk is threaded when Grow is seen


def test_resize_in_place_up_to_the_block_size():
    pool = Pool(32, blocks=2)
    a = pool.alloc(8)
    assert pool.resize(a, 32)
    assert not pool.resize(a, 33)
    assert pool.realloc(a, 20) == a


def test_a_write_into_a_freed_block_corrupts_the_list_and_check_says_where():
    pool = Pool(16, blocks=4)
    a = pool.alloc(16)
    pool.free(a)
    pool.memory.write_word(a, 0x1234)  # a use after free overwrites the link
    with pytest.raises(HeapCorruption, match="free-list link 0x1234 is not a block of this pool"):
        pool.check()
    lost = [b for b in pool.layout() if b.state == "dead"]
    assert len(lost) == 3  # the rest of the list is unreachable


def test_check_finds_a_cycle():
    pool = Pool(16, blocks=4)
    pool.memory.write_word(pool.chunks[0] + 16, pool.chunks[0])
    with pytest.raises(HeapCorruption, match="cycle"):
        pool.check()


def test_a_link_to_a_live_block_ends_the_free_list_there():
    pool = Pool(16, blocks=4)
    a, b = pool.alloc(16), pool.alloc(16)
    pool.free(a)
    pool.memory.write_word(a, b)  # a use after free points the list at a live block
    assert pool.chain() == [a] and pool.snapshot().chain == (a,)
    assert [blk.state for blk in pool.layout()][:2] == ["free", "allocated"]
    with pytest.raises(HeapCorruption, match=f"live block {b:#x} is on the free list"):
        pool.check()


@pytest.mark.parametrize("options", [{"size": 0}, {"size": "8"}, {"blocks": 0}, {"align": 12}])
def test_bad_options_are_refused(options):
    with pytest.raises(BadRequest):
        Pool(**options)


def test_pool_view_shows_head_links_and_null():
    pool = Pool(16, blocks=4)
    a = pool.alloc(16)
    pool.alloc(16)
    pool.free(a)
    snap = pool.snapshot()
    assert snap.chain == (a, a + 32, a + 48)
    svg = pool_svg(snap)
    assert "head" in svg and "next: NULL" in svg and f"next: {a + 32:#x}" in svg
    assert svg.count("marker-end") == 3  # head -> a -> a+32 -> a+48


def test_the_fast_path_keeps_the_same_books_as_the_recorded_path():
    def run(pool):
        blocks = [pool.alloc(n) for n in (1, 16, 9, 16, 3)]
        for b in blocks[::2]:
            pool.free(b)
        blocks = blocks[1::2] + [pool.alloc(5) for _ in range(6)]  # grows a chunk
        for b in blocks[:3]:
            pool.free(b)
        return pool

    quiet = run(Pool(16, blocks=4))
    loud = Pool(16, blocks=4)
    with loud.record():
        run(loud)
    assert state(quiet) == state(loud)
    assert quiet.stats() == loud.stats() and quiet.step == loud.step
    with pytest.raises(DoubleFree, match="double free"):
        quiet.free(quiet.chain()[0])


def test_the_lecture_demo_shows_the_links_inside_the_free_blocks():
    import memlab.demos

    player = memlab.demos.demo("pool")
    assert 10 <= len(player.recording) - 1 <= 40
    player.seek(-1)
    assert "0 bytes extra" in player.caption
    assert "next: 0x1040" in player.html and "next: NULL" in player.html
    row = player.html[player.html.index("00001010</span>") :][:400]  # the hexdump row of block 0x1010
    assert re.findall(r">([0-9a-f]{2})</span>", row)[:8] == ["40", "10", "00", "00", "00", "00", "00", "00"]
