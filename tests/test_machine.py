"""The simulated machine: memory, words, alignment, hexdump and the simulated OS."""

import sys

import pytest

from memlab import OS, BadAlignment, BadRequest, BadSize, InvalidFree, Memory, OutOfBounds, OutOfMemory
from memlab.memory import ZERO_BY_PAGES, align_down, align_up, check_alignment, is_power_of_two


def test_words_are_little_endian():
    m = Memory(64)
    m.write_word(8, 0x0102030405060708)
    assert m.read(8, 8) == bytes([8, 7, 6, 5, 4, 3, 2, 1])
    m.write_word(16, 0x11 | 1, width=4)
    assert m.read_word(16, 4) == 0x11
    assert m.read_word(8) == 0x0102030405060708


def test_alignment_helpers():
    assert [align_up(n, 8) for n in (0, 1, 8, 9, 15, 16)] == [0, 8, 8, 16, 16, 16]
    assert align_down(15, 8) == 8
    assert [n for n in range(-2, 70) if is_power_of_two(n)] == [1, 2, 4, 8, 16, 32, 64]
    for bad in (0, 3, -8, 12, 2.0, True, "8"):
        with pytest.raises(BadAlignment, match="not a power of two"):
            check_alignment(bad)


@pytest.mark.parametrize("address,n", [(-1, 1), (60, 8), (64, 1), (0, 65)])
def test_out_of_bounds_access_is_a_clear_error(address, n):
    m = Memory(64)
    with pytest.raises(OutOfBounds, match=r"outside memory \[0x0, 0x40\)"):
        m.read(address, n)


def test_hexdump_shows_address_bytes_and_text():
    m = Memory(32)
    m.write(0, b"memlab!!")
    m.write_word(16, 0x19, width=4)
    lines = m.hexdump(0, 32).splitlines()
    assert lines[0] == "00000000: 6d656d6c 61622121 00000000 00000000  memlab!!........"
    assert lines[1].startswith("00000010: 19000000 ")


def test_memory_is_not_a_python_object_per_byte():
    if not sys.platform.startswith("linux"):
        pytest.skip("reads /proc/self/statm")

    def rss():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * 4096

    before = rss()
    m = Memory(64 << 20)
    for page in range(0, m.size, 4096):
        m.write(page, b"\x01")
    grown = rss() - before
    assert 56 << 20 <= grown <= 80 << 20, f"64 MiB of simulated memory took {grown >> 20} MiB"


def test_os_hands_out_the_heap_with_sbrk_and_pages_with_mmap():
    os = OS(1 << 20)
    assert os.heap_start == 4096, "page 0 stays unmapped so that 0 can be NULL"
    old = os.sbrk(100)
    assert old == 4096 and os.brk_address == 4196 and os.heap_bytes == 100
    a = os.mmap(5000)
    assert a % 4096 == 0 and a + 8192 == os.limit, "mmap rounds up to pages and takes them from the top"
    b = os.mmap(1)
    assert b == a - 4096
    os.munmap(a, 4096)
    assert os.regions() == [(b, 4096), (a + 4096, 4096)]
    assert os.is_mapped(b) and not os.is_mapped(a) and os.is_mapped(4100) and not os.is_mapped(0)
    assert dict(os.syscalls) == {"sbrk": 1, "mmap": 2, "munmap": 1}
    assert os.footprint == 100 + 8192


def test_os_limit_raises_and_changes_nothing():
    os = OS(64 << 10)
    os.sbrk(8192)
    state = (os.brk_address, os.regions(), os.heap_bytes)
    with pytest.raises(OutOfMemory, match="sbrk"):
        os.sbrk(1 << 20)
    with pytest.raises(OutOfMemory, match="mmap"):
        os.mmap(1 << 20)
    assert (os.brk_address, os.regions(), os.heap_bytes) == state


def test_os_rejects_bad_requests():
    os = OS(64 << 10)
    with pytest.raises(BadSize):
        os.mmap(0)
    with pytest.raises(BadRequest, match="below the heap start"):
        os.sbrk(-1)
    with pytest.raises(InvalidFree, match="not page aligned"):
        os.munmap(4097, 10)
    with pytest.raises(InvalidFree, match="not all of it is mapped"):
        os.munmap(8192, 4096)


def test_mmap_zeroes_reused_pages():
    os = OS(64 << 10)
    a = os.mmap(4096)
    os.memory.write(a, b"secret")
    os.munmap(a, 4096)
    assert os.memory.read(os.mmap(4096), 6) == bytes(6)


