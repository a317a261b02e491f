"""The buddy allocator: splits, merges by XOR, orders, errors, and its views."""

import pytest

import memlab
from memlab.allocators.buddy import Buddy, Merge, internal_fragmentation
from memlab.errors import BadAlignment, BadRequest, BadSize, DoubleFree, HeapCorruption, OutOfMemory, TooLarge
from memlab.events import Grow, Split
from memlab.viz.buddy import buddy_tree_svg, buddyinfo, tree_view
from memlab.widgets.player import Player


def kib_heap():
    return Buddy(max_order=10, min_order=4, grow=False)


def state(heap):
    start, end = heap.extent()
    return heap.layout(), heap.memory.read(start, end - start), heap.free_counts()


def test_allocating_64_bytes_from_a_1_kib_heap_splits_down_to_64():
    heap = kib_heap()
    with heap.record() as rec:
        address = heap.alloc(64)
    events = rec.recording.events
    assert rec.recording.kinds() == ["split"] * 4 + ["alloc"]
    assert [(e.size, e.first, e.second) for e in events[:4]] == [
        (1024, 512, 512),
        (512, 256, 256),
        (256, 128, 128),
        (128, 64, 64),
    ]
    assert events[0].describe() == f"split 1024-byte free block at {heap.start:#x} into 512 + 512"
    assert address == heap.start
    assert [(b.size, b.state) for b in heap.layout()] == [
        (64, "allocated"),
        (64, "free"),
        (128, "free"),
        (256, "free"),
        (512, "free"),
    ]


def test_a_33_byte_request_costs_a_64_byte_block():
    heap = kib_heap()
    heap.alloc(33)
    (block,) = [b for b in heap.layout() if b.state == "allocated"]
    assert (block.size, block.requested, block.header) == (64, 33, 0)
    frag = heap.internal_fragmentation()
    assert (frag.requested, frag.block_bytes, frag.wasted) == (33, 64, 31)
    assert frag.ratio == pytest.approx(31 / 64)
    assert internal_fragmentation(heap.snapshot()) == frag


def test_free_merges_with_free_buddies_all_the_way_up_after_the_free_event():
    heap = kib_heap()
    address = heap.alloc(64)
    with heap.record() as rec:
        heap.free(address)
    assert rec.recording.kinds() == ["free", "merge", "merge", "merge", "merge"]
    merges = rec.recording.events[1:]
    assert [m.size for m in merges] == [128, 256, 512, 1024]
    assert merges[0] == Merge(2, heap.start, 128, heap.start, heap.start + 64)
    assert "merge buddies" in merges[0].describe()
    assert heap.reclaimed()
    assert heap.free_counts() == [0, 0, 0, 0, 0, 0, 1]
    # the frame of the free event still shows the freed 64-byte block, unmerged
    assert rec.recording[1].snapshot.blocks[0].size == 64
    assert rec.recording[1].snapshot.blocks[0].state == "free"


def test_merging_stops_at_an_allocated_buddy():
    heap = kib_heap()
    a, b = heap.alloc(64), heap.alloc(64)
    assert b == heap.buddy_of(a, 6) == heap.start + 64
    with heap.record() as rec:
        heap.free(a)
    assert rec.recording.kinds() == ["free"]
    assert heap.free_counts()[6 - 4] == 1


def test_buddies_are_found_by_xor_of_the_offset_with_the_block_size():
    heap = kib_heap()
    s = heap.start
    table = {(0, 6): 64, (64, 6): 0, (128, 6): 192, (192, 7): 64, (256, 8): 0, (512, 9): 0, (384, 7): 256}
    for (offset, order), buddy in table.items():
        if offset % (1 << order) == 0:
            assert heap.buddy_of(s + offset, order) == s + buddy
    assert heap.buddy_of(s + 128, 7) == s


def test_the_free_list_per_order_is_lifo_like_linux():
    heap = kib_heap()
    blocks = [heap.alloc(64) for _ in range(4)]
    heap.free(blocks[0])
    heap.free(blocks[2])
    assert heap.alloc(64) == blocks[2]
    assert heap.alloc(64) == blocks[0]


def test_a_request_beyond_the_largest_order_is_too_large_and_changes_nothing():
    heap = kib_heap()
    heap.alloc(100)
    before = state(heap)
    with pytest.raises(TooLarge) as info:
        heap.alloc(1025)
    assert isinstance(info.value, BadSize)
    assert "order 11 (2048 bytes)" in str(info.value) and "largest order is 10" in str(info.value)
    assert info.value.step == 2
    assert state(heap) == before


def test_out_of_memory_when_no_block_is_left_and_growth_is_off():
    heap = kib_heap()
    heap.alloc(512)
    heap.alloc(300)
    before = state(heap)
    with pytest.raises(OutOfMemory, match="no free block of order 8"):
        heap.alloc(200)
    assert state(heap) == before
    assert heap.stats().failures == 1


def test_growth_adds_a_whole_top_order_block_from_sbrk():
    heap = Buddy(max_order=10, grow=True)
    heap.alloc(1024)
    with heap.record() as rec:
        second = heap.alloc(16)
    assert isinstance(rec.recording.events[0], Grow)
    assert rec.recording.events[0].size == 1024
    assert second == heap.start + 1024
    assert heap.zone_blocks == 2 and heap.footprint == 2048
    assert [e.kind for e in rec.recording.events].count("split") == 6


