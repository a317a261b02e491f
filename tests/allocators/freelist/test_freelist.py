"""The boundary-tag heap keeps CS:APP's layout in the simulated bytes, splits and coalesces as the
book says, and turns bad input into typed errors that change nothing."""

import pytest

import memlab
from memlab import BadAlignment, BadRequest, BadSize, DoubleFree, InvalidFree, OutOfMemory, UseAfterFree
from memlab.allocators.freelist.heap import FreeListHeap


def fresh(**kw):
    kw.setdefault("chunk", 256)
    return FreeListHeap(**kw)


def word(heap, address):
    return heap.memory.read_word(address, 4)


def tags(heap, bp):
    """(header, footer) of the block whose payload starts at ``bp``, read from memory."""
    header = word(heap, bp - 4)
    return header, word(heap, bp - 8 + (header & ~7))


def state(heap):
    start, end = heap.extent()
    return heap.layout(), heap.memory.read(start, end - start)


def test_a_fresh_heap_has_padding_prologue_one_free_block_and_epilogue():
    heap = fresh()
    s = heap.heads_address
    assert [(b.label or b.state, b.size) for b in heap.layout()] == [
        ("padding", 4),
        ("prologue", 8),
        ("free", 256),
        ("epilogue", 4),
    ]
    assert [word(heap, s + 4 * i) for i in range(4)] == [0, 0x9, 0x9, 256]
    assert word(heap, s + 12 + 252) == 256, "the footer repeats the header"
    assert word(heap, s + 12 + 256) == 0x1, "epilogue: size 0, allocated"
    assert heap.os.brk_address == s + 12 + 256 + 4
    assert heap.first_bp % 8 == 0


@pytest.mark.parametrize("request_, block", [(1, 16), (8, 16), (9, 24), (16, 24), (17, 32), (24, 32), (100, 112)])
def test_a_request_costs_the_adjusted_size(request_, block):
    heap = fresh()
    bp = heap.alloc(request_)
    assert bp % 8 == 0
    assert tags(heap, bp) == (block | 1, block | 1)
    assert heap.layout()[2].size == block


def test_the_first_alloc_splits_the_free_block_and_says_so():
    heap = fresh()
    with heap.record() as rec:
        bp = heap.alloc(10)
    assert rec.recording.kinds() == ["split", "alloc"]
    split = rec.recording.events[0]
    assert (split.address, split.size, split.first, split.second) == (bp - 4, 256, 24, 232)
    assert tags(heap, bp) == (25, 25)
    assert tags(heap, bp + 24) == (232, 232), "the rest is a free block with its own tags"
    assert "split 256-byte free block" in split.describe()


def test_no_split_when_the_rest_would_be_smaller_than_16_bytes():
    heap = fresh()
    a = heap.alloc(24)  # a 32-byte block
    heap.alloc(8)
    heap.free(a)
    with heap.record() as rec:
        again = heap.alloc(16)  # needs 24 bytes; an 8-byte rest cannot be a block
    assert again == a and rec.recording.kinds() == ["alloc"]
    assert tags(heap, a) == (33, 33)


def test_the_four_coalescing_cases():
    heap = fresh()
    a, b, c, d, e = (heap.alloc(8) for _ in range(5))  # five 16-byte blocks, then a 176-byte free block
    expected = [
        (b, 1, b - 4, (16,)),  # both neighbours allocated
        (a, 2, a - 4, (16, 16)),  # the right one (b) is free
        (c, 3, a - 4, (32, 16)),  # the left one (a+b) is free
        (e, 2, e - 4, (16, 176)),  # the right one (the rest of the heap) is free
        (d, 4, a - 4, (48, 16, 192)),  # both are free
    ]
    for victim, case, address, parts in expected:
        with heap.record() as rec:
            heap.free(victim)
        assert rec.recording.kinds() == ["free", "coalesce"], "free first, then the merge"
        event = rec.recording.events[1]
        assert (event.case, event.address, event.parts, event.size) == (case, address, parts, sum(parts))
        assert tags(heap, address + 4) == (sum(parts), sum(parts))
        heap.check()
    assert heap.reclaimed() and len([b for b in heap.layout() if b.state == "free"]) == 1


def test_case_one_reads_as_nothing_to_merge():
    heap = fresh()
    a = heap.alloc(8)
    heap.alloc(8)
    with heap.record() as rec:
        heap.free(a)
    assert rec.recording.events[1].describe() == (
        f"case 1: no free neighbour, so the 16-byte free block at {a - 4:#x} stays as it is"
    )