def test_zeroing_a_large_range_clears_its_pages_and_nothing_beside_it():
    """Memory.fill hands whole pages back to the host where it can; they must read as zeros."""
    m = Memory(4 * ZERO_BY_PAGES)
    m.write(0, b"\xab" * len(m))
    m.fill(3, 2 * ZERO_BY_PAGES + 5)  # neither end on a page boundary
    assert m.read(0, 3) == b"\xab" * 3
    assert m.read(3, 2 * ZERO_BY_PAGES + 5) == bytes(2 * ZERO_BY_PAGES + 5)
    assert m.read(2 * ZERO_BY_PAGES + 8, 7) == b"\xab" * 7
    m.fill(0, len(m), 0x5A)  # other values byte by byte
    assert m.read(0, len(m)) == b"\x5a" * len(m)


def test_memory_counts_its_writes_and_where_the_last_went():
    """An allocator that indexes its own tags (the free list's accelerator) reads these."""
    m = Memory(64)
    m.write(8, b"ab")
    m.write_word(16, 1, width=4)
    m.fill(0, 4)
    m.copy(32, 8, 2)
    m.read(0, 8)
    m.hexdump(0, 16)
    assert m.writes == 4 and m.written == (32, 34)


def first_fit_from_the_top(regions, limit, brk, length):
    """The address mmap must return: the highest gap that fits, walked mapping by mapping."""
    top = limit
    for start, size in sorted(regions, reverse=True):
        if top - (start + size) >= length:
            return top - length
        top = start
    return top - length if top - brk >= length else None


def test_mmap_takes_the_highest_gap_that_fits_after_any_maps_and_unmaps():
    import random

    rng = random.Random(7)
    os_ = OS(limit=1 << 20)
    os_.sbrk(64 * 4096)
    live = []
    for _ in range(3000):
        if live and rng.random() < 0.45:
            address, length = live.pop(rng.randrange(len(live)))
            cut = rng.choice([0, 4096]) if length > 8192 else 0  # now and then unmap only part of it
            os_.munmap(address + cut, length - cut)
            if cut:
                live.append((address, cut))
            continue
        length = rng.choice([1, 2, 3, 8, 20]) * 4096
        want = first_fit_from_the_top(os_.regions(), os_.limit, os_.brk_address, length)
        if want is None:
            with pytest.raises(OutOfMemory):
                os_.mmap(length)
            continue
        assert os_.mmap(length) == want
        live.append((want, length))
    assert os_.mapped_bytes == sum(length for _, length in live)


def test_in_the_browser_a_new_memory_first_frees_heaps_that_cycles_keep(monkeypatch):
    """WebAssembly commits a simulated memory at once: heaps in reference cycles must not pile up."""
    import gc

    from memlab import host, memory
    from memlab.allocators.freelist import FreeListHeap

    monkeypatch.setattr(host, "in_browser", lambda: True)
    monkeypatch.setattr(memory, "COLLECT_ABOVE", 3 * (64 << 20))
    gc.collect()
    gc.disable()
    try:
        for _ in range(10):
            FreeListHeap().alloc(16)  # dropped at once, but its own reference cycles keep it alive
        assert 1 <= len(memory._ALIVE) <= 3
    finally:
        gc.enable()


def test_in_the_browser_the_young_collection_comes_first_and_a_full_one_only_if_needed(monkeypatch):
    """A full collection costs about 0.1 s in Pyodide; heaps dropped in a loop are young: the cheap one frees them."""
    import gc

    from memlab import host, memory
    from memlab.allocators.freelist import FreeListHeap

    asked = []
    collect = gc.collect
    monkeypatch.setattr(host, "in_browser", lambda: True)
    monkeypatch.setattr(memory, "COLLECT_ABOVE", 3 * (64 << 20))
    monkeypatch.setattr(memory.gc, "collect", lambda generation=2: asked.append(generation) or collect(generation))
    collect()
    for _ in range(20):
        FreeListHeap().alloc(16)
    # each time, the young collection first; a full one only now and then, after it
    assert asked[:1] == [0] and all(a == 0 for a, b in zip(asked, asked[1:]) if b == 2), asked
    assert asked.count(2) < asked.count(0), asked  # and at least once, the young one was enough
    collect()
    for _ in range(3):
        FreeListHeap()  # garbage that its cycles keep, as far as the limit allows...
    gc.freeze()
    gc.unfreeze()  # ...now in the oldest generation, where a young collection does not look
    asked.clear()
    FreeListHeap()
    assert asked == [0, 2] and len(memory._ALIVE) == 1
