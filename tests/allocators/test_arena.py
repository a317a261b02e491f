"""The arena follows Zig's ArenaAllocator; regions free whole groups; bad input changes nothing."""

import pytest

import memlab
from memlab import BadAlignment, BadRequest, BadSize, HeapCorruption, InvalidFree, OutOfMemory
from memlab.allocators.arena import NODE, Arena
from memlab.allocators.region import Regions
from memlab.contract import random_walk
from memlab.demos import demo


def state(heap):
    start, end = heap.extent()
    return heap.layout(), heap.memory.read(start, end - start), heap.footprint, heap.live()


def test_the_first_chunk_holds_a_node_and_is_bumped_into():
    arena = memlab.allocator("arena")
    a, b = arena.alloc(10), arena.alloc(10)
    chunk, length = arena.chunks[0]
    assert a == chunk + NODE and b == a + 16
    assert arena.memory.read_word(chunk) == 0, "the oldest chunk has no previous chunk"
    assert arena.memory.read_word(chunk + 8) == length, "the node holds the chunk's length"
    assert length == (10 + 8 + 16 + 16) * 3 // 2, "1.5 x (request + alignment + node + 16)"


def test_a_full_chunk_grows_in_place_through_the_child():
    arena = Arena("page", limit=1 << 20)
    with arena.record() as rec:
        arena.alloc(1000)
        arena.alloc(2000)  # the page child can grow the chunk within its page
    assert rec.recording.kinds() == ["newchunk", "alloc", "growchunk", "alloc"]
    assert arena.chunks[0][1] == NODE + 3000 and len(arena.chunks) == 1


def test_when_the_child_cannot_grow_it_a_larger_chunk_follows():
    arena = Arena("page", limit=1 << 20)
    with arena.record() as rec:
        arena.alloc(1000)
        arena.alloc(3100)  # past the page: the child says no, so a new chunk
    assert rec.recording.kinds() == ["newchunk", "alloc", "newchunk", "alloc"]
    (old, old_len), (new, new_len) = arena.chunks
    assert new_len == (old_len - NODE + 3100 + 8 + NODE + 16) * 3 // 2
    assert arena.memory.read_word(new) == old, "the new node links to the previous chunk"
    nodes = {b.address: b.label for b in arena.layout() if b.state == "metadata"}
    assert nodes == {old: "chunk 1 node: previous chunk and length", new: "chunk 2 node: previous chunk and length"}
    left_over = [b for b in arena.layout() if b.label.startswith("left over")]
    assert [(b.address, b.size, b.state) for b in left_over] == [(old + NODE + 1000, old_len - NODE - 1000, "dead")]


def test_free_gives_back_only_the_last_allocation():
    arena = Arena()
    a, b = arena.alloc(16), arena.alloc(16)
    arena.free(a)
    assert arena.end_index == 32, "not the last: a no-op, as in Zig"
    arena.free(b)
    assert arena.end_index == 16


def test_resize_grows_only_the_last_allocation():
    arena = Arena()
    arena.free(arena.alloc(400))  # a roomy first chunk
    a, b = arena.alloc(8), arena.alloc(8)
    assert not arena.resize(a, 16) and arena.resize(a, 4)
    assert arena.resize(b, 64) and arena.top == b + 64
    assert not arena.resize(b, 1 << 16)


def test_reset_frees_ten_thousand_blocks_with_one_store():
    arena = Arena("page", limit=4 << 20)
    for _ in range(10_000):
        arena.alloc(24)
    calls = dict(arena.os.syscalls)
    capacity = arena.capacity
    with arena.record() as rec:
        assert arena.reset("retain_capacity")
    assert arena.stats().frees == 10_000 and arena.live() == {} and arena.end_index == 0
    assert len(arena.chunks) == 1 and arena.capacity == capacity
    assert rec.recording.events[-1].describe().startswith("retain_capacity: 10000 blocks freed by one store")
    after = dict(arena.os.syscalls)
    for _ in range(10_000):
        arena.alloc(24)
    assert dict(arena.os.syscalls) == after, "the second round needs no system call"
    assert after != calls, "the reset itself swapped the chunks for one big one"


def test_reset_modes():
    arena = Arena("page", limit=1 << 20)
    for _ in range(300):
        arena.alloc(40)
    arena.reset("retain_with_limit", limit=1000)
    assert [n for _, n in arena.chunks] == [1000 + NODE]
    arena.reset("free_all")
    assert arena.chunks == [] and arena.footprint == 0 and arena.os.mapped_bytes == 0
    arena.alloc(8)
    arena.deinit()
    assert arena.chunks == [] and arena.child.reclaimed()
    assert arena.os.syscalls["mmap"] == arena.os.syscalls["munmap"], "every chunk went back to the OS"


