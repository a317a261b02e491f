"""mimalloc 2.0.9: bins, pages in segments, a page's three free lists, frees from other threads
through thread_free and the owner's delayed list, the full queue, retired pages, spans that merge,
huge segments, mimalloc's realloc and aligned allocation, the contract in every variant, many
threads at once, and the same pages as the real libmimalloc on the same traces."""

from __future__ import annotations

import random

import pytest

import memlab
from memlab.allocators.mimalloc import BIN_SIZE, MiMalloc, bin_of, block_size
from memlab.errors import BadAlignment, HeapCorruption, InvalidFree
from memlab.traces import mipages, shipped
from memlab.traces.production.run import encode


def test_bins_round_a_request_up_to_one_of_73_sizes():
    got = {n: block_size(n) for n in (1, 8, 9, 16, 24, 33, 48, 64, 65, 72, 100, 1024, 1025, 20000, 131072)}
    assert got == {
        1: 8,
        8: 8,
        9: 16,
        16: 16,
        24: 32,  # below 64 bytes: every 16 bytes (two words), for 16-byte alignment
        33: 48,
        48: 48,
        64: 64,
        65: 80,
        72: 80,
        100: 112,
        1024: 1024,
        1025: 1280,  # then four bins per power of two
        20000: 20480,
        131072: 131072,
    }
    assert bin_of(131073) == 73  # larger blocks: a page of their own (the "huge" queue)
    sizes = sorted({BIN_SIZE[bin_of(n)] for n in range(1, 131073, 7)})
    assert max(b / a for a, b in zip(sizes, sizes[1:]) if a >= 64) == 1.25  # each bin at most a quarter larger
    assert max((block_size(n) - n) / block_size(n) for n in range(65, 131073)) < 0.2


def test_a_small_page_is_one_slice_with_its_blocks_384_bytes_in():
    heap = MiMalloc()
    a = heap.alloc(20)
    (segment,) = heap.segments.values()
    assert segment.address % (4 << 20) == 0 and heap.segment_of(a) is segment
    page = heap.page_of(a)
    assert page.address == segment.address + 64 * 1024  # slice 0 holds the descriptors
    assert a == page.start == page.address + 384 and page.block_size == 32
    assert page.reserved == (65536 - 384) // 32 and page.capacity == 4096 // 32  # extended 4 KiB at a time
    assert heap.footprint == 4096 and heap.reserved == 4 << 20  # committed: the blocks on a list so far


def test_the_owners_frees_wait_on_local_free_until_the_free_list_runs_out():
    heap = MiMalloc()
    blocks = [heap.alloc(32) for _ in range(3)]
    page = heap.page_of(blocks[0])
    heap.free(blocks[0])
    view = heap.page_view(page)
    assert view.local_free == (blocks[0],) and blocks[0] not in view.free
    assert heap.alloc(32) == blocks[2] + 32  # malloc keeps popping `free`, not the block just freed
    for _ in range(len(heap.page_view(page).free)):  # use up the free list
        heap.alloc(32)
    with heap.record() as rec:
        again = heap.alloc(32)
    assert again == blocks[0]  # the free list was empty: local_free became the free list
    assert rec.recording.kinds() == ["collect", "alloc"]
    assert "collects 1 freed by the owner (local_free) as its new free list" in rec.recording.script()


def test_a_free_from_another_thread_goes_on_thread_free_after_telling_the_owner_once():
    heap = MiMalloc()
    x, y, z = (heap.alloc(48, thread=1) for _ in range(3))
    page = heap.page_of(x)
    with heap.record() as rec:
        heap.free(x, thread=2)
        heap.free(y, thread=2)
    assert rec.recording.kinds() == ["free", "delayedfree", "free"]
    view = heap.page_view(page)
    assert view.delayed == (x,) and view.thread_free == (y,) and view.local_free == ()
    assert view.used == 3 and view.live == 1  # not collected yet: still counted as used
    assert 2 not in heap.heaps or not heap.heaps[2].queues[bin_of(48)].first  # thread 2 got no page
    for _ in range(len(view.free)):
        heap.alloc(48, thread=1)
    with heap.record() as rec:
        got = heap.alloc(48, thread=1)  # free is empty: delayed list first, then collect
    assert rec.recording.kinds()[:2] == ["delayedcollect", "collect"]
    assert got in (x, y)
    heap.check()