def test_the_footer_finds_the_left_neighbour_in_one_read():
    heap = fresh()
    a = heap.alloc(24)
    b = heap.alloc(8)
    left_footer = word(heap, b - 8)  # the word just below b's header
    assert left_footer == 32 | 1
    assert b - 4 - (left_footer & ~7) == a - 4, "b's header minus the left size is a's header"


def test_growing_the_heap_uses_sbrk_and_merges_with_the_free_end():
    heap = fresh()
    with heap.record() as rec:
        bp = heap.alloc(300)  # 312 bytes; the heap has a 256-byte free block
    assert rec.recording.kinds() == ["grow", "coalesce", "split", "alloc"]
    grow, merge = rec.recording.events[:2]
    assert (grow.size, grow.how) == (312, "sbrk"), "max(need, chunk)"
    assert (merge.case, merge.parts) == (3, (256, 312))
    assert rec.recording[1].snapshot.blocks[-1].label == "past the epilogue: fresh from sbrk"
    assert bp == heap.first_bp and heap.footprint == 16 + 256 + 312
    assert heap.os.syscalls["sbrk"] == 3  # the prologue, the first chunk, the growth


def test_every_recorded_frame_tiles_the_heap_from_start_to_break():
    for kind in ("implicit", "explicit", "segregated"):
        heap = fresh(list=kind)
        with heap.record() as rec:
            blocks = [heap.alloc(n) for n in (10, 200, 30, 400, 5)]
            heap.free(blocks[1])
            heap.free(blocks[2])
            heap.realloc(blocks[0], 150)
            heap.realloc(blocks[3], 20)
        for frame in rec.recording:
            snap = frame.snapshot
            assert snap.blocks[0].address == snap.start and snap.blocks[-1].end == snap.end
            assert all(x.end == y.address for x, y in zip(snap.blocks, snap.blocks[1:])), frame.describe()


def test_deferred_coalescing_leaves_neighbours_until_a_search_fails():
    heap = fresh(chunk=64, coalesce="deferred")
    a, b, c, d = (heap.alloc(8) for _ in range(4))  # fills the 64-byte heap exactly
    heap.free(a)
    heap.free(b)
    assert [blk.state for blk in heap.layout()[2:4]] == ["free", "free"]
    heap.check()
    with heap.record() as rec:
        again = heap.alloc(20)  # 32 bytes: neither 16-byte block fits, their merge does
    assert rec.recording.kinds() == ["coalesce", "alloc"], "an exact fit: nothing to split"
    assert again == a and heap.footprint == 16 + 64, "coalescing was enough: no sbrk"
    assert rec.recording.events[0].parts == (16, 16) and rec.recording.events[0].case == 0


def test_deferred_grows_first_when_coalescing_cannot_help():
    heap = fresh(coalesce="deferred")
    a, b, _c, _g = (heap.alloc(8) for _ in range(4))
    heap.free(a)
    heap.free(b)
    with heap.record() as rec:
        heap.alloc(200)  # 208 bytes; the free end has 192, a+b only 32
    assert rec.recording.kinds() == ["grow", "coalesce", "coalesce", "split", "alloc"]
    assert [e.parts for e in rec.recording.events[1:3]] == [(16, 16), (192, 256)]


def test_deferred_reclaimed_means_all_free_and_listed_and_coalesce_all_makes_one_block():
    heap = fresh(list="explicit", coalesce="deferred")
    blocks = [heap.alloc(n) for n in (8, 20, 40, 8)]
    for bp in blocks:
        heap.free(bp)
    assert heap.reclaimed()
    assert sum(b.state == "free" for b in heap.layout()) == 5
    assert heap.coalesce_all() == 1
    assert [b.state for b in heap.layout()] == ["metadata", "metadata", "free", "metadata"]
    heap.check()


def test_realloc_grows_in_place_into_a_free_right_neighbour():
    heap = fresh()
    a = heap.alloc(8)
    heap.memory.write(a, b"ABCDEFGH")
    with heap.record() as rec:
        assert heap.realloc(a, 100) == a
    assert rec.recording.kinds() == ["resize"]
    assert tags(heap, a) == (113, 113) and heap.memory.read(a, 8) == b"ABCDEFGH"
    assert tags(heap, a + 112) == (144, 144)
    heap.check()


