"""The slab allocator: Bonwick's object caches and the kmalloc ladder, checked through what users see."""

import re
from pathlib import Path

import pytest

from memlab.allocators.base import ALLOCATED, METADATA
from memlab.allocators.slab.cache import ConstructorFailed, SlabCache, WrongCache
from memlab.allocators.slab.geometry import BASE, CACHE, INUSE, SLAB_STRUCT, plan
from memlab.allocators.slab.geometry import FREE as HEAD
from memlab.allocators.slab.info import slabinfo_text
from memlab.allocators.slab.kmalloc import KMALLOC_SIZES, Slab, kmalloc_name
from memlab.contract import random_walk
from memlab.errors import BadAlignment, BadRequest, BadSize, HeapCorruption, OutOfMemory
from memlab.os import OS

MAGIC = 0xC0FFEE


class Counting:
    """A constructor/destructor pair that writes and checks a magic word."""

    def __init__(self, fail_at: int | None = None) -> None:
        self.fail_at, self.calls = fail_at, 0

    def ctor(self, memory, address):
        self.calls += 1
        if self.fail_at is not None and self.calls == self.fail_at:
            raise RuntimeError("no lock available")
        memory.write_word(address, MAGIC)

    def dtor(self, memory, address):
        memory.write_word(address, 0)


def state(heap):
    snap = heap.snapshot()
    return snap.blocks, snap.data, heap.footprint


# -- geometry ------------------------------------------------------------------------------
def test_small_objects_share_a_page_with_the_slab_structure():
    g = plan(200, 8, 4096)
    assert (g.bufsize, g.pages, g.objects, g.on_slab) == (200, 1, 20, True)
    assert g.slack == 4096 - SLAB_STRUCT - 20 * 200 == 48
    assert g.colors == 7  # offsets 0, 8, ..., 48


def test_a_constructed_cache_keeps_the_free_list_link_past_the_object():
    assert plan(200, 8, 4096).link == 0
    g = plan(200, 8, 4096, constructed=True)
    assert (g.link, g.bufsize) == (200, 208)


@pytest.mark.parametrize("size", [512, 700, 1000, 1500, 2048, 3000, 4096])
def test_large_objects_keep_bookkeeping_off_slab_and_waste_at_most_an_eighth(size):
    g = plan(size, 8, 4096)
    assert not g.on_slab
    assert g.slack * 8 <= g.slab_bytes


@pytest.mark.parametrize(("size", "pages"), [(700, 2), (2500, 2), (3000, 3)])
def test_a_slab_takes_the_fewest_pages_that_waste_at_most_an_eighth_not_the_least_wasteful(size, pages):
    g = plan(size, 8, 4096)  # 700 bytes: 2 pages waste 448 of 8192; 5 pages would waste only 64
    assert g.pages == pages and g.slack * 8 <= g.slab_bytes


# -- constructed objects ---------------------------------------------------------------------
def test_the_constructor_runs_once_per_buffer_not_once_per_allocation():
    hooks = Counting()
    cache = SlabCache("inode", 200, ctor=hooks.ctor, dtor=hooks.dtor)
    for _ in range(1000):
        cache.free(cache.alloc())
    assert cache.ctor_calls == hooks.calls == cache.geometry.objects == 19
    assert cache.dtor_calls == 0


def test_a_freed_object_stays_constructed():
    hooks = Counting()
    cache = SlabCache("inode", 200, ctor=hooks.ctor, dtor=hooks.dtor)
    obj = cache.alloc()
    assert cache.memory.read_word(obj) == MAGIC
    cache.free(obj)
    assert cache.memory.read_word(obj) == MAGIC  # the free-list link lives past the object
    assert cache.alloc() == obj
    assert cache.memory.read_word(obj) == MAGIC


def test_reap_runs_destructors_and_returns_the_pages():
    hooks = Counting()
    cache = SlabCache("inode", 200, ctor=hooks.ctor, dtor=hooks.dtor)
    objs = [cache.alloc() for _ in range(50)]
    for obj in objs:
        cache.free(obj)
    info = cache.slabinfo()
    assert (info.active_objs, info.num_slabs) == (0, 3)
    assert cache.footprint == 3 * 4096  # free slabs stay until reaped
    with cache.record() as rec:
        assert cache.reap() == 3
    assert cache.footprint == 0 and cache.slabinfo().num_slabs == 0
    assert cache.dtor_calls == 3 * 19
    assert rec.recording.kinds().count("slabreap") == 3
    assert "the destructor runs on its 19 buffers" in rec.recording.script()