def test_many_threads_at_once_keep_every_invariant():
    heap = MiMalloc()
    rng = random.Random(5)
    held: list[list[int]] = [[] for _ in range(3)]
    for _ in range(1500):
        t = rng.randrange(3)
        if not held[t] or (rng.random() < 0.55 and len(held[t]) < 60):
            held[t].append(heap.alloc(rng.choice([8, 24, 64, 200, 1000, 5000]), thread=t))
        else:
            owner = rng.randrange(3) if rng.random() < 0.3 else t
            if not held[owner]:
                owner = t
            heap.free(held[owner].pop(rng.randrange(len(held[owner]))), thread=t)
        heap.check()
    for t, blocks in enumerate(held):
        for b in blocks:
            heap.free(b, thread=(t + 1) % 3)  # everything freed by another thread
    heap.check()
    assert heap.reclaimed() and not heap.live()
    pending = sum(len(v.thread_free) + len(v.delayed) for v in heap.views().values())
    assert pending > 0  # freed but not collected: mimalloc collects when a free list runs out


def test_the_collect_frame_shows_the_new_free_list_before_the_allocation_takes_its_head():
    heap = MiMalloc()
    blocks = [heap.alloc(1000, thread=1) for _ in range(4)]  # the page threads exactly four blocks
    heap.free(blocks[0], thread=1)
    heap.free(blocks[1], thread=2)  # the owner's delayed list
    heap.free(blocks[2], thread=2)  # the page's thread_free
    with heap.record() as rec:
        got = heap.alloc(1000, thread=1)  # free is empty: take the delayed list, collect, allocate
    frames = {f.event.kind: f.snapshot.pages[0] for f in rec.recording if f.event is not None}
    collected = frames["collect"]
    assert collected.free == (blocks[2], blocks[0]) and collected.thread_free == () and collected.local_free == ()
    assert got == blocks[2]  # thread_free's blocks go in front of local_free's
    assert frames["alloc"].free == (blocks[0],) and frames["alloc"].local_free == (blocks[1],)


def test_a_full_page_leaves_the_queue_and_comes_back_to_its_end():
    heap = MiMalloc()
    per_page = (65536 - 384) // 1024
    blocks = [heap.alloc(1024) for _ in range(per_page)]
    page = heap.page_of(blocks[0])
    with heap.record() as rec:
        other = heap.alloc(1024)
    assert "pagefull" in rec.recording.kinds() and page.in_full
    assert heap.page_of(other) is not page
    with heap.record() as rec:
        heap.free(blocks[3])
    assert rec.recording.kinds() == ["free", "pageunfull"] and not page.in_full
    queue = heap.heaps[0].queues[bin_of(1024)].pages()
    assert queue == [heap.page_of(other), page]  # back at the end of its bin's queue


def test_an_empty_page_is_retired_if_it_is_the_only_one_else_freed():
    heap = MiMalloc()
    a = heap.alloc(100)
    with heap.record() as rec:
        heap.free(a)
    assert rec.recording.kinds() == ["free", "pageretire"]
    page = heap.page_of(a)
    assert page.retire_expire == 9
    for size in [2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000]:  # eight searches that find no page
        heap.alloc(size)
    assert page.retire_expire == 1
    with heap.record() as rec:
        b = heap.alloc(12_000)  # the ninth: the retired page expires and is freed
    assert rec.recording.kinds()[:2] == ["pagefreed", "pagefresh"]
    assert heap.page_of(b) is heap.page_of(a) is not page  # its slice, freed, was the best fit for the new page
    heap.check()


def test_freed_pages_merge_into_spans_and_an_empty_segment_goes_back_to_the_os():
    heap = MiMalloc()
    medium = [heap.alloc(20_000) for _ in range(3)]  # medium blocks: 512 KiB pages of 8 slices
    pages = [heap.page_of(m) for m in medium]
    assert len({p.address for p in pages}) == 1 and pages[0].slice_count == 8
    big = heap.alloc(200_000)  # a large block: a page of its own, 4 slices
    assert heap.page_of(big).slice_count == 4 and heap.page_of(big).reserved == 1
    segment = heap.segment_of(big)
    with heap.record() as rec:
        heap.free(big)  # a large page is freed at once: its slices merge with the free span after it
        for m in medium:
            heap.free(m)  # the medium page is empty but the only one of its size: retired, kept
    assert rec.recording.kinds()[-2:] == ["free", "pageretire"]
    assert segment.runs == {0: 1, 1: 8, 9: 55}
    with heap.record() as rec:
        heap.collect()  # mi_collect: empty pages go, and then the empty segment
    assert rec.recording.kinds() == ["pagefreed", "segmentfree"]
    assert not heap.segments and heap.footprint == 0 and heap.reserved == 0
    assert segment.runs == {0: 1, 1: 63}  # its pages merged back into one free span before it went


def test_a_huge_block_gets_a_segment_of_its_own():
    heap = MiMalloc()
    small = heap.alloc(16)
    huge = heap.alloc(3 << 20)  # more than half a 4 MiB segment
    segment = heap.segment_of(huge)
    assert segment.kind == "huge" and segment is not heap.segment_of(small)
    assert segment.size == (1 + 48) * 65536 and heap.page_of(huge).reserved == 1
    heap.free(huge)
    assert segment.address not in heap.segments
    heap.check()


