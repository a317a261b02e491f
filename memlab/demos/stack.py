"""Lecture demo: a stack frees only its top, and a whole frame goes in one store.

Follows the call stack with frame pointers (see :mod:`memlab.allocators.stack`): each frame
record holds the saved frame pointer, visible in the hexdump; popping a frame moves the stack
pointer back over all of its locals at once; freeing a block below the top is refused.
"""

from __future__ import annotations

from ..allocators.stack import Stack
from ..errors import OutOfOrderFree
from ..events import Frame
from ..viz.stack import stack_with_bytes
from ..widgets import Ask
from ..widgets.player import Player

TITLE = "The stack: last in, first out, and a frame goes in one store"


def demo(scale: float = 1.6) -> Player:
    stack = Stack(160)
    with stack.record() as rec:
        stack.push_frame("main")
        argv = stack.alloc(16)
        stack.push_frame("parse")
        stack.alloc(24)
        token = stack.alloc(12)
        stack.free(token)  # the top: the stack pointer moves back
        stack.alloc(20)
        try:
            stack.free(argv)  # below the top: impossible
        except OutOfOrderFree as e:
            stack.note(f"refused: {e.message}")
        stack.pop_frame()  # every local of parse, in one store
        stack.alloc(8)  # main goes on where parse's locals were
    recording = rec.recording

    def view(frame: Frame) -> str:
        previous = recording[frame.index - 1].snapshot if frame.index else None
        return stack_with_bytes(frame.snapshot, previous=previous, event=frame.event)

    out_of_order = Ask(
        step=recording.find("note").index,
        question="main's argv (0x10008) lies under parse's frame. The program frees it now. What happens?",
        choices=["the stack frees it", "the stack refuses", "everything above it is freed too"],
        answer="the stack refuses",
        why="A stack keeps one pointer and can only move it back over its top block. Freeing argv would leave "
        "a hole under parse's live blocks, so it is refused: out of order is impossible, not just slow.",
    )
    return Player(recording, view, scale=scale, title=TITLE, predict=[out_of_order])
