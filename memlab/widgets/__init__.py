"""Players over recordings, drawn in the browser. No algorithm lives here: widgets only replay.

``heap_player(recording)`` animates any allocator's recording as a heap map (optionally with
a hexdump of the bytes beside it); ``animate(heap, program)`` records ``program(heap)`` and
returns that player in one call. ``predict=[Ask(...)]`` makes any player ask before it shows
(:mod:`.predict`).
"""

from __future__ import annotations

from collections.abc import Callable

from ..allocators.base import Allocator
from ..events import Frame, Recording
from ..viz.heapmap import heap_svg
from ..viz.hexdump import hexdump_html
from .player import Player
from .predict import Ask


def heap_view(
    recording: Recording,
    *,
    width: int = 760,
    hexdump: bool = False,
    rows: int | None = None,
    start: int | None = None,
    length: int | None = None,
) -> Callable[[Frame], str]:
    """A view for :class:`Player` that draws heap maps (and hexdumps) of a heap recording."""

    def view(frame: Frame) -> str:
        html = heap_svg(frame.snapshot, event=frame.event, width=width, rows=rows)
        if hexdump:
            previous = recording[frame.index - 1].snapshot if frame.index else None
            html += hexdump_html(frame.snapshot, previous=previous, start=start, length=length)
        return html

    return view


def heap_player(
    recording: Recording,
    *,
    title: str = "",
    width: int = 760,
    hexdump: bool = False,
    rows: int | None = None,
    start: int | None = None,
    length: int | None = None,
    **kw,
) -> Player:
    """A :class:`Player` showing the heap map of each frame of an allocator's recording."""
    view = heap_view(recording, width=width, hexdump=hexdump, rows=rows, start=start, length=length)
    return Player(recording, view, title=title, **kw)


def animate(heap: Allocator, program: Callable[[Allocator], object], **kw) -> Player:
    """Record ``program(heap)`` and return a heap player over it."""
    with heap.record() as rec:
        program(heap)
    return heap_player(rec.recording, **kw)


__all__ = ["Ask", "Player", "animate", "heap_player", "heap_view"]