def test_realloc_shrinks_in_place_and_frees_the_tail():
    heap = fresh()
    a = heap.alloc(100)  # 112 bytes
    heap.alloc(8)
    with heap.record() as rec:
        assert heap.realloc(a, 20) == a  # 32 bytes
    assert rec.recording.kinds() == ["coalesce", "resize"]
    assert tags(heap, a) == (33, 33) and tags(heap, a + 32) == (80, 80)
    heap.check()


def test_realloc_moves_when_the_right_neighbour_is_allocated():
    heap = fresh()
    a = heap.alloc(8)
    heap.alloc(8)
    heap.memory.write(a, b"ABCDEFGH")
    assert not heap.resize(a, 64)
    with heap.record() as rec:
        new = heap.realloc(a, 64)
    assert new != a and heap.memory.read(new, 8) == b"ABCDEFGH"
    assert rec.recording.kinds() == ["split", "alloc", "free", "coalesce", "move"]


def test_explicit_list_links_live_in_the_free_blocks():
    for order, expected in (("lifo", "c a rest"), ("address", "a c rest")):
        heap = fresh(list="explicit", order=order)
        a, _b, c, g = (heap.alloc(8) for _ in range(4))
        heap.free(a)
        heap.free(c)
        names = {a: "a", c: "c", g + 16: "rest"}
        head = word(heap, heap.heads_address)
        chain, pred = [], 0
        while head:
            assert word(heap, head) == pred, "pred word, the block's first payload word"
            chain.append(names[head])
            pred, head = head, word(heap, head + 4)
        assert " ".join(chain) == expected
        by_name = {v: k for k, v in names.items()}
        assert heap.lists.free_lists() == (tuple(by_name[n] for n in expected.split()),)


def test_segregated_heads_point_at_the_class_of_each_free_block():
    from memlab.allocators.freelist.lists import class_range, size_class

    assert [size_class(s) for s in (16, 24, 64, 72, 128, 136, 8192, 8200, 1 << 20)] == [0, 1, 6, 7, 7, 8, 13, 14, 14]
    assert class_range(0) == (16, 16) and class_range(7) == (72, 128) and class_range(14) == (8200, None)
    heap = fresh(list="segregated", chunk=512)
    a = heap.alloc(8)  # 16 bytes: class 0
    heap.alloc(8)
    b = heap.alloc(100)  # 112 bytes: class 7
    heap.alloc(8)
    heap.free(a)
    heap.free(b)
    heads = [word(heap, heap.heads_address + 4 * k) for k in range(15)]
    assert heads[0] == a and heads[7] == b
    rest = heap.first_bp + 16 + 16 + 112 + 16
    assert heads[size_class(512 - 160)] == rest and word(heap, rest - 4) == 352
    assert sum(1 for h in heads if h) == 3
    heap.check()


@pytest.mark.parametrize("kind", ["implicit", "explicit", "segregated"])
@pytest.mark.parametrize("coalesce", ["immediate", "deferred"])
def test_bad_input_raises_typed_errors_and_changes_nothing(kind, coalesce):
    heap = fresh(list=kind, coalesce=coalesce, limit=16 << 10)
    a, b, c = heap.alloc(40), heap.alloc(8), heap.alloc(24)
    heap.free(b)
    heap.free(c)  # deferred: b and c lie side by side, uncoalesced
    cases = [
        (lambda: heap.free(12345), InvalidFree, "not the start of any live block"),
        (lambda: heap.free(a + 4), InvalidFree, "interior pointer"),
        (lambda: heap.free(b), DoubleFree, "double free"),
        (lambda: heap.realloc(c, 64), UseAfterFree, "realloc of a freed block"),
        (lambda: heap.resize(a + 8, 64), InvalidFree, "interior pointer"),
        (lambda: heap.alloc(-5), BadSize, "must be at least 1 byte"),
        (lambda: heap.alloc(0), BadSize, "must be at least 1 byte"),
        (lambda: heap.alloc(8, 3), BadAlignment, "not a power of two"),
        (lambda: heap.alloc(8, 16), BadAlignment, "aligns payloads to 8 bytes only"),
        (lambda: heap.alloc(20000), OutOfMemory, "more than the OS has"),
        (lambda: heap.realloc(a, 20000), OutOfMemory, "more than the OS has"),
    ]
    for action, error, text in cases:
        before = state(heap)
        with pytest.raises(error, match=text) as info:
            action()
        assert info.value.step == heap.step
        assert state(heap) == before, f"{error.__name__} changed the heap"
        heap.check()


