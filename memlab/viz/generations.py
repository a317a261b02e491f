"""A generational heap drawn by its spaces: the nursery's two semispaces and the old generation.

:func:`old_generation_svg` draws the old generation's objects in address order, one box each with
its name, filled by its colour's pattern during a major collection; a remembered object (one the
write barrier or a promotion put in the remembered set) has a dashed border and the word
*remembered* under its name, so the set is read without colour. :func:`generational_view` stacks,
for a player, the nursery (Cheney's strips from :mod:`.collect`), the old generation, and the
object graph under the collector's status line.
"""

from __future__ import annotations

import math
from html import escape

from ..events import Event
from ..reclaim.snapshot import GraphSnapshot
from .collect import collector_svg, semispace_svg
from .graph_style import COLOUR_FILL
from .graph_style import DEFS as GRAPH_DEFS
from .style import PALETTE, rect, svg, text

BOX_W, BOX_H, GAP, LEFT = 84, 40, 6, 96


def old_generation_svg(snapshot: GraphSnapshot, *, event: Event | None = None, width: int = 760) -> str:
    """The old generation's objects in address order; remembered ones dashed and labelled."""
    old = sorted((n for n in snapshot.nodes if n.state == "live" and "old" in n.tags), key=lambda n: n.address)
    per_row = max(1, int((width - LEFT - 8) // (BOX_W + GAP)))
    rows = max(1, math.ceil(len(old) / per_row))
    top, hot = 8, getattr(event, "oid", None)
    body = [GRAPH_DEFS, text(8, top + 16, "old", size=12, weight="bold"), text(8, top + 31, "generation", size=12)]
    if not old:
        body.append(text(LEFT, top + 24, "empty: nothing promoted yet", size=11, fill=PALETTE["gray"]))
    for i, n in enumerate(old):
        x = LEFT + (i % per_row) * (BOX_W + GAP)
        y = top + (i // per_row) * (BOX_H + GAP)
        fill, _ = COLOUR_FILL.get(n.colour or "white", ("#FFFFFF", PALETTE["text"]))
        remembered = "remembered" in n.tags
        dashes = ' stroke-dasharray="6 3"' if remembered else ""
        title = f"{n.name} at {n.address:#x}, {n.size} bytes, {n.colour or 'white'}" + (", remembered" * remembered)
        edge = 2.6 if n.id == hot else 1.0
        body.append(rect(x, y, BOX_W, BOX_H, fill, stroke="#333", sw=edge, title=title, extra=dashes))
        band = ' fill-opacity="0.8"'
        body.append(rect(x + 3, y + 4, BOX_W - 6, BOX_H - 8, "#FFFFFF", stroke="none", sw=0, extra=band))
        body.append(text(x + BOX_W / 2, y + 17, n.name, size=11, anchor="middle", weight="bold"))
        if remembered:
            body.append(text(x + BOX_W / 2, y + 31, "remembered", size=9, anchor="middle"))
    height = top + rows * (BOX_H + GAP) + 8
    label = f"old generation at step {snapshot.step}: {len(old)} objects"
    return svg(width, height, "".join(body), label=escape(label))


def generational_view(heap, *, width: int = 760):
    """A Player view for a generational heap: the nursery, the old generation, then the object graph."""
    region, size = heap.space.region, heap.space.size

    def view(frame) -> str:
        snap = frame.snapshot
        heading = f"the nursery: two semispaces of {size} bytes"
        nursery = semispace_svg(snap, region=region, size=size, event=frame.event, width=width, heading=heading)
        old = old_generation_svg(snap, event=frame.event, width=width)
        graph = collector_svg(snap, event=frame.event, width=width)
        return f"<div>{nursery}<br/>{old}<br/>{graph}</div>"

    return view


__all__ = ["generational_view", "old_generation_svg"]
