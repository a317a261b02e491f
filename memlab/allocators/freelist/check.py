"""Reading a free-list heap from its bytes: the layout, and malloclab's ``mm_checkheap``.

Both walk the header words in simulated memory, from the prologue to the epilogue, exactly as
CS:APP's heap checker does (with the book's macros, :mod:`.tags`); nothing is taken from
Python-side bookkeeping, so a corrupted tag shows up in ``layout()`` (as a dead block) and
``check()`` names it. Every read stays below the program break, so a nonsense size cannot send
the walk out of memory. With ``footers="free"`` an allocated block has a header only, and its
``PREV_FREE`` bit must tell the truth about its left neighbour.
"""

from __future__ import annotations

from ..base import ALLOCATED, DEAD, FREE, METADATA, Block
from .tags import ALLOC, DSIZE, FTRP, GET, HDRP, MIN_BLOCK, PREV_FREE, WSIZE


def heap_layout(heap) -> list[Block]:
    """Metadata (list heads, padding, prologue, epilogue) and every block, in address order."""
    w, brk = heap._w, heap.os.brk_address
    blocks = []
    heads = heap.lists.heads
    if heads:
        what = "free-list head" if heads == 1 else f"{heads} segregated free-list heads"
        blocks.append(Block(heap.heads_address, WSIZE * heads, METADATA, what))
    if heap.padding:
        blocks.append(Block(heap.prologue - WSIZE, WSIZE, METADATA, "padding"))
    blocks.append(Block(heap.prologue, DSIZE, METADATA, "prologue", WSIZE, WSIZE))
    live, pending = heap._live, heap.request  # a block tagged allocated but not yet live is being served
    footer = 0 if heap.footless else WSIZE  # an allocated block's
    epilogue = ~PREV_FREE if heap.footless else ~0  # the bits that must read 0x1
    bp = heap.first_bp
    while (a := HDRP(bp)) < brk:
        tag = GET(w, a)
        size = tag & ~7
        if tag & epilogue == ALLOC:
            blocks.append(Block(a, WSIZE, METADATA, "epilogue", WSIZE))
            bp += WSIZE
            break
        if size < MIN_BLOCK or bp + size > brk:
            blocks.append(Block(a, brk - a, DEAD, f"corrupt header {tag:#x}"))
            return blocks
        if tag & ALLOC:
            entry = live.get(bp)
            requested = entry[0] if entry else pending
            blocks.append(Block(a, size, ALLOCATED, "", WSIZE, footer, requested))
        else:
            blocks.append(Block(a, size, FREE, "", WSIZE, WSIZE))
        bp += size
    if (a := HDRP(bp)) < brk:
        blocks.append(Block(a, brk - a, FREE, "past the epilogue: fresh from sbrk"))
    return blocks


def check_heap(heap) -> None:
    """Raise HeapCorruption naming the first broken invariant of the tags or the free lists."""
    w, brk, corrupt = heap._w, heap.os.brk_address, heap._corrupt
    pad = heap.prologue - WSIZE
    if heap.padding and GET(w, pad):
        corrupt(f"padding word before the prologue is {GET(w, pad):#x}, not 0", pad)
    head, foot = GET(w, heap.prologue), GET(w, heap.prologue + WSIZE)
    if head != DSIZE | ALLOC or foot != DSIZE | ALLOC:
        corrupt(f"prologue header/footer are {head:#x}/{foot:#x}, not 0x9/0x9 (8 bytes, allocated)", heap.prologue)
    free: set[int] = set()
    starts: set[int] = set()
    bp, previous_free, footless = heap.first_bp, 0, heap.footless
    while True:
        a = HDRP(bp)
        if a > brk - WSIZE:
            corrupt(f"the blocks run past the break at {brk:#x} with no epilogue", a)
        tag = GET(w, a)
        size = tag & ~7
        allocated = tag & ALLOC
        if footless and allocated and bool(tag & PREV_FREE) != bool(previous_free):
            what = "epilogue" if size == 0 else f"block {a:#x}"
            says, truth = ("free", "allocated") if tag & PREV_FREE else ("allocated", "free")
            corrupt(f"{what} says the block to its left is {says}, but it is {truth}", a)
        if tag & ~(PREV_FREE if footless else 0) == ALLOC:
            break
        if tag & (4 if footless and allocated else 6):
            corrupt(f"header at {a:#x} is {tag:#x}: stray bits below the allocated bit", a)
        if size < MIN_BLOCK:
            corrupt(f"block {a:#x} has size {size}, below the {MIN_BLOCK}-byte minimum", a)
        if bp % DSIZE:
            corrupt(f"block {a:#x} has its payload at {bp:#x}, not {DSIZE}-byte aligned", a)
        if a + size > brk - WSIZE:
            corrupt(f"block {a:#x} of {size} bytes runs past the epilogue at {brk - WSIZE:#x}", a)
        footer = GET(w, FTRP(w, bp))
        if footer != tag and not (footless and allocated):
            corrupt(f"block {a:#x}: header {tag:#x} but footer {footer:#x}", a)
        starts.add(bp)
        if not allocated:
            if previous_free and not heap.deferred:
                corrupt(f"free blocks {previous_free:#x} and {a:#x} sit side by side: coalescing missed them", a)
            free.add(bp)
            previous_free = a
        else:
            previous_free = 0
        bp += size
    if HDRP(bp) != brk - WSIZE:
        corrupt(f"epilogue at {HDRP(bp):#x}, but the break is at {brk:#x} (it should be the last word)", HDRP(bp))
    heap.lists.check(heap, free, starts)