def test_constructor_failure_is_typed_and_changes_nothing():
    hooks = Counting(fail_at=5)
    cache = SlabCache("inode", 200, ctor=hooks.ctor, dtor=hooks.dtor)
    before = state(cache)
    failed = r"constructor of cache 'inode' failed on buffer 0x[0-9a-f]+: no lock"
    with pytest.raises(ConstructorFailed, match=failed) as e:
        cache.alloc()
    assert isinstance(e.value, OutOfMemory) and e.value.step == 1
    assert state(cache) == before
    assert cache.dtor_calls == 4  # the four buffers already built are destroyed again
    assert cache.alloc()  # the next slab builds fine
    cache.check()


def test_freeing_into_the_wrong_cache_is_caught_and_changes_nothing():
    os = OS()
    inodes, dentries = SlabCache("inode", 200, os=os), SlabCache("dentry", 192, os=os)
    obj, mine = inodes.alloc(), dentries.alloc()
    before = state(inodes), state(dentries)
    with pytest.raises(WrongCache, match=r"into cache 'dentry', but the object is from cache 'inode'"):
        dentries.free(obj)
    assert (state(inodes), state(dentries)) == before
    dentries.free(mine)
    inodes.free(obj)


def test_bad_cache_arguments_and_requests():
    with pytest.raises(BadRequest, match="not callable"):
        SlabCache("x", 32, ctor=42)
    with pytest.raises(BadRequest, match="name"):
        SlabCache("", 32)
    cache = SlabCache("x", 32)
    with pytest.raises(BadSize, match="holds 32-byte objects; 33 bytes do not fit"):
        cache.alloc(33)
    with pytest.raises(BadAlignment, match="aligns objects to 8, not 64"):
        cache.alloc(8, 64)
    assert cache.layout() == []


# -- the slab list, colouring and the bytes ----------------------------------------------------
def test_the_slab_list_runs_full_then_partial_then_free_and_allocation_uses_the_first_partial():
    cache = SlabCache("obj", 200)
    objs = [cache.alloc() for _ in range(19 * 4)]  # four full slabs
    slabs = {s.address: s for s in cache.view().slabs}
    by_slab = {a: [o for o in objs if a <= o < a + 4096] for a in slabs}
    first, second, third, fourth = sorted(slabs, reverse=True)  # mmap hands out pages downwards
    for obj in by_slab[fourth]:
        cache.free(obj)  # fourth becomes free
    cache.free(by_slab[second][0])  # second becomes partial
    sections = [s.section for s in cache.view().slabs]
    assert sections == ["full", "full", "partial", "free"]
    assert [s.address for s in cache.view().slabs][2:] == [second, fourth]
    assert cache.alloc() == by_slab[second][0]  # from the partial slab, not the free one


def test_each_new_slab_starts_at_the_next_colour():
    cache = SlabCache("obj", 200)
    for _ in range(19 * 9):
        cache.alloc()
    colours = [s.color for s in sorted(cache.view().slabs, key=lambda s: -s.address)]
    assert colours == [0, 8, 16, 24, 32, 40, 48, 0, 8]


def test_the_slab_structure_and_free_list_live_in_simulated_memory():
    cache = SlabCache("obj", 200)
    a, b = cache.alloc(), cache.alloc()
    cache.free(a)
    (slab,) = cache.view().slabs
    struct = slab.address + 4096 - SLAB_STRUCT
    assert slab.bookkeeping == struct
    word = lambda i: cache.memory.read_word(struct + 8 * i)  # noqa: E731
    assert (word(CACHE), word(BASE), word(INUSE), word(HEAD)) == (cache.id, slab.base, 1, a)
    assert cache.memory.read_word(a) == b + 200  # a's link: the next free buffer
    kinds = {(blk.state, blk.label) for blk in cache.layout()}
    assert (METADATA, "slab structure") in kinds


def test_large_object_slabs_keep_their_structure_off_slab():
    cache = SlabCache("big", 1000)
    obj = cache.alloc()
    (slab,) = cache.view().slabs
    assert not slab.address <= slab.bookkeeping < slab.address + 4096
    blocks = cache.layout()
    assert any(b.state == METADATA and b.address == slab.bookkeeping for b in blocks)
    assert cache.memory.read_word(slab.bookkeeping + 8 * INUSE) == 1
    cache.free(obj)
    assert cache.reap() == 1 and cache.footprint == 0  # the bookkeeping slab goes too


