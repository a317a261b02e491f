"""The page allocator: whole pages by mmap, munmap on free, resize within its pages, typed errors."""

import pytest

import memlab
from memlab import BadAlignment, BadSize, DoubleFree, InvalidFree, OutOfMemory
from memlab.allocators.page import PageAllocator
from memlab.demos import demo


def state(pages):
    start, end = pages.extent()
    return pages.layout(), pages.memory.read(start, end - start), dict(pages.os.syscalls), pages.mapped_pages


def test_every_request_is_whole_pages_and_one_mmap():
    pages = memlab.allocator("page", limit=1 << 20)
    a = pages.alloc(16)
    b = pages.alloc(4097)
    assert a % 4096 == 0 and b % 4096 == 0
    assert pages.mapped_pages == 3 and pages.footprint == 3 * 4096
    assert pages.stats().syscalls == {"mmap": 2}
    slack = {blk.address: blk.size for blk in pages.layout() if blk.state == "dead"}
    assert slack == {a + 16: 4080, b + 4097: 4095}, "the rest of each last page is mapped but unused"


def test_free_unmaps_and_returns_to_empty():
    pages = PageAllocator(limit=1 << 20)
    a = pages.alloc(100)
    pages.memory.write(a, b"x" * 100)
    pages.free(a)
    assert pages.os.syscalls["munmap"] == 1 and pages.footprint == 0
    assert not pages.os.is_mapped(a), "the pages really are gone"
    assert pages.reclaimed() and pages.layout() == []


def test_large_allocation_is_one_mmap():
    pages = PageAllocator(limit=4 << 20)
    big = pages.alloc(1 << 20)
    assert pages.mapped_pages == 256 and pages.os.syscalls["mmap"] == 1
    pages.memory.write(big + (1 << 20) - 1, b"!")
    pages.free(big)
    assert pages.os.mapped_bytes == 0


def test_resize_in_place_while_the_page_count_holds_and_when_shrinking():
    pages = PageAllocator(limit=1 << 20)
    a = pages.alloc(5000)  # 2 pages
    with pages.record() as rec:
        assert pages.resize(a, 8192), "still 2 pages: in place, no system call"
        assert pages.resize(a, 100), "1 page: the tail page is unmapped"
        assert not pages.resize(a, 4097), "growing needs mremap, which the simulated OS lacks"
    assert rec.recording.kinds() == ["resize", "shrink", "resize"]
    assert pages.mapped_pages == 1 and pages.os.syscalls["munmap"] == 1
    moved = pages.realloc(a, 9000)
    assert moved != a and pages.mapped_pages == 3


def test_over_aligned_requests_map_extra_and_trim_it():
    pages = PageAllocator(limit=1 << 20)
    a = pages.alloc(100, 65536)
    assert a % 65536 == 0 and pages.mapped_pages == 1, "the excess pages were unmapped"
    assert pages.os.mapped_bytes == 4096
    pages.check()


def test_events_show_the_system_calls():
    pages = PageAllocator(limit=1 << 20)
    with pages.record() as rec:
        a = pages.alloc(24)
        pages.free(a)
    assert rec.recording.kinds() == ["grow", "alloc", "shrink", "free"]
    assert rec.recording.events[0].describe() == f"grow: mmap gives 4096 bytes at {a:#x}"
    assert [b.state for b in rec.recording[1].snapshot.blocks] == ["free"], "mapped, not yet handed out"


@pytest.mark.parametrize(
    "action,error,text",
    [
        (lambda p, a: p.alloc(0), BadSize, "size 0"),
        (lambda p, a: p.alloc(3, 48), BadAlignment, "alignment 48"),
        (lambda p, a: p.alloc(1 << 21), OutOfMemory, "mmap"),
        (lambda p, a: p.free(a + 8), InvalidFree, "interior pointer"),
        (lambda p, a: p.free(4096), InvalidFree, "not the start of any live block"),
    ],
)
def test_bad_input_changes_nothing(action, error, text):
    pages = PageAllocator(limit=1 << 20)
    a = pages.alloc(64)
    pages.memory.write(a, bytes(range(64)))
    before = state(pages)
    with pytest.raises(error, match=text) as info:
        action(pages, a)
    assert info.value.step == pages.step
    after = state(pages)
    assert after[0] == before[0] and after[1] == before[1] and after[3] == before[3]


def test_double_free_is_caught_before_munmap():
    pages = PageAllocator(limit=1 << 20)
    a = pages.alloc(64)
    pages.free(a)
    with pytest.raises(DoubleFree):
        pages.free(a)
    assert pages.os.syscalls["munmap"] == 1


def test_demo_counts_system_calls():
    player = demo("pages")
    player.seek(-1)
    assert "8 system calls ({'mmap': 4, 'munmap': 4})" in player.caption
    assert "100-byte block, 100 requested" in player.html
    assert "24-byte block" not in player.html, "the freed small block's page is gone"