def test_reset_rejects_bad_modes_and_changes_nothing():
    arena = Arena()
    arena.alloc(8)
    before = state(arena)
    with pytest.raises(BadRequest, match="reset mode 'everything'"):
        arena.reset("everything")
    with pytest.raises(BadRequest, match="needs a limit") as info:
        arena.reset("retain_with_limit")
    assert info.value.step == arena.step == 3, "a refused reset still counts as a step"
    assert state(arena) == before


@pytest.mark.parametrize(
    "action,error",
    [
        (lambda h, a: h.alloc(0), BadSize),
        (lambda h, a: h.alloc(8, 3), BadAlignment),
        (lambda h, a: h.alloc(1 << 21), OutOfMemory),
        (lambda h, a: h.free(a + 4), InvalidFree),
        (lambda h, a: h.free(123), InvalidFree),
    ],
)
def test_bad_input_changes_nothing(action, error):
    arena = Arena("page", limit=1 << 20)
    a = arena.alloc(16)
    arena.memory.write(a, b"arena bytes 0123")
    before = state(arena)
    with pytest.raises(error) as info:
        action(arena, a)
    assert info.value.step == arena.step, "errors from the child carry the arena's step"
    assert state(arena) == before


def test_check_finds_an_overwritten_chunk_node():
    arena = Arena()
    arena.alloc(8)
    arena.memory.write_word(arena.chunks[0][0] + 8, 1)
    with pytest.raises(HeapCorruption, match="node of the chunk"):
        arena.check()


def test_check_finds_a_bump_index_past_the_current_chunk():
    arena = Arena()
    arena.alloc(8)
    length = arena.chunks[-1][1]
    arena.end_index = length  # the chunk's node takes NODE bytes of it, so at most length - NODE is usable
    with pytest.raises(HeapCorruption, match=f"end_index {length} is outside the current chunk"):
        arena.check()


def test_the_arena_works_on_other_children():
    arena = Arena("bump", size=4096)
    a = arena.alloc(100)
    assert arena.child.live() == {arena.chunks[0][0]: arena.chunks[0][1]}
    assert arena.memory.read_word(arena.chunks[0][0] + 8) == arena.chunks[0][1]
    arena.free(a)


# -- regions ---------------------------------------------------------------------------------------


def test_a_region_dies_whole_at_the_end_of_its_scope():
    regions = Regions(limit=1 << 20)
    keep = regions.alloc(8)
    with regions.record() as rec, regions.region("request"):
        blocks = [regions.alloc(32) for _ in range(20)]
        assert regions.region_of(blocks[0]) == "request"
    assert regions.live() == {keep: 8} and "request" not in regions.regions
    assert rec.recording.events[-1].describe() == "region 'request' destroyed: 20 blocks (640 bytes) freed at once"
    with pytest.raises(memlab.DoubleFree):
        regions.free(blocks[3])


def test_subregions_die_with_their_parent_and_clear_keeps_memory():
    regions = Regions(limit=1 << 20)
    regions.create("connection")
    regions.create("request", parent="connection")
    regions.alloc_in("request", 100)
    regions.alloc_in("connection", 100)
    regions.destroy("connection")
    assert list(regions.regions) == ["main"]
    for _ in range(50):
        regions.alloc(64)
    footprint = regions.footprint
    regions.clear("main")
    assert regions.live() == {} and regions.footprint == footprint, "clear keeps the chunks"


def test_regions_reject_bad_names_and_change_nothing():
    regions = Regions(limit=1 << 20)
    regions.alloc(8)
    before = state(regions)
    with pytest.raises(BadRequest, match="no region named 'nope'"):
        regions.alloc_in("nope", 8)
    with pytest.raises(BadRequest, match="already taken"):
        regions.create("main")
    with pytest.raises(BadRequest, match="clear it instead"):
        regions.destroy("main")
    assert state(regions) == before


def test_regions_keep_the_contract_on_a_random_program():
    harness = random_walk(lambda: Regions(limit=1 << 20), ops=2000, seed=3, returns_to_empty=False)
    assert harness.heap.stats().allocs > 500


def test_demo_shows_the_second_round_without_system_calls():
    player = demo("arena")
    player.seek(-1)
    assert player.caption.endswith("the second round made 0 system calls: the kept chunk was big enough")
    assert "2400-byte block, 2400 requested" in player.html
    assert "1500-byte block" not in player.html, "the first round's blocks are gone"
