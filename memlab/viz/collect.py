"""Views of collectors at work: the object graph with a status line, and Cheney's two semispaces.

:func:`collector_svg` draws :func:`memlab.viz.graph.graph_svg` (colours as words and patterns)
under a line that says what the collector holds right now: Bacon & Rajan's buffer of possible
roots, CPython's ``gc_refs``, the gray worklist of a mark-sweep collector, the stage of an
incremental one, the nursery and remembered set of a generational one. :func:`semispace_svg`
draws the two halves of a copying collector's heap as strips, objects at their addresses,
with Cheney's *scan* and *free* pointers in to-space.
"""

from __future__ import annotations

from html import escape

from ..events import Event
from ..reclaim.snapshot import GraphSnapshot, Node
from . import keys
from .graph import graph_svg
from .graph_style import COLOUR_FILL
from .graph_style import DEFS as GRAPH_DEFS
from .style import PALETTE, rect, svg, text


def _names(nodes: list[Node]) -> str:
    return ", ".join(n.name for n in nodes) or "none"


def status(snapshot: GraphSnapshot) -> str:
    """One line: what the collector of ``snapshot`` is holding (buffer, gc_refs, worklist), and any
    reference left pointing at an object a collector freed."""
    line = _status(snapshot)
    by_id = {n.id: n for n in snapshot.nodes}
    dangling = [
        f"{by_id[e.source].name}.{e.label}"
        for e in snapshot.edges
        if isinstance(e.source, int) and by_id[e.target].state == "freed" and by_id[e.source].state == "live"
    ]
    dangling += [v.label for v in snapshot.variables if v.target in by_id and by_id[v.target].state == "freed"]
    if dangling and snapshot.scheme not in ("refcount", "arc", "manual"):
        line += f" · {', '.join(dangling)} {'points' if len(dangling) == 1 else 'point'} at freed memory"
    return line


def _status(snapshot: GraphSnapshot) -> str:
    live = [n for n in snapshot.nodes if n.state == "live"]
    if snapshot.scheme == "bacon-rajan":
        return f"possible roots (buffered): {_names([n for n in snapshot.nodes if 'buffered' in n.tags])}"
    if snapshot.scheme == "cpython":
        refs = [f"{n.name} {n.count('gc_refs')}" for n in live if any(k == "gc_refs" for k, _ in n.counts)]
        if refs:
            return f"gc_refs: {', '.join(refs)}"
        return f"unreachable: {_names([n for n in live if 'unreachable' in n.tags])}"
    by = {c: [n for n in live if n.colour == c] for c in ("gray", "black", "white")}
    colours = f"black: {_names(by['black'])} · white: {_names(by['white'])}"
    if snapshot.scheme in ("mark-sweep", "copying"):
        if not by["gray"] and not by["black"]:
            return f"{len(live)} object(s), none marked: the program runs"
        work = "gray (reached, not scanned)" if snapshot.scheme == "mark-sweep" else "gray (copied, not scanned)"
        return f"{work}: {_names(by['gray'])} · {colours}"
    if snapshot.scheme == "incremental":
        if snapshot.note.startswith("marking"):
            return f"{snapshot.note} · gray: {_names(by['gray'])} · {colours}"
        if snapshot.note.startswith("sweeping"):
            condemned = [n for n in snapshot.nodes if n.state in ("deiniting", "deinited")]
            return f"{snapshot.note} · garbage left: {_names(condemned)} · not swept yet (black): {_names(by['black'])}"
        return snapshot.note
    if snapshot.scheme == "generational":
        if by["gray"] or by["black"]:
            return f"collecting · gray (copied or marked, not scanned): {_names(by['gray'])} · {colours}"
        return snapshot.note
    return ""


def collector_svg(snapshot: GraphSnapshot, *, event: Event | None = None, width: int = 760) -> str:
    """The object graph with the collector's status line as its caption."""
    return graph_svg(snapshot, event=event, width=width, caption=status(snapshot))


def _role(nodes: list[Node]) -> str:
    for where in ("to-space", "from-space"):
        if any(where in n.tags for n in nodes):
            return where
    return ""


