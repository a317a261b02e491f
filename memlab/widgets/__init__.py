"""Players over recordings, drawn in the browser. No algorithm lives here: widgets only replay.

``recording.play()`` (or :func:`play`) picks the view for the recording's kind of snapshot: a
heap map for any allocator, a buddy tree, slabs, magazines, TCMalloc's ends, pymalloc's pools,
mimalloc's pages, a stack, a pool, an object graph or an ownership timeline.
``heap_player(recording)`` animates any allocator's recording as a heap map (optionally with a
hexdump of the bytes beside it);
``animate(heap, program)`` records ``program(heap)`` and returns that player in one call.
``predict=[Ask(...)]`` makes any player ask before it shows (:mod:`.predict`).
"""

from __future__ import annotations

from collections.abc import Callable

from ..allocators import Allocator, BuddySnapshot, HeapSnapshot
from ..allocators.mimalloc import MiMallocSnapshot
from ..allocators.objectpool import ObjectPoolSnapshot
from ..allocators.pool import PoolSnapshot
from ..allocators.pymalloc import PyMallocSnapshot
from ..allocators.slab import MagazineSnapshot, SlabSnapshot
from ..allocators.stack import StackSnapshot
from ..allocators.tcmalloc import TCMallocSnapshot
from ..events import Frame, Recording
from ..reclaim import GraphSnapshot
from ..reclaim.ownership.events import OwnershipSnapshot
from ..viz import (
    heap_svg,
    hexdump_html,
    magazine_view,
    mimalloc_view,
    objectpool_svg,
    ownership_view,
    pool_svg,
    pymalloc_view,
    slab_view,
    stack_svg,
    tcmalloc_view,
    tree_view,
)
from .graph import animate_objects, graph_player, graph_view
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


def _drawn_by(svg: Callable[..., str]) -> Callable[[Recording], Callable[[Frame], str]]:
    """A view factory for a drawing function that takes a snapshot and its event."""
    return lambda recording: lambda frame: svg(frame.snapshot, event=frame.event)


VIEWS: tuple[tuple[type, Callable[[Recording], Callable[[Frame], str]]], ...] = (
    (MagazineSnapshot, lambda recording: magazine_view()),  # before SlabSnapshot: it is one
    (SlabSnapshot, lambda recording: slab_view()),
    (TCMallocSnapshot, lambda recording: tcmalloc_view()),
    (PyMallocSnapshot, lambda recording: pymalloc_view()),
    (MiMallocSnapshot, lambda recording: mimalloc_view()),
    (BuddySnapshot, lambda recording: tree_view()),
    (StackSnapshot, _drawn_by(stack_svg)),
    (PoolSnapshot, _drawn_by(pool_svg)),
    (ObjectPoolSnapshot, _drawn_by(objectpool_svg)),
    (HeapSnapshot, heap_view),
    (GraphSnapshot, graph_view),
    (OwnershipSnapshot, lambda recording: ownership_view),
)
"""Which view draws which kind of snapshot, the most specific kinds first."""


def play(recording: Recording, **kw) -> Player:
    """A :class:`Player` over ``recording`` with the view its kind of snapshot calls for."""
    if len(recording) == 0:
        raise ValueError("a player needs a recording with at least one frame")
    snapshot = recording[0].snapshot
    for kind, view in VIEWS:
        if isinstance(snapshot, kind):
            return Player(recording, view(recording), **kw)
    return Player(recording, **kw)


__all__ = [
    "Ask",
    "Player",
    "animate",
    "animate_objects",
    "graph_player",
    "graph_view",
    "heap_player",
    "heap_view",
    "play",
]
