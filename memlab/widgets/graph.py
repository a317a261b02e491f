"""A player over a recording of an object heap (:mod:`memlab.reclaim`): the object graph, step by step.

``graph_player(recording)`` shows each frame with :func:`memlab.viz.graph.graph_svg`: the
object the event names is outlined and the caption says in words what happened (an incref, a
release, a deinit, a colour change...). ``animate_objects(heap, program)`` records
``program(heap)`` and returns that player in one call.
"""

from __future__ import annotations

from collections.abc import Callable

from ..events import Frame, Recording
from ..reclaim.objects import Heap
from ..viz.graph import graph_svg, stable_layout
from .player import Player


def graph_view(recording: Recording | None = None, *, width: int = 760, caption: str = "") -> Callable[[Frame], str]:
    """A view for :class:`Player` that draws the object graph of each frame.

    Given the ``recording``, every object keeps one place through all its frames.
    """
    layout = stable_layout(f.snapshot for f in recording) if recording is not None else None

    def view(frame: Frame) -> str:
        return graph_svg(frame.snapshot, event=frame.event, width=width, caption=caption, layout=layout)

    return view


def graph_player(recording: Recording, *, title: str = "", width: int = 760, caption: str = "", **kw) -> Player:
    """A :class:`Player` showing the object graph of each frame of an object heap's recording."""
    return Player(recording, graph_view(recording, width=width, caption=caption), title=title, **kw)


def animate_objects(heap: Heap, program: Callable[[Heap], object], **kw) -> Player:
    """Record ``program(heap)`` and return a graph player over it."""
    with heap.record() as rec:
        program(heap)
    return graph_player(rec.recording, **kw)


__all__ = ["animate_objects", "graph_player", "graph_view"]