def semispace_svg(
    snapshot: GraphSnapshot,
    *,
    region: int,
    size: int,
    event: Event | None = None,
    width: int = 760,
    heading: str = "",
) -> str:
    """Two strips, the halves ``[region, region+size)`` and ``[region+size, region+2*size)``.

    Each object is drawn at its address with its colour (white: not copied yet, gray: copied,
    black: copied and scanned); in the half that holds gray or black objects, *scan* marks the
    end of the black ones and *free* the end of the copies.
    """
    left, top, strip_h, gap = 96, 26 + (18 if heading else 0), 40, 34
    scale = (width - left - 12) / size
    live = [n for n in snapshot.nodes if n.state == "live" and region <= n.address < region + 2 * size]
    halves = {0: [], 1: []}
    for n in live:
        halves[(n.address - region) // size].append(n)
    copying = any(n.colour in ("gray", "black") for n in live)
    hot = getattr(event, "oid", None)
    body = [GRAPH_DEFS]
    if heading:
        body.append(text(8, 16, heading, size=12, weight="bold"))
    for half in (0, 1):
        y = top + half * (strip_h + gap)
        nodes = sorted(halves[half], key=lambda n: n.address)
        other = _role(halves[1 - half])
        role = _role(nodes) or {"from-space": "to-space", "to-space": "from-space"}.get(other, "semispace")
        base = region + half * size
        body.append(text(8, y + 16, role, size=12, weight="bold"))
        body.append(text(8, y + 31, f"{base:#x}", size=10, fill=PALETTE["gray"]))
        body.append(rect(left, y, size * scale, strip_h, "#FFFFFF", stroke="#777", sw=0.8, title=f"{role}"))
        for n in nodes:
            x = left + (n.address - base) * scale
            fill, ink = COLOUR_FILL.get(n.colour or "white", ("#FFFFFF", PALETTE["text"]))
            shape = [rect(x, y, n.size * scale, strip_h, fill, stroke="#333", sw=2.4 if n.id == hot else 0.8,
                          title=f"{n.name} at {n.address:#x}, {n.size} bytes, {n.colour or 'white'}")]  # fmt: skip
            shape.append(rect(x + 2, y + strip_h - 15, n.size * scale - 4, 12, "#FFFFFF", stroke="none", sw=0,
                              extra=' fill-opacity="0.8"'))  # fmt: skip
            shape.append(text(x + n.size * scale / 2, y + strip_h - 5, n.name, size=10, anchor="middle"))
            body.append(f'<g data-name="{escape(n.name)}"{keys.attrs(keys.copy(n.id))}>{"".join(shape)}</g>')
        if copying and role == "to-space":
            black = [n for n in nodes if n.colour == "black"]
            scan = max((n.address + n.size for n in black), default=base)
            free = max((n.address + n.size for n in nodes), default=base)
            for label, at, dy in (("scan", scan, -4), ("free", free, strip_h + 12)):
                x = left + (at - base) * scale
                body.append(f'<line x1="{x:.1f}" y1="{y - 6:.1f}" x2="{x:.1f}" y2="{y + strip_h + 6:.1f}" '
                            f'stroke="{PALETTE["red"]}" stroke-width="2"/>')  # fmt: skip
                body.append(text(x + 3, y + dy, f"{label} {at:#x}", size=10, fill=PALETTE["red"]))
    height = top + 2 * strip_h + gap + 20
    title = f"two semispaces of {size} bytes at step {snapshot.step}"
    return svg(width, height, "".join(body), label=escape(title))


def copying_view(heap, *, width: int = 760):
    """A Player view for a copying heap: its semispaces above its object graph."""
    region, size = heap.space.region, heap.space.size

    def view(frame) -> str:
        snap = frame.snapshot
        strips = semispace_svg(snap, region=region, size=size, event=frame.event, width=width)
        return f"<div>{strips}<br/>{collector_svg(snap, event=frame.event, width=width)}</div>"

    return view


def collector_view(*, width: int = 760):
    """A Player view: the object graph of each frame with the collector's status line."""

    def view(frame) -> str:
        return collector_svg(frame.snapshot, event=frame.event, width=width)

    return view


__all__ = ["collector_svg", "collector_view", "copying_view", "semispace_svg", "status"]
