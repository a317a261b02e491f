"""Lecture demo: a pool's free list lives inside its free blocks and costs zero extra bytes.

Follows a fixed-size pool (Zig's std.heap.MemoryPool, CS:APP's simple segregated storage):
the first word of every free block holds the address of the next one. The hexdump under the
drawing shows those words change as blocks are popped and pushed.
"""

from __future__ import annotations

from ..allocators.pool import Pool
from ..events import Frame
from ..viz.hexdump import hexdump_html
from ..viz.pool import pool_svg
from ..widgets.player import Player

TITLE = "Pools: the free list costs zero extra bytes"


def demo(scale: float = 1.6) -> Player:
    heap = Pool(16, blocks=6, grow=False)
    with heap.record() as rec:
        a, b, _, d = heap.alloc(16), heap.alloc(16), heap.alloc(12), heap.alloc(16)
        for x in (b, d, a):
            heap.free(x)  # each freed block takes the old head into its first word
        heap.alloc(16)
        heap.alloc(8)
        heap.note(
            f"{heap.footprint} bytes from the OS hold 6 blocks of 16: the list of "
            f"{len(heap.chain())} free blocks lives in their first words, 0 bytes extra"
        )
    recording = rec.recording

    def view(frame: Frame) -> str:
        previous = recording[frame.index - 1].snapshot if frame.index else None
        return pool_svg(frame.snapshot, event=frame.event, per_row=6) + hexdump_html(frame.snapshot, previous=previous)

    return Player(recording, view, scale=scale, title=TITLE)
