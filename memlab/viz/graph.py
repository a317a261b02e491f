"""The object-graph view: variables on the left, objects as boxes, references as arrows.

:func:`graph_svg` draws a :class:`~memlab.reclaim.snapshot.GraphSnapshot` the way textbooks
and the Swift book draw reference graphs: each scope's variables in a column, each object a
box with its name, type, header counts (``rc``, ``strong``/``unowned``/``weak``, ``gc_refs``)
and state, each reference an arrow labelled with its field. A live object that no variable
can reach is outlined in red dashes and called *leaked* (under counting schemes) or
*unreachable* (under collectors). The object a step's event names is outlined in black; when a
write barrier acted on it (the event has a ``barrier``), a thick solid orange frame goes round it
and the barrier's name is written above the box, so a barrier hit is told by words too.
Where boxes go is :mod:`.graph_layout`, the arrows are :mod:`.graph_arrows`, fills, dashes and
the legend are :mod:`.graph_style`.
"""

from __future__ import annotations

from html import escape

from ..events import Event
from ..reclaim.snapshot import GraphSnapshot, Node
from . import keys
from .graph_arrows import references
from .graph_layout import BOX_H, LEFT, LINE, TOP, VAR_H, VAR_W, Box, layers, order, pin, place, stable_layout
from .graph_style import BARRIER_INK, COLOUR_FILL, DEFS, STATE_FILL, legend
from .style import PALETTE, rect, svg, text

COUNTING = ("refcount", "arc", "manual")  # schemes under which an unreachable object stays forever


def _lost(n: Node, unreachable: set[int], scheme: str) -> bool:
    """Live and out of reach; under counting schemes a count of 0 means it is being torn down instead."""
    if n.id not in unreachable or n.state != "live":
        return False
    return scheme not in COUNTING or all(v for k, v in n.counts if k in ("rc", "strong"))


def _node_lines(n: Node, lost: str, tall: bool) -> list[str]:
    """Name and type; counts; state (or colour) and whether it is lost; tags (if any box has some)."""
    counts = "  ".join(f"{k} {v}" for k, v in n.counts) if n.counts else "memory given back"
    state = [n.colour if n.colour and n.state == "live" else n.state] + ([lost] if lost else [])
    lines = [f"{n.name}: {n.type}", counts, " · ".join(state)]
    if tall:
        lines.append(", ".join(t for t in n.tags if t != n.state))
    return lines


def _fit(s: str, width: float, size: float) -> str:
    room = int(width / (size * 0.56))
    return s if len(s) <= room else s[: max(1, room - 1)] + "…"


def graph_svg(
    snapshot: GraphSnapshot,
    *,
    event: Event | None = None,
    width: int = 760,
    caption: str = "",
    layout: dict[int, tuple[int, int]] | None = None,
) -> str:
    """The object graph of ``snapshot`` as SVG; the object (or variable, or scope) ``event`` names is outlined.

    ``layout`` pins objects to (column, row) slots (see :func:`stable_layout`); by default each
    snapshot is laid out on its own.
    """
    snap = snapshot
    top = TOP + (18 if caption else 0)
    body: list[str] = [DEFS]
    if caption:
        body.append(text(LEFT, 18, caption, size=13, weight="bold"))
    body.append(text(LEFT, top - 10, "variables", size=10, fill=PALETTE["gray"]))
    var_box, var_bottom = _variables(snap, event, top, body)
    columns, unreachable = layers(snap)
    order(columns, snap, {label: i for i, label in enumerate(var_box)})
    tall = any(t != n.state for n in snap.nodes for t in n.tags)
    boxes, band_of = place(pin(columns, layout), width, top, BOX_H + (LINE if tall else 0))
    lost_word = "leaked" if snap.scheme in COUNTING else "unreachable"
    hot_id = getattr(event, "oid", None)
    barrier = getattr(event, "barrier", "") if hot_id is not None else ""
    for n in snap.nodes:
        lost = lost_word if _lost(n, unreachable, snap.scheme) else ""
        hot = n.id == hot_id
        body.append(_node(n, boxes[n.id], _node_lines(n, lost, tall), bool(lost), hot, barrier if hot else ""))
    arrows, lowest = references(snap, var_box, boxes, band_of)
    body.extend(arrows)
    lowest = max([lowest] + [by + bh for _, by, _, bh in boxes.values()])
    bottom = max(var_bottom, lowest) + 24
    lost_any = any(_lost(n, unreachable, snap.scheme) for n in snap.nodes)
    body.append(legend(snap, LEFT, bottom, lost_any, lost_word, barrier=bool(barrier) and hot_id in boxes))
    label = (
        f"{snap.scheme} object graph at step {snap.step}: {len(snap.nodes)} objects, "
        f"{len(snap.edges)} references, {len(snap.variables)} variables"
    )
    w = max(width, max((bx + bw for bx, _, bw, _ in boxes.values()), default=0) + 4)
    return svg(w, bottom + 40, "".join(body), label=label)