def test_options_are_checked():
    with pytest.raises(BadRequest, match="choose one of implicit, explicit, segregated"):
        FreeListHeap(list="linked")
    with pytest.raises(BadRequest, match="always in address order"):
        FreeListHeap(order="lifo")
    with pytest.raises(BadRequest, match="a multiple of 8"):
        FreeListHeap(chunk=100)
    with pytest.raises(BadRequest, match="choose one of first, next, best, worst"):
        memlab.allocator("freelist:fit=good")
    heap = memlab.allocator("freelist:list=explicit,fit=best,order=address,coalesce=deferred,chunk=512")
    assert heap.options == {"list": "explicit", "fit": "best", "order": "address", "coalesce": "deferred", "chunk": 512}


def test_search_stats_count_the_headers_each_search_reads():
    implicit, seg = fresh(chunk=4096), fresh(chunk=4096, list="segregated")
    for heap in (implicit, seg):
        for _ in range(100):
            heap.alloc(8)
    # the implicit list walks past every allocated block; the segregated lists see only free ones
    assert implicit.search_stats()["examined"] == sum(range(1, 101))
    assert seg.search_stats()["examined"] == 100 and seg.search_stats()["per_search"] == 1.0


def holes(**kw):
    """Free blocks of 48, 32, 64 and 40 bytes between 16-byte allocated ones, then a 264-byte rest."""
    heap = fresh(chunk=512, **kw)
    big = []
    for n in (40, 24, 56, 32):
        big.append(heap.alloc(n))
        heap.alloc(8)
    for bp in big:
        heap.free(bp)
    return heap, dict(zip("ABCD", big)) | {"rest": heap.first_bp + 248}


PICKS = {
    "first": ("C", "A"),
    "next": ("C", "D"),  # explicit list: the rover moved on to C's successor when C was taken
    "best": ("C", "B"),
    "worst": ("rest", "rest+64"),
}


@pytest.mark.parametrize("kind", ["implicit", "explicit"])
@pytest.mark.parametrize("fit", list(PICKS))
def test_each_placement_policy_picks_its_own_block(kind, fit):
    heap, names = holes(fit=fit, list=kind, order="address")
    where = {bp: name for name, bp in names.items()} | {names["rest"] + 64: "rest+64"}
    a = heap.alloc(56)  # 64 bytes: A and B are too small
    b = heap.alloc(8)  # 16 bytes: next fit goes on from where it stopped, the others start over
    expected = PICKS[fit]
    if (kind, fit) == ("implicit", "next"):
        expected = ("rest", "rest+64")  # the rover still points past D, where the setup stopped
    assert (where.get(a, hex(a)), where.get(b, hex(b))) == expected
    heap.check()


def test_best_fit_takes_the_exact_hole_first_fit_splits_the_first_big_one():
    for fit, expected in (("first", "A"), ("best", "B"), ("worst", "rest")):
        heap, names = holes(fit=fit)
        with heap.record() as rec:
            bp = heap.alloc(24)  # 32 bytes: B is an exact fit
        assert bp == names[expected], fit
        assert rec.recording.kinds() == (["alloc"] if fit == "best" else ["split", "alloc"])


# the property suite over every list, placement, order and coalescing option (the registry's
# own test runs the default heap for 10,000 operations)
FITS = ("first", "next", "best", "worst")
COMBOS = [
    {"list": kind, "fit": fit, "order": ("lifo", "address")[i % 2], "coalesce": ("immediate", "deferred")[i // 2 % 2]}
    for kind in ("explicit", "segregated")
    for i, fit in enumerate(FITS)
] + [{"list": "implicit", "fit": fit, "coalesce": ("immediate", "deferred")[i % 2]} for i, fit in enumerate(FITS)]


@pytest.mark.parametrize("options", COMBOS, ids=lambda o: "-".join(o.values()))
def test_property_suite_holds_for_every_option(options):
    from memlab.contract import hints_for, random_walk

    walk = random_walk(lambda: fresh(limit=48 << 10, chunk=1024, **options), ops=1000, seed=7, **hints_for("freelist"))
    assert walk.heap.stats().allocs > 100
    assert walk.heap.search_stats()["searches"] > 0