def test_check_finds_a_corrupted_free_list():
    cache = SlabCache("obj", 200)
    a, _ = cache.alloc(), cache.alloc()
    cache.free(a)
    cache.memory.write_word(a, 0x1234)  # a use-after-free write over the link
    broken = r"cache 'obj', slab 0x[0-9a-f]+: refcount 1 says 19 of 20 buffers are free, but the free list reaches 1"
    with pytest.raises(HeapCorruption, match=broken):
        cache.check()


def test_check_finds_a_wrong_refcount():
    cache = SlabCache("obj", 200)
    cache.alloc()
    (slab,) = cache.view().slabs
    cache.memory.write_word(slab.bookkeeping + 8 * INUSE, 5)
    with pytest.raises(HeapCorruption, match="refcount 5 says 15 of 20 buffers are free, but the free list reaches 19"):
        cache.check()


def test_a_slab_cache_passes_the_property_suite_with_a_constructor():
    hooks = Counting()
    harness = random_walk(
        lambda: SlabCache("obj", 96, ctor=hooks.ctor, dtor=hooks.dtor), ops=3000, seed=8, max_request=96
    )
    assert harness.heap.ctor_calls > 0


# -- pressure --------------------------------------------------------------------------------
def test_memory_pressure_reaps_free_slabs_of_other_caches():
    heap = Slab(limit=64 * 4096)
    small = [heap.alloc(200) for _ in range(15 * 56)]  # 56 of the 63 pages hold kmalloc-256 slabs
    for obj in small:
        heap.free(obj)
    assert heap.slabinfo()[0].num_slabs == 56
    with heap.record(snapshots=False) as rec:
        for _ in range(31 * 40):  # needs 40 pages of kmalloc-128 slabs
            heap.alloc(100)
    assert "slabreap" in rec.recording.kinds()
    assert [r.name for r in heap.slabinfo()] == ["kmalloc-128"]
    heap.check()


def test_out_of_memory_without_free_slabs_changes_nothing():
    heap = Slab(limit=16 * 4096)
    with pytest.raises(OutOfMemory):
        while True:
            heap.alloc(3000)
    before = state(heap)
    with pytest.raises(OutOfMemory):
        heap.alloc(3000)
    assert state(heap) == before


# -- kmalloc ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("size", "cache"),
    [
        (1, "kmalloc-8"),
        (9, "kmalloc-16"),
        (65, "kmalloc-96"),
        (100, "kmalloc-128"),
        (129, "kmalloc-192"),
        (1000, "kmalloc-1k"),
        (5000, "kmalloc-8k"),
        (8192, "kmalloc-8k"),
    ],
)
def test_kmalloc_picks_the_smallest_cache_that_fits(size, cache):
    heap = Slab()
    assert heap.cache_for(size).cache_name == cache
    assert kmalloc_name(heap.ksize(heap.alloc(size))) == cache


def test_kmalloc_caches_are_named_as_linux_names_them():
    """mm/slab_common.c's kmalloc_info: bytes below 1024, then KiB, then MiB."""
    assert [c.cache_name for c in Slab().caches] == [
        "kmalloc-8", "kmalloc-16", "kmalloc-32", "kmalloc-64", "kmalloc-96", "kmalloc-128", "kmalloc-192",
        "kmalloc-256", "kmalloc-512", "kmalloc-1k", "kmalloc-2k", "kmalloc-4k", "kmalloc-8k",
    ]  # fmt: skip
    assert [kmalloc_name(n) for n in (16384, 65536, 1 << 20, 2 << 20)] == [
        "kmalloc-16k", "kmalloc-64k", "kmalloc-1M", "kmalloc-2M",
    ]  # fmt: skip


def real_kmalloc_caches() -> dict[int, str]:
    """Object size -> name of this machine's plain kmalloc caches, read from /proc/slabinfo."""
    try:
        lines = Path("/proc/slabinfo").read_text().splitlines()
    except OSError:
        pytest.skip("/proc/slabinfo cannot be read here (not Linux, or not allowed)")
    caches = {}
    for line in lines[2:]:
        name, _active, _num, objsize, *_ = line.split()
        if re.fullmatch(r"kmalloc-\d+[kM]?", name):
            caches[int(objsize)] = name
    return caches


def test_kmalloc_names_match_the_running_kernels_slabinfo():
    """Measured: each kmalloc cache this kernel has is named as memlab names a cache of its size."""
    real = real_kmalloc_caches()
    shared = sorted(set(real) & set(KMALLOC_SIZES))
    assert shared, f"no kmalloc cache of memlab's sizes in /proc/slabinfo: {real}"
    assert [real[size] for size in shared] == [kmalloc_name(size) for size in shared]


