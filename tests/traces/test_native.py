"""glibc as a replay target: its heap size is where the replay's chunks reach, holes included."""

import ctypes
import json
import mmap
import subprocess
import sys

import pytest

from memlab.traces import from_ops, write_rep
from memlab.traces import native as native_module
from memlab.traces.native_chunks import HEADER, IS_MMAPPED, NON_MAIN_ARENA, REGION_BITS, ChunkMap

GLIBC = native_module.available()
needs_glibc = pytest.mark.skipif(GLIBC is not None, reason=f"the machine's malloc cannot be measured: {GLIBC}")


class FakeHeap:
    """Chunk size words written into two regions' worth of mapped memory, where the test says."""

    REGION = 1 << REGION_BITS

    def __init__(self) -> None:
        self.map = mmap.mmap(-1, 2 * self.REGION + 4096)  # untouched pages cost nothing
        start = ctypes.addressof(ctypes.c_char.from_buffer(self.map))
        self.base = (start + self.REGION - 1) & ~(self.REGION - 1)  # a region's first byte

    def chunk(self, offset: int, size: int, flags: int = NON_MAIN_ARENA | 1) -> int:
        address = self.base + offset + HEADER
        ctypes.c_size_t.from_address(address - 8).value = size | flags
        return address


def test_the_heap_reaches_from_the_lowest_chunk_to_the_highest_end_holes_included():
    fake, chunks = FakeHeap(), ChunkMap()
    first, hole, last = fake.chunk(0, 48), fake.chunk(48, 4096), fake.chunk(4144, 32)
    for address in (first, hole, last):
        chunks.add(address)
    chunks.remove(hole)
    assert chunks.bytes == 4176, "the freed hole still lies inside the heap"
    chunks.remove(last)
    assert chunks.bytes == 4176, "the mark only rises, like malloclab's break"


def test_mapped_chunks_count_while_they_live():
    fake, chunks = FakeHeap(), ChunkMap()
    chunks.add(fake.chunk(0, 64))
    big = fake.chunk(1024, 135168, flags=IS_MMAPPED)
    chunks.add(big)
    assert (chunks.heap_bytes, chunks.mapped_bytes) == (64, 135168)
    chunks.remove(big)
    assert chunks.bytes == 64


def test_main_arena_leftovers_cost_a_thread_arena_nothing():
    fake, chunks = FakeHeap(), ChunkMap()
    main = [fake.chunk(FakeHeap.REGION + offset, 32, flags=1) for offset in (512, 2048)]
    chunks.add(main[0])
    chunks.add(fake.chunk(0, 96))
    chunks.add(main[1])
    assert chunks.bytes == 96, "the thread arena's region only, whatever came first"
    alone = ChunkMap()
    for address in main:
        alone.add(address)
    assert alone.bytes == 1568, "with no thread arena, the main arena's chunks are the heap"


@needs_glibc
def test_glibc_pays_for_holes_its_requests_cannot_use(tmp_path):
    # four 8 KiB blocks, every other one freed, then four of 12,000 bytes: no hole fits them
    ops = [("a", i, 8192) for i in range(4)] + [("f", 0, 0), ("f", 2, 0)]
    ops += [("a", i, 12000) for i in range(4, 8)]
    rep = tmp_path / "holes.rep"
    write_rep(from_ops(ops, "holes"), rep)
    done = subprocess.run(  # a fresh process: a fresh thread arena, the same figures every time
        [sys.executable, "-m", "memlab", "replay", str(rep), "-a", "glibc", "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    [r] = json.loads(done.stdout)
    assert r["peak_live_bytes"] == 2 * 8192 + 4 * 12000
    assert r["heap_bytes"] >= 4 * 8192 + 4 * 12000, "both holes stay inside the heap"
    assert r["utilization"] < 0.8
