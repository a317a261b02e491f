"""mimalloc's sizes: slices, pages, objects, and the size classes ("bins"), as in mimalloc 2.0.9 on 64-bit.

A segment is cut into 64 KiB *slices*. A page is a run of slices holding blocks of one size:
*small* pages are one slice (blocks up to 16 KiB), *medium* pages eight slices (512 KiB, blocks up
to 128 KiB), *large* pages exactly as many slices as one block needs, and *huge* blocks get a
segment of their own. Requests are rounded up to one of 73 bins: every two words (16 bytes) up to
64 bytes, then four bins per power of two, so a block wastes at most about 12.5%
(``page-queue.c``: ``mi_bin``; the sizes are ``init.c``'s queue table).

Small blocks (8 to 1024 bytes) start 384 bytes into their page (``3 * MI_MAX_ALIGN_GUARANTEE``),
so that pages of small blocks do not all begin on the same cache sets.
"""

from __future__ import annotations

WORD = 8
SLICE_SIZE = 64 << 10  # MI_SEGMENT_SLICE_SIZE
SMALL_PAGE_SIZE = SLICE_SIZE  # MI_SMALL_PAGE_SIZE
MEDIUM_PAGE_SIZE = 8 * SLICE_SIZE  # MI_MEDIUM_PAGE_SIZE, 512 KiB
SMALL_OBJ_SIZE_MAX = SMALL_PAGE_SIZE // 4  # 16 KiB
MEDIUM_OBJ_SIZE_MAX = MEDIUM_PAGE_SIZE // 4  # 128 KiB
SMALL_SIZE_MAX = 128 * WORD  # MI_SMALL_SIZE_MAX: sizes served through the direct page array
MAX_ALIGN_SIZE = 16  # sizeof(max_align_t) on x86-64
MAX_ALIGN_GUARANTEE = 8 * MAX_ALIGN_SIZE  # 128
BIN_HUGE = 73
BIN_FULL = BIN_HUGE + 1
MAX_EXTEND_SIZE = 4 << 10  # a page's free list grows by at most 4 KiB of blocks at a time
MIN_EXTEND = 4  # ... and at least 4 blocks
RETIRE_CYCLES = 8

_QUEUE_WORDS = (
    [1, 1, 2, 3, 4, 5, 6, 7, 8]
    + [10, 12, 14, 16, 20, 24, 28, 32, 40, 48, 56, 64, 80, 96, 112, 128]
    + [160, 192, 224, 256, 320, 384, 448, 512, 640, 768, 896, 1024, 1280, 1536, 1792, 2048]
    + [2560, 3072, 3584, 4096, 5120, 6144, 7168, 8192, 10240, 12288, 14336, 16384, 20480, 24576, 28672, 32768]
    + [40960, 49152, 57344, 65536, 81920, 98304, 114688, 131072, 163840, 196608, 229376, 262144, 327680]
    + [393216, 458752, 524288]
)
BIN_SIZE = tuple(w * WORD for w in _QUEUE_WORDS) + (MEDIUM_OBJ_SIZE_MAX + WORD, MEDIUM_OBJ_SIZE_MAX + 2 * WORD)
"""Block size of each bin's page queue; the last two are the huge and the full queue (markers).
Bins above 128 KiB are in the table but unused in 2.0.9: larger blocks go to the huge queue."""
assert len(BIN_SIZE) == BIN_FULL + 1


def wsize(size: int) -> int:
    """Words needed for ``size`` bytes (``_mi_wsize_from_size``)."""
    return (size + WORD - 1) // WORD


def bin_of(size: int) -> int:
    """``mi_bin``: the bin of a request of ``size`` bytes (``BIN_HUGE`` above 128 KiB)."""
    w = wsize(size)
    if w <= 1:
        return 1
    if w <= 8:
        return (w + 1) & ~1  # two-word alignment: 16, 32, 48, 64 bytes
    if w > MEDIUM_OBJ_SIZE_MAX // WORD:
        return BIN_HUGE
    w -= 1
    b = w.bit_length() - 1
    return ((b << 2) + ((w >> (b - 2)) & 3)) - 3


def block_size(size: int) -> int:
    """The block a request of ``size`` bytes gets from its bin."""
    return BIN_SIZE[bin_of(size)]


def page_start_offset(block: int) -> int:
    """Bytes left unused at the start of a page of ``block``-byte blocks (384 for small blocks)."""
    return 3 * MAX_ALIGN_GUARANTEE if WORD <= block <= 1024 else 0


def max_extend(block: int) -> int:
    """How many blocks ``mi_page_extend_free`` adds to a page's free list at most, at once."""
    return max(MIN_EXTEND, MIN_EXTEND if block >= MAX_EXTEND_SIZE else MAX_EXTEND_SIZE // block)


def good_os_size(size: int, page: int = 4096) -> int:
    """``_mi_os_good_alloc_size``: a large block's size, rounded up as the OS layer rounds it."""
    if size < 512 << 10:
        align = page
    elif size < 2 << 20:
        align = 64 << 10
    elif size < 8 << 20:
        align = 256 << 10
    elif size < 32 << 20:
        align = 1 << 20
    else:
        align = 4 << 20
    return -(-size // align) * align


def slice_bin(slice_count: int) -> int:
    """``mi_slice_bin8``: the span queue a free run of ``slice_count`` slices is kept in."""
    if slice_count <= 1:
        return slice_count
    n = slice_count - 1
    s = n.bit_length() - 1
    if s <= 2:
        return n + 1
    return ((s << 2) | ((n >> (s - 2)) & 3)) - 4
