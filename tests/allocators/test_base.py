"""The contract every allocator inherits from the base class: calloc's checks, the counters of stats(), snapshots,
the footprint, interior pointers and bad limits."""

import pytest

import memlab
from memlab import BadRequest, BadSize, InvalidFree, MemlabError, OutOfMemory
from memlab.allocators.blocks import SNAPSHOT_BYTES

NAMES = memlab.names()


def build(name):
    entry = memlab.REGISTRY[name]
    return memlab.allocator(name, **entry.test_options)


def state(heap):
    start, end = heap.extent()
    return heap.layout(), heap.memory.read(start, end - start), heap.stats()


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(("count", "size"), [(-2, -8), (-1, 16), (4, -1), (0, 8), (8, 0), (2.0, 8), (2, "8")])
def test_calloc_checks_count_and_size_before_multiplying_them(name, count, size):
    heap = build(name)
    kept = heap.alloc(8)
    before = state(heap)
    with pytest.raises(BadSize, match=r"calloc\(.*\): the (count|size) must be a positive integer") as caught:
        heap.calloc(count, size)  # calloc(-2, -8) used to hand out 16 bytes
    assert caught.value.step == 2
    assert state(heap) == before and heap.live() == {kept: 8}


@pytest.mark.parametrize("name", NAMES)
def test_calloc_hands_out_count_times_size_zeroed_bytes(name):
    heap = build(name)
    first = heap.alloc(24)
    heap.memory.write(first, b"\xff" * 24)
    heap.free(first)  # dirty memory the next block may reuse
    address = heap.calloc(3, 8)
    assert heap.memory.read(address, 24) == bytes(24)
    assert heap.live() == {address: 24} and heap.stats().allocs == 2


@pytest.mark.parametrize("name", NAMES)
def test_reallocs_counts_successful_reallocs_only_as_allocs_counts_successful_allocs(name):
    heap = build(name)
    a = heap.alloc(16)
    before = state(heap)
    with pytest.raises(MemlabError) as caught:
        heap.realloc(a, 1 << 40)  # far more than any simulated machine holds
    after = state(heap)
    assert after[:2] == before[:2], "a failed realloc leaves the block where it was"
    s = after[2]
    assert (s.allocs, s.frees, s.reallocs) == (1, 0, 0), f"a failed realloc is not a realloc: {s}"
    assert s.failures == (1 if isinstance(caught.value, OutOfMemory) else 0)
    b = heap.realloc(a, 8)
    s = heap.stats()
    assert s.reallocs == 1 and s.live_blocks == 1 and s.live_bytes == 8
    moved = b != a
    assert (s.allocs, s.frees) == ((2, 1) if moved else (1, 0)), "a moving realloc also counts its alloc and free"


def test_realloc_of_null_is_an_alloc_and_failed_allocs_count_as_failures():
    heap = memlab.allocator("bump", size=64)
    a = heap.realloc(None, 16)
    with pytest.raises(OutOfMemory):
        heap.alloc(100)
    with pytest.raises(OutOfMemory):
        heap.realloc(a, 100)
    s = heap.stats()
    assert (s.allocs, s.reallocs, s.frees, s.failures) == (1, 0, 0, 2)


@pytest.mark.parametrize("name", NAMES)
def test_a_snapshot_holds_every_block_and_the_bytes_written_into_the_last_one(name):
    heap = build(name)
    first, last = heap.alloc(16), heap.alloc(16)
    heap.memory.write(first, b"first!")
    heap.memory.write(last, b"last!!")
    snap = heap.snapshot()
    assert snap.start <= min(b.address for b in snap.blocks) and max(b.end for b in snap.blocks) <= snap.end
    if snap.end - snap.start > SNAPSHOT_BYTES:  # too wide to copy (TCMalloc's spans, a stack fallback's mmap)
        assert snap.data == b""
        return
    assert len(snap.data) == snap.end - snap.start
    for address, text in ((first, b"first!"), (last, b"last!!")):
        assert snap.data[address - snap.start :][:6] == text


FOOTPRINT_IS_THE_OS = [n for n in NAMES if n not in ("arena", "mimalloc")]
"""The allocators whose footprint is all their OS handed out: an arena counts the chunks of its child allocator,
and mimalloc only the committed part of the segments it reserves."""


@pytest.mark.parametrize("name", FOOTPRINT_IS_THE_OS)
def test_the_footprint_is_what_the_os_handed_out_in_whole_pages(name):
    heap = build(name)
    largest = memlab.REGISTRY[name].max_request  # slab's largest goes to mmap and back
    blocks = [heap.alloc(n) for n in (8, min(100, largest), largest)]
    taken = heap.stats().footprint
    assert taken == heap.os.footprint > 0
    for address in reversed(blocks):
        heap.free(address)
    s = heap.stats()
    assert s.footprint == heap.os.footprint and s.peak_footprint >= taken
    assert repr(heap).endswith(f"footprint {heap.os.footprint}>")  # what a notebook prints: whole bytes


@pytest.mark.parametrize("name", NAMES)
def test_an_interior_pointer_is_named_with_its_offset_and_its_block(name):
    heap = build(name)
    a = heap.alloc(16)
    heap.alloc(16)
    before = state(heap)
    with pytest.raises(InvalidFree, match=rf"free of {a + 4:#x}\W.*\b4 bytes inside .*{a:#x}\b"):
        heap.free(a + 4)
    assert state(heap) == before


@pytest.mark.parametrize("limit", [-5, 2**70])
def test_an_impossible_limit_is_a_bad_request_naming_the_limit(limit):
    with pytest.raises(BadRequest, match=rf"^freelist limit={limit}: "):
        memlab.allocator("freelist", limit=limit)
