"""Ownership and borrowing (Rust's rules, checked here at run time): a move, a borrow that a
`push` invalidates (error E0502), and the drops at the closing brace in reverse order."""

from __future__ import annotations

from ..allocators import allocator
from ..events import Recording
from ..reclaim.ownership import Box, Ownership, OwnershipError, String, Vec, move, ref
from ..viz.timeline import ownership_view
from ..widgets.player import Player

TITLE = "Ownership: a move, a refused borrow (E0502), drops in reverse order"


def scenario() -> tuple[Ownership, Recording]:
    """The scripted program, recorded; the refused line is recorded too (and changes nothing)."""
    own = Ownership(allocator("bump", size=4096))
    with own.record() as rec:
        with own.scope() as s:
            s.let("a", String("hello"))
            s.let("b", Box(7))
            s.let("c", move("a"))  # `a` is moved: it can no longer be used
            s.let("v", Vec([1, 2]), mut=True)
            s.let("first", ref("v[0]"))
            s.push("v", 3)  # may reallocate the buffer `first` points into...
            try:
                s.use("first")  # ...so rustc refuses this line: E0502
            except OwnershipError:
                pass
    return own, rec.recording


def demo(scale: float = 1.6) -> Player:
    """A projector-sized player: the timeline of the program, and the heap below it."""
    _, recording = scenario()
    return Player(recording, ownership_view, title=TITLE, scale=scale)
