"""check() is malloclab's mm_checkheap: it reads the tags and links in memory and names the first
broken invariant; layout() shows a corrupt header instead of hiding it."""

import pytest

from memlab import HeapCorruption
from memlab.allocators.freelist.heap import FreeListHeap


def word(heap, address):
    return heap.memory.read_word(address, 4)


def poke(heap, address, value):
    heap.memory.write_word(address, value, 4)


def heap_with_blocks(**kw):
    heap = FreeListHeap(chunk=256, **kw)
    blocks = [heap.alloc(8) for _ in range(4)]  # four 16-byte blocks, then a 192-byte free block
    heap.check()
    return heap, blocks


@pytest.mark.parametrize(
    "damage,message",
    [
        (lambda h, b: poke(h, b[1] - 4, 24 | 1), "header 0x19 but footer 0x0"),  # the footer is read 8 bytes on
        (lambda h, b: poke(h, b[1] + 8, 0x99), "header 0x11 but footer 0x99"),
        (lambda h, b: poke(h, b[1] - 4, 16 | 1 | 2), "stray bits below the allocated bit"),
        (lambda h, b: poke(h, b[1] - 4, 8 | 1), "below the 16-byte minimum"),
        (lambda h, b: poke(h, b[1] - 4, 4096 | 1), "runs past the epilogue"),
        (lambda h, b: poke(h, h.prologue, 0x11), "prologue header/footer are 0x11/0x9"),
        (lambda h, b: poke(h, h.prologue - 4, 7), "padding word before the prologue is 0x7"),
        (lambda h, b: poke(h, h.os.brk_address - 4, 0), "below the 16-byte minimum"),
    ],
)
def test_check_names_the_broken_tag(damage, message):
    heap, blocks = heap_with_blocks()
    damage(heap, blocks)
    with pytest.raises(HeapCorruption, match=message):
        heap.check()


def test_two_free_neighbours_break_immediate_coalescing_but_not_deferred():
    heap, blocks = heap_with_blocks()
    last = blocks[-1]
    heap._live.pop(last)  # pretend it was freed without coalescing
    poke(heap, last - 4, 16)
    poke(heap, last + 8, 16)
    with pytest.raises(HeapCorruption, match="sit side by side: coalescing missed them"):
        heap.check()


@pytest.mark.parametrize("kind", ["explicit", "segregated"])
def test_check_follows_the_list_links(kind):
    heap, blocks = heap_with_blocks(list=kind)
    heap.free(blocks[0])
    heap.free(blocks[2])
    head = heap.heads_address  # explicit: the one head; segregated: class 0 holds both 16-byte blocks
    first = word(heap, head)
    assert first == blocks[2], "LIFO: the block freed last is first"
    poke(heap, first + 4, blocks[1])  # succ now points at an allocated block
    with pytest.raises(HeapCorruption, match=f"holds {blocks[1]:#x}, which is not a free block"):
        heap.check()
    poke(heap, first + 4, blocks[0])
    poke(heap, blocks[0], 0)  # pred should be `first`
    with pytest.raises(HeapCorruption, match=f"has pred 0x0, expected {first:#x}"):
        heap.check()
    poke(heap, blocks[0], first)
    poke(heap, first + 4, 0)  # blocks[0] falls off the list
    with pytest.raises(HeapCorruption, match=f"free block {blocks[0]:#x} is on no free list"):
        heap.check()
    poke(heap, first + 4, 0x10)
    with pytest.raises(HeapCorruption, match="links to 0x10, outside the heap's blocks"):
        heap.check()


def test_a_free_block_on_the_wrong_size_class_is_reported():
    heap, blocks = heap_with_blocks(list="segregated")
    heap.free(blocks[1])
    poke(heap, heap.heads_address, 0)  # unlink it from class 0 ...
    poke(heap, heap.heads_address + 4 * 5, blocks[1])  # ... and hang it on class 5
    with pytest.raises(HeapCorruption, match="of 16 bytes is on list 5, not 0"):
        heap.check()


def test_layout_shows_a_corrupt_header_as_a_dead_block():
    heap, blocks = heap_with_blocks()
    poke(heap, blocks[2] - 4, 0x3)
    layout = heap.layout()
    assert layout[-1].state == "dead" and layout[-1].label == "corrupt header 0x3"
    assert layout[-1].end == heap.os.brk_address


def test_alloc_over_a_corrupt_size_reports_corruption_not_a_python_error():
    heap, blocks = heap_with_blocks()
    rest = blocks[-1] + 16
    poke(heap, rest - 4, 0xFFFFFFF0)  # a free block "four gigabytes" long
    with pytest.raises(HeapCorruption, match="read a corrupt boundary tag"):
        heap.alloc(8)