def test_alignment_picks_a_larger_order_and_is_capped_by_the_zone():
    heap = Buddy(max_order=12)
    address = heap.alloc(8, 256)
    assert address % 256 == 0
    assert [b.size for b in heap.layout() if b.state == "allocated"] == [256]
    before = state(heap)
    with pytest.raises(BadAlignment, match="exceeds the 4096-byte alignment"):
        heap.alloc(8, 8192)
    assert state(heap) == before


def test_resize_shrinks_in_place_by_splitting_and_never_grows():
    heap = kib_heap()
    address = heap.alloc(500)
    with heap.record() as rec:
        assert heap.resize(address, 100)
    assert rec.recording.kinds() == ["split", "split", "resize"]
    assert [(b.size, b.state) for b in heap.layout()][:3] == [(128, "allocated"), (128, "free"), (256, "free")]
    assert not heap.resize(address, 129)
    heap.free(address)
    assert heap.reclaimed()


def test_misuse_raises_typed_errors_and_changes_nothing():
    heap = kib_heap()
    a = heap.alloc(40)
    heap.memory.write(a, b"x" * 40)
    heap.free(heap.alloc(16))
    before = state(heap)
    with pytest.raises(memlab.InvalidFree, match="interior pointer"):
        heap.free(a + 8)
    with pytest.raises(DoubleFree):
        heap.free(heap.start + 64)
    assert state(heap) == before


def test_check_names_two_free_buddies_that_were_not_merged():
    heap = kib_heap()
    a = heap.alloc(64)
    b = heap.alloc(64)
    heap.free(a)
    del heap._live[b]  # forge a state a buggy free would leave: both buddies free, unmerged
    del heap.order_of[b]
    heap.free_area[6][b] = None
    with pytest.raises(HeapCorruption, match="are both free but not merged"):
        heap.check()


def test_check_notices_a_block_missing_from_every_list():
    heap = kib_heap()
    heap.alloc(64)
    heap.free_area[9].clear()
    with pytest.raises(HeapCorruption, match="cover 512 bytes but the zone has 1024"):
        heap.check()


@pytest.mark.parametrize(
    "options",
    [{"min_order": 2}, {"min_order": 11, "max_order": 10}, {"max_order": 31}, {"blocks": -1}, {"max_order": "9"}],
)
def test_bad_options_are_refused(options):
    with pytest.raises(BadRequest):
        Buddy(**options)


def test_registry_builds_it_from_a_spec():
    heap = memlab.allocator("buddy:max_order=10,min_order=5,grow=false")
    assert isinstance(heap, Buddy) and (heap.min_order, heap.max_order, heap.grow) == (5, 10, False)


def test_buddyinfo_reads_like_proc_buddyinfo():
    heap = kib_heap()
    heap.alloc(33)
    assert buddyinfo(heap, header=False) == "Node 0, zone    Buddy      0      0      1      1      1      1      0"
    text = buddyinfo(heap.snapshot())
    assert text.splitlines()[0].split() == ["order", "4", "5", "6", "7", "8", "9", "10"]
    assert text.splitlines()[1].split()[-1] == "1024"


def test_tree_view_draws_every_node_and_outlines_the_split():
    heap = kib_heap()
    with heap.record() as rec:
        heap.alloc(33)
    frame = rec.recording[1]
    assert isinstance(frame.event, Split)
    svg = buddy_tree_svg(frame.snapshot, event=frame.event)
    assert svg.startswith("<svg") and svg.count('stroke-width="2.5"') == 3  # the 1024 and its halves
    final = buddy_tree_svg(rec.recording[-1].snapshot)
    assert "33/64" in final and "order 4" in final and "wasted" in final


def test_a_player_animates_the_tree():
    heap = kib_heap()
    with heap.record() as rec:
        a = heap.alloc(33)
        heap.free(a)
    player = Player(rec.recording, view=tree_view())
    player.seek(5)
    assert player.caption.endswith(f"alloc 33 bytes at {heap.start:#x}")
    assert "33/64" in player.html and "Node 0, zone" in player.html
    player.step_forward()
    assert "free the 33-byte block" in player.caption
    player.seek(-1)
    assert "into a 1024-byte free block" in player.caption


def test_the_lecture_demo_ends_with_everything_merged_into_one_block():
    import memlab.demos

    player = memlab.demos.demo("buddy")
    assert 10 <= len(player.recording) - 1 <= 40
    assert "33-byte request got a whole 64-byte block" in player.recording.script()
    player.seek(-1)
    assert player.caption.endswith("merged back into one 1024-byte block")
    assert "Node 0, zone    Buddy      0      0      0      0      0      0      1" in player.html


def test_fragmentation_at_peak_is_taken_when_live_bytes_peak():
    from memlab.allocators.buddy import fragmentation_at_peak

    ops = [("a", 0, 33), ("a", 1, 64), ("f", 1, 0), ("a", 2, 10), ("r", 2, 20), ("f", 0, 0), ("f", 2, 0)]
    frag = fragmentation_at_peak(Buddy(max_order=10, min_order=4), ops)
    assert (frag.requested, frag.block_bytes) == (33 + 64, 64 + 64)