def test_realloc_keeps_a_block_that_fits_and_wastes_at_most_half():
    heap = MiMalloc()
    a = heap.alloc(20)  # a 32-byte block
    assert heap.realloc(a, 30) == a and heap.realloc(a, 16) == a
    b = heap.realloc(a, 15)  # less than half of 32: copied to a 16-byte block
    assert b != a and heap.page_of(b).block_size == 16
    assert heap.realloc(b, 17) != b  # does not fit
    heap.check()


def test_aligned_requests_are_aligned_inside_an_over_allocated_block():
    heap = MiMalloc()
    p = heap.alloc(24, 64)
    assert p % 64 == 0
    first = heap.alloc(5000)  # a 5120-byte block, at the start of its page
    q = heap.alloc(100, 4096)  # 100 + 4095 bytes: the next 5120-byte block, aligned inside it
    page = heap.page_of(q)
    assert q % 4096 == 0 and page is heap.page_of(first) and page.has_aligned
    assert page.block_of(q) == first + 5120 and heap.snapshot().blocks  # the layout finds the block
    heap.memory.write(q, b"x" * 100)
    heap.check()
    heap.free(q)
    heap.free(p)
    heap.check()
    with pytest.raises(BadAlignment, match="at most 2097152 bytes"):
        heap.alloc(8, 4 << 20)


def test_bad_input_is_a_typed_error_that_changes_nothing():
    heap = MiMalloc()
    a = heap.alloc(64)
    before = heap.snapshot()
    with pytest.raises(InvalidFree, match="interior pointer, 8 bytes inside the 64-byte block"):
        heap.free(a + 8)
    with pytest.raises(memlab.BadRequest, match="thread -1 is not a thread number"):
        heap.alloc(8, thread=-1)
    assert heap.snapshot() == before
    with pytest.raises(memlab.BadRequest, match="mimalloc segment_size=12345"):
        MiMalloc(segment_size=12345)


def test_check_names_a_corrupted_free_list():
    heap = MiMalloc()
    a, b = heap.alloc(64), heap.alloc(64)
    heap.free(a)
    heap.memory.write_word(a, b)  # local_free now runs into a live block
    with pytest.raises(HeapCorruption, match=r"live block 0x[0-9a-f]+ is on the local_free list of its page"):
        heap.check()


# -- against the real libmimalloc (the production replay, in a process of its own) -------------------------------
@pytest.fixture(scope="module")
def libmimalloc():
    reason = mipages.available("libmimalloc")
    if reason is not None:
        pytest.skip(reason)


@pytest.mark.parametrize("name", ["ls-zoneinfo", "python-startup", "cc1-hello", "sort"])
def test_the_same_trace_gives_the_same_pages_as_the_real_libmimalloc(libmimalloc, name):
    comparison = mipages.compare(shipped.load(name))
    assert comparison.real == comparison.simulated
    assert comparison.exact and "differs" not in comparison.table()
    assert comparison.pages[0] > 15  # pages of many sizes, not a toy


def test_and_at_the_peak_of_live_bytes_in_the_middle_of_a_trace(libmimalloc):
    trace = shipped.load("python-startup")
    peak, _ = encode(trace)
    comparison = mipages.compare(trace, census=peak)
    assert comparison.exact and comparison.pages == (42, 42)
    assert comparison.committed == (1_639_552, 1_639_552)  # bytes committed in pages, size by size


@pytest.mark.parametrize("name", ["ls-zoneinfo", "python-startup", "cc1-hello", "sort"])
def test_the_peak_footprint_is_the_real_libmimallocs_read_at_the_same_operations(libmimalloc, name):
    comparison = mipages.compare_footprint(shipped.load(name))
    assert comparison.exact and comparison.real > 500_000
    assert comparison.simulated_peak >= comparison.simulated


def test_between_the_operations_the_production_replay_reads_memlab_finds_a_higher_peak(libmimalloc):
    # the replayer reads libmimalloc's footprint at new peaks of live bytes and 200 evenly spaced
    # operations; memlab's replay reads its own after every operation
    most, peak = mipages.memlab_footprint(shipped.load("python-startup"))
    assert (most, peak) == (1_841_152, 1_898_496)


def test_a_difference_in_pages_would_show_in_the_table():
    comparison = mipages.PageComparison("t", {64: (1, 3, 4096)}, {64: (1, 3, 4096), 128: (1, 0, 4096)})
    assert not comparison.exact and comparison.committed == (4096, 8192)
    assert comparison.table().splitlines()[-1].split() == ["128", "0", "1", "0", "0", "0", "4096", "<-", "differs"]