def test_power_of_two_caches_are_naturally_aligned():
    heap = Slab()
    for _ in range(100):
        assert heap.alloc(64) % 64 == 0
    assert heap.cache_for(40, 64).cache_name == "kmalloc-64"
    assert heap.cache_for(80, 16).cache_name == "kmalloc-128"  # kmalloc-96 is only 8-aligned


def test_big_requests_take_whole_pages_and_give_them_back():
    heap = Slab()
    obj = heap.alloc(10_000)
    assert heap.ksize(obj) == 12_288 and heap.footprint == 12_288
    assert [b.state for b in heap.layout()] == [ALLOCATED]
    heap.free(obj)
    assert heap.footprint == 0


def test_resize_in_place_while_the_object_fits_its_cache():
    heap = Slab()
    obj = heap.alloc(70)
    assert heap.resize(obj, 96) and not heap.resize(obj, 97)
    assert heap.realloc(obj, 120) != obj


def test_slabinfo_text_reads_like_proc_slabinfo():
    heap = Slab()
    for _ in range(130):
        heap.alloc(30)
    text = slabinfo_text(heap.slabinfo())
    assert text.splitlines() == [
        "# name     active_objs num_objs objsize objperslab pagesperslab : active_slabs num_slabs : ctors dtors",
        "kmalloc-32         130      252      32        126            1 :            2         2 :     0     0",
    ]


def test_the_first_allocation_records_the_grow_then_the_alloc():
    heap = Slab()
    with heap.record() as rec:
        heap.alloc(24)
    assert rec.recording.kinds() == ["grow", "slabgrow", "alloc"]
    assert "cache 'kmalloc-32' grows: a new 1-page slab" in rec.recording.script()


# -- the view ------------------------------------------------------------------------------
def test_the_slab_view_draws_sections_colour_offsets_and_the_touched_buffer():
    from memlab.viz.slab import slab_svg, slab_view

    c = Counting()
    cache = SlabCache("inode", 200, 8, ctor=c.ctor)
    objs = [cache.alloc() for _ in range(45)]  # three slabs of 19 buffers
    for x in objs[:18]:
        cache.free(x)
    with cache.record() as rec:
        cache.free(objs[30])
    svg = slab_svg(rec.recording[-1].snapshot, event=rec.recording[-1].event)
    assert "constructor ran 57×, destructor 0×" in svg
    assert [s.inuse for s in cache.view().slabs] == [18, 1, 7]  # the slab just freed into moved first
    assert svg.count(">partial<") == 3 and ">18/19<" in svg
    assert ">+8<" in svg and ">+16<" in svg  # the second and third slab start at colours 8 and 16
    assert 'stroke-width="2"' in svg  # the freed buffer is outlined
    assert "free, still constructed" in svg
    html = slab_view()(rec.recording[-1])
    assert "inode           26       57     200" in html


def test_the_kmalloc_view_shows_only_caches_with_slabs_unless_named():
    from memlab.viz.slab import slab_svg

    heap = Slab()
    heap.alloc(33)
    snap = heap.snapshot()
    assert ">kmalloc-64<" in slab_svg(snap) and "kmalloc-8<" not in slab_svg(snap)
    named = slab_svg(snap, caches=["kmalloc-8"])
    assert ">kmalloc-8<" in named and "no slabs" in named and ">kmalloc-64<" not in named


def test_the_lecture_demo_counts_constructor_calls_against_allocations():
    import memlab.demos

    player = memlab.demos.demo("slab")
    assert 10 <= len(player.recording) - 1 <= 40
    script = player.recording.script()
    assert "1012 allocations so far, and the constructor ran only 16 times" in script
    assert "buffers start at colour offset 8" in script
    player.seek(-1)
    assert "constructor ran 16×, destructor 16×" in player.html


def test_a_slab_move_is_recorded_after_the_free_that_caused_it():
    cache = SlabCache("x", 512, 8)
    objs = [cache.alloc() for _ in range(cache.geometry.objects)]
    with cache.record() as rec:
        cache.free(objs[0])
    assert rec.recording.kinds() == ["free", "slabmove"]
    heap = Slab()
    a = heap.alloc(100)
    with heap.record() as rec:
        heap.free(a)
    assert rec.recording.kinds() == ["free", "slabmove"]