def _variables(snap: GraphSnapshot, event: Event | None, y: float, body: list[str]) -> tuple[dict[str, Box], float]:
    """The variables column, one group per scope; returns each variable's box and the column's bottom."""
    var_box: dict[str, Box] = {}
    hot_var, hot_frame = getattr(event, "place", None), getattr(event, "frame", None)
    frame = None
    for v in snap.variables:
        if v.frame != frame:
            frame = v.frame
            y += 8 if var_box else 0
            ink = PALETTE["red"] if frame == hot_frame else PALETTE["text"]
            body.append(text(LEFT, y + 11, frame, size=11, weight="bold", fill=ink))
            y += 16
        var_box[v.label] = (LEFT, y, VAR_W, VAR_H)
        hot = v.label == hot_var
        edge = PALETTE["highlight"] if hot else "#777"
        title = f"{v.label}: {v.kind} variable"
        body.append(rect(LEFT, y, VAR_W, VAR_H, "#FFFFFF", stroke=edge, sw=2.2 if hot else 0.8, title=title))
        kind = "" if v.kind == "strong" else f" ({v.kind})"
        body.append(text(LEFT + 5, y + 14, _fit(f"{v.name}{kind}", VAR_W - 10, 10), size=10))
        if v.target is None:
            body.append(text(LEFT + VAR_W + 6, y + 14, "nil", size=10, fill=PALETTE["gray"]))
        y += VAR_H + 6
    return var_box, y + 8


def _node(n: Node, box: Box, lines: list[str], lost: bool, hot: bool, barrier: str = "") -> str:
    """One object's box: fill by state (or by Bacon–Rajan colour), its lines of text, outlines."""
    x, y, w, h = box
    fill, ink = STATE_FILL.get(n.state, STATE_FILL["dead"])
    coloured = bool(n.colour) and n.state == "live"
    if coloured:
        fill, ink = COLOUR_FILL.get(n.colour, (fill, ink))
    title = f"{lines[0]} at {n.address:#x}, {n.size} bytes; " + "; ".join(s for s in lines[1:] if s)
    parts = [f'<g class="ml-node ml-{escape(n.state)}" data-name="{escape(n.name)}"{keys.attrs(keys.obj(n.id))}>']
    parts.append(rect(x, y, w, h, fill, stroke="#333", sw=0.8, title=title))
    if ink != "#FFFFFF":  # patterned fills: a light band under the text keeps it readable
        parts.append(rect(x + 8, y + 3, w - 11, h - 6, "#FFFFFF", stroke="none", sw=0, extra=' fill-opacity="0.72"'))
    parts.append(text(x + 11, y + 15, _fit(lines[0], w - 14, 11), size=11, weight="bold", fill=ink))
    for k, line in enumerate(lines[1:]):
        parts.append(text(x + 11, y + 30 + LINE * k, _fit(line, w - 14, 10), size=10, fill=ink))
    if lost:
        dashes = ' stroke-dasharray="5 3"'
        parts.append(rect(x - 4, y - 4, w + 8, h + 8, "none", stroke=PALETTE["red"], sw=2, extra=dashes))
    if hot and barrier:  # a thick solid frame (the lost outline is thin and dashed) and the barrier's name
        parts.append(rect(x - 6, y - 6, w + 12, h + 12, "none", stroke=BARRIER_INK, sw=4.5))
        parts.append(rect(x - 2, y - 2, w + 4, h + 4, "none", stroke=PALETTE["highlight"], sw=1.2))
        parts.append(text(x - 4, y - 11, barrier, size=10, weight="bold"))
    elif hot:
        parts.append(rect(x - 2, y - 2, w + 4, h + 4, "none", stroke=PALETTE["highlight"], sw=2.8))
    parts.append("</g>")
    return "".join(parts)


__all__ = ["COLOUR_FILL", "DEFS", "graph_svg", "stable_layout"]
