"""Shared by the reclamation exercises: a player over an object heap's recording, and graph text."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from ...reclaim.objects import Heap, ScopeFrame

if TYPE_CHECKING:
    from ...widgets import Player


def graph_player(recording, title: str) -> Player:
    """A :class:`Player` drawing each frame's object graph."""
    from ...viz.graph import graph_svg
    from ...widgets import Player

    return Player(recording, lambda f: graph_svg(f.snapshot, event=f.event), title=title)


def alive(heap: Heap) -> list[str]:
    """Names of the objects whose memory is still allocated, sorted."""
    return sorted(o.name for o in heap.objects.values() if heap.allocated(o))


def listed(names) -> str:
    names = list(names)
    return ", ".join(names) if names else "none"


@contextmanager
def scope(heap: Heap, name: str = "main") -> Iterator[ScopeFrame]:
    """A scope that ends normally, but is left open if a check fails inside it.

    Ending it would run the learner's code again (dropping the variables), and a second error
    there would hide the first, more useful message.
    """
    frame = heap.scope(name)
    yield frame
    frame.close()
