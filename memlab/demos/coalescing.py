"""Lecture demo: the four coalescing cases, read from the boundary tags (CS:APP 9.9.10-9.9.11).

Five 16-byte blocks sit in a row before a free rest of the heap. Freeing them in the order
b, a, c, e, d shows case 1 (no free neighbour), case 2 (the right one is free), case 3 (the left
one is free, found through its footer) and case 4 (both), until one free block is left. Under
the heap map a table decodes every header, footer and link word, boxing the ones that changed.
"""

from __future__ import annotations

from ..allocators.freelist.heap import FreeListHeap
from ..events import Recording
from ..viz import keys
from ..viz.tags import tags_view
from ..widgets import Ask
from ..widgets.player import Player

TITLE = "Coalescing: the four cases, in the boundary tags"

ORDER_OF_FREES = "baced"


def four_cases(**options) -> Recording:
    """Record the frees of five 16-byte blocks, in the order that shows every case."""
    heap = FreeListHeap(chunk=128, **options)
    blocks = dict(zip("abcde", (heap.alloc(8) for _ in range(5))))
    with heap.record() as rec:
        for name in ORDER_OF_FREES:
            heap.free(blocks[name])
    return rec.recording


def questions(recording: Recording) -> list[Ask]:
    """Predict case 3, and where case 4's merged block starts (on :func:`four_cases`)."""
    return [
        Ask(
            step=recording.find("coalesce", case=3).index,
            question="c was just freed. Which of the four coalescing cases comes next?",
            choices=["case 1", "case 2", "case 3", "case 4"],
            answer="case 3",
            why="The block on c's left (a and b, merged) is free and d on its right is allocated: merge left.",
        ),
        Ask(
            step=recording.find("coalesce", case=4).index,
            question="d is freed between two free blocks. Click the block whose header will hold the merged size.",
            answer=keys.block(0x100C),
            why="The merged block starts where its left neighbour starts. d finds that header in O(1): the word "
            "just below d's own header is the left neighbour's footer, and it holds that block's size.",
        ),
    ]


def demo(scale: float = 1.6, *, title: str = TITLE, **options) -> Player:
    """The player; ``options`` go to the heap (the ``footers`` demo passes ``footers="free"``)."""
    recording = four_cases(**options)
    view = tags_view(recording, width=640)
    return Player(recording, view, title=title, scale=scale, predict=questions(recording))
