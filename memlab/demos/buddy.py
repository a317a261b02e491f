"""Lecture demo: a 33-byte request costs a 64-byte block, and freed buddies merge back up.

Follows the binary buddy system (Knuth §2.5, Linux's free_area): the first request splits a
1 KiB block in halves four times; later requests take the halves left over; frees merge each
block with its buddy (found by XOR) while the buddy is free.
"""

from __future__ import annotations

from ..allocators.buddy import Buddy
from ..viz import keys
from ..viz.buddy import tree_view
from ..widgets import Ask
from ..widgets.player import Player

TITLE = "Buddy allocation: split on the way down, merge on the way up"


def demo(scale: float = 1.6) -> Player:
    heap = Buddy(max_order=10, min_order=4, grow=False)
    with heap.record() as rec:
        a = heap.alloc(33)
        heap.note("the 33-byte request got a whole 64-byte block: 31 bytes are wasted")
        b = heap.alloc(100)
        c = heap.alloc(60)
        d = heap.alloc(17)
        frag = heap.internal_fragmentation()
        heap.note(
            f"{frag.requested} bytes requested, {frag.block_bytes} bytes of blocks: "
            f"{frag.wasted} wasted inside the blocks ({frag.ratio:.0%})"
        )
        for x in (a, c, d, b):
            heap.free(x)
        heap.note("everything freed: the buddies merged back into one 1024-byte block")
    first_merge = Ask(
        step=rec.recording.find("merge", nth=2).index,
        question="The 17-byte request's 32-byte block at 0x1100 is freed. Click the buddy it merges with.",
        answer=keys.buddy(0x1120, 5),
        why="Its offset in the zone is 0x100, and 0x100 XOR 32 = 0x120: the 32-byte block at 0x1120 is free, "
        "so they merge; the 64-byte result then merges with its own buddy, and so on up.",
    )
    return Player(rec.recording, tree_view(), scale=scale, title=TITLE, predict=[first_merge])
