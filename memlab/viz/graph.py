"""The object-graph view: variables on the left, objects as boxes, references as arrows.

:func:`graph_svg` draws a :class:`~memlab.reclaim.snapshot.GraphSnapshot` the way textbooks
and the Swift book draw reference graphs: each scope's variables in a column, each object a
box with its name, type, header counts (``rc``, ``strong``/``unowned``/``weak``, ``gc_refs``)
and state, each reference an arrow labelled with its field. Strong references are solid,
weak ones dashed, unowned ones dotted. Bacon & Rajan's colours are shown by a word *and* a
fill pattern (never by hue alone). A live object that no variable can reach is outlined in
red dashes and called *leaked* (under counting schemes) or *unreachable* (under collectors).

The layout is layered and deterministic: an object's column is its distance (in references)
from the nearest variable; unreachable objects come after the reachable ones. When there are
more columns than fit in ``width``, the columns wrap into bands below each other.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from html import escape

from ..events import Event
from ..reclaim.snapshot import GraphSnapshot, Node
from .style import FILL, PALETTE, rect, svg, text

Box = tuple[float, float, float, float]  # x, y, width, height
BOX_W, BOX_H, LINE = 166, 52, 15
ROW_GAP, COL_GAP, BAND_GAP = 22, 46, 36
VAR_W, VAR_H = 112, 20
LOOP_W, LOOP_RISE = 30, 22  # a reference to itself: a hoop this wide and high over the box's top edge
LEFT, TOP = 8, 30
COUNTING = ("refcount", "arc", "manual")  # schemes under which an unreachable object stays forever

DASH = {"strong": "", "weak": "6 4", "unowned": "1.5 3", "temporary": "8 3 2 3"}
WIDTH = {"strong": 1.6, "weak": 1.4, "unowned": 1.8, "temporary": 1.2}
DEFS = (
    "<defs>"
    '<marker id="ml-garrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6.5" markerHeight="6.5" '
    f'orient="auto-start-reverse"><path d="M0 0L10 5L0 10z" fill="{PALETTE["text"]}"/></marker>'
    '<pattern id="ml-g-gray" width="7" height="7" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
    f'<rect width="7" height="7" fill="{PALETTE["gray"]}"/>'
    '<line x1="0" y1="0" x2="0" y2="7" stroke="#B8B8B8" stroke-width="2.5"/></pattern>'
    '<pattern id="ml-g-purple" width="6" height="6" patternUnits="userSpaceOnUse">'
    f'<rect width="6" height="6" fill="{PALETTE["purple"]}"/>'
    '<line x1="0" y1="1" x2="6" y2="1" stroke="#E8B8D4" stroke-width="1.6"/></pattern>'
    '<pattern id="ml-g-white" width="8" height="8" patternUnits="userSpaceOnUse">'
    '<rect width="8" height="8" fill="#FFFFFF"/><circle cx="4" cy="4" r="0.9" fill="#9A9A9A"/></pattern>'
    "</defs>"
)
COLOUR_FILL = {
    "black": (PALETTE["black"], "#FFFFFF"),
    "gray": ("url(#ml-g-gray)", PALETTE["text"]),
    "purple": ("url(#ml-g-purple)", PALETTE["text"]),
    "white": ("url(#ml-g-white)", PALETTE["text"]),
}
STATE_FILL = {
    "live": (FILL["allocated"], "#FFFFFF"),
    "deiniting": (FILL["free"], PALETTE["text"]),
    "deinited": (FILL["free"], PALETTE["text"]),
    "freed": (FILL["dead"], PALETTE["text"]),
    "dead": (FILL["dead"], PALETTE["text"]),
}


def _reachable(snap: GraphSnapshot, out: dict[int, list[tuple[int, str]]], kinds: tuple[str, ...]) -> dict[int, int]:
    """Distance (in references of ``kinds``) of every object from the nearest variable."""
    depth: dict[int, int] = {}
    queue: deque[int] = deque()
    for v in snap.variables:
        if v.target is not None and v.target not in depth and v.kind in kinds:
            depth[v.target] = 0
            queue.append(v.target)
    while queue:
        n = queue.popleft()
        for m, kind in out.get(n, ()):
            if m not in depth and kind in kinds:
                depth[m] = depth[n] + 1
                queue.append(m)
    return depth


def _layers(snap: GraphSnapshot) -> tuple[list[list[Node]], set[int]]:
    """Columns of nodes (by distance from the variables, then the rest) and the ids no strong path reaches."""
    ids = {n.id for n in snap.nodes}
    out: dict[int, list[tuple[int, str]]] = {}
    for e in snap.edges:
        if isinstance(e.source, int) and e.target in ids:
            out.setdefault(e.source, []).append((e.target, e.kind))
    depth = _reachable(snap, out, ("strong", "weak", "unowned", "temporary"))
    kept = set(_reachable(snap, out, ("strong", "temporary")))  # what keeps objects alive
    base = max(depth.values(), default=-1) + 1
    for n in snap.nodes:  # unreachable objects: layered from the first of each group, by id
        if n.id in depth:
            continue
        depth[n.id] = base
        queue = deque([n.id])
        while queue:
            k = queue.popleft()
            for m, _ in out.get(k, ()):
                if m not in depth:
                    depth[m] = depth[k] + 1
                    queue.append(m)
    columns: list[list[Node]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for n in snap.nodes:
        columns[depth[n.id]].append(n)
    return columns, ids - kept


def _order(columns: list[list[Node]], snap: GraphSnapshot, var_rows: dict[str, int]) -> None:
    """Sort each column by the rows of what points at it (one barycentre pass), then by id."""
    row: dict[int | str, float] = dict(var_rows)
    into: dict[int, list[int | str]] = {}
    for e in snap.edges:
        into.setdefault(e.target, []).append(e.source)
    for v in snap.variables:
        if v.target is not None:
            into.setdefault(v.target, []).append(v.label)
    for col in columns:

        def key(n: Node) -> tuple[float, int]:
            seen = [row[s] for s in into.get(n.id, ()) if s in row]
            return (sum(seen) / len(seen) if seen else 1e9, n.id)

        col.sort(key=key)
        for i, n in enumerate(col):
            row[n.id] = i


def _bezier(p: tuple[float, ...], t: float) -> tuple[float, float]:
    x0, y0, x1, y1, x2, y2, x3, y3 = p
    u = 1 - t
    a, b, c, d = u**3, 3 * u * u * t, 3 * u * t * t, t**3
    return a * x0 + b * x1 + c * x2 + d * x3, a * y0 + b * y1 + c * y2 + d * y3


def _arrow(p: tuple[float, ...], kind: str, label: str, t: float, title: str, anchor: str = "middle") -> str:
    dash = f' stroke-dasharray="{DASH[kind]}"' if DASH.get(kind) else ""
    colour = PALETTE["gray"] if kind == "temporary" else PALETTE["text"]
    d = "M{:.1f} {:.1f}C{:.1f} {:.1f} {:.1f} {:.1f} {:.1f} {:.1f}".format(*p)
    parts = [
        f'<path class="ml-edge ml-{kind}" d="{d}" fill="none" stroke="{colour}" '
        f'stroke-width="{WIDTH.get(kind, 1.4)}"{dash} marker-end="url(#ml-garrow)">'
        f"<title>{escape(title)}</title></path>"
    ]
    if label:
        lx, ly = _bezier(p, t)
        if anchor != "middle":  # a hoop's label starts at its outer foot and runs towards the box's middle
            lx = max(p[0], p[6]) + 6 if anchor == "end" else min(p[0], p[6]) - 6
        parts.append(
            f'<text x="{lx:.1f}" y="{ly - 3:.1f}" font-size="10" fill="{PALETTE["text"]}" text-anchor="{anchor}" '
            f'paint-order="stroke" stroke="#FFFFFF" stroke-width="3">{escape(label)}</text>'
        )
    return "".join(parts)


def _loop_left(width: float, k: int) -> float:
    """Where the k-th hoop of a box starts, from its left edge: right end, left end, then right of the
    middle (where arrows from a band above arrive)."""
    return (width - 12 - LOOP_W, 12, width / 2 + 10)[k % 3]


def _route(s: Box, t: Box, sy: float, ty: float, loop: bool, lower_band: bool, k: int = 0):
    """A cubic from box ``s`` (x, y, w, h) to box ``t``: forward, down to a later band, or back below."""
    sx0, sy0, sw, sh = s
    tx0, ty0, tw, th = t
    if loop:  # to itself: a hoop over the top edge, inside the box's own width (so never off the page)
        x1 = sx0 + _loop_left(sw, k)
        x0, y = x1 + LOOP_W, sy0 - LOOP_RISE
        return (x0, sy0, x0 + 6, y, x1 - 6, y, x1, sy0), 0.5
    if tx0 > sx0 + sw + 8:  # forward: right side to left side
        x0, x1 = sx0 + sw, tx0
        bend = max(24.0, (x1 - x0) / 2)
        return (x0, sy, x0 + bend, sy, x1 - bend, ty, x1, ty), 0.3
    if lower_band:  # bottom to top
        x0, y0, x1, y1 = sx0 + sw / 2, sy0 + sh, tx0 + tw / 2, ty0
        bend = max(20.0, (y1 - y0) / 2)
        return (x0, y0, x0, y0 + bend, x1, y1 - bend, x1, y1), 0.5
    x0, y0, x1, y1 = sx0 + sw * 0.6 + 14 * k, sy0 + sh, tx0 + tw * 0.4 - 14 * k, ty0 + th  # back: below both
    drop = 22 + 12 * k + min(60.0, abs(x1 - x0) * 0.18)
    return (x0, y0, x0, y0 + drop, x1, y1 + drop, x1, y1), 0.5


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
    columns, unreachable = _layers(snap)
    _order(columns, snap, {label: i for i, label in enumerate(var_box)})
    tall = any(t != n.state for n in snap.nodes for t in n.tags)
    slots = {n.id: (c, r) for c, col in enumerate(columns) for r, n in enumerate(col)}
    if layout is not None:
        extra = {oid: slot for oid, slot in slots.items() if oid not in layout}
        slots = dict(layout)
        for oid, (c, _) in extra.items():  # not in the layout: below everything in its column
            slots[oid] = (c, 1 + max((r for cc, r in slots.values() if cc == c), default=-1))
    boxes, band_of = _place(slots, width, top, BOX_H + (LINE if tall else 0))
    lost_word = "leaked" if snap.scheme in COUNTING else "unreachable"
    hot_id = getattr(event, "oid", None)
    for n in snap.nodes:
        lost = lost_word if _lost(n, unreachable, snap.scheme) else ""
        body.append(_node(n, boxes[n.id], _node_lines(n, lost, tall), bool(lost), n.id == hot_id))
    arrows, lowest = _references(snap, var_box, boxes, band_of)
    body.extend(arrows)
    lowest = max([lowest] + [by + bh for _, by, _, bh in boxes.values()])
    bottom = max(var_bottom, lowest) + 24
    lost_any = any(_lost(n, unreachable, snap.scheme) for n in snap.nodes)
    body.append(_legend(snap, LEFT, bottom, lost_any, lost_word))
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


def _place(slots: dict[int, tuple[int, int]], width: int, top: float, h: float) -> tuple[dict[int, Box], dict]:
    """Boxes for (column, row) slots, wrapping columns into bands that fit ``width``."""
    x_start = LEFT + VAR_W + COL_GAP
    per_band = max(1, int((width - x_start + COL_GAP) // (BOX_W + COL_GAP)))
    rows: dict[int, int] = {}  # band -> rows in it
    for c, r in slots.values():
        rows[c // per_band] = max(rows.get(c // per_band, 0), r + 1)
    band_top, y = {}, top
    for b in range(max(rows, default=-1) + 1):
        band_top[b] = y
        y += rows.get(b, 0) * (h + ROW_GAP) - ROW_GAP + BAND_GAP + 40 if b in rows else 0
    boxes: dict[int, Box] = {}
    band_of: dict[int | str, int] = {}
    for oid, (c, r) in slots.items():
        b, i = divmod(c, per_band)
        boxes[oid] = (x_start + i * (BOX_W + COL_GAP), band_top[b] + r * (h + ROW_GAP), BOX_W, h)
        band_of[oid] = b
    return boxes, band_of


def stable_layout(snapshots: Iterable[GraphSnapshot | None]) -> dict[int, tuple[int, int]]:
    """One (column, row) slot per object over a whole recording, so that nothing jumps between frames.

    An object's column is the farthest from the variables it ever sits while reachable (a new
    object starts as a temporary, a root, before it is stored deeper); rows go by order of
    appearance, and a row is given again only to an object that appears after its holder is gone.
    """
    column: dict[int, int] = {}
    life: dict[int, list[int]] = {}  # id -> [first frame, last frame]; insertion order = appearance
    for index, snap in enumerate(snapshots):
        if snap is None:
            continue
        columns, unreachable = _layers(snap)
        for c, col in enumerate(columns):
            for n in col:
                life.setdefault(n.id, [index, index])[1] = index
                if n.id not in unreachable or n.id not in column:
                    column[n.id] = max(column.get(n.id, 0), c) if n.id not in unreachable else c
    held: dict[tuple[int, int], list[tuple[int, int]]] = {}
    slots: dict[int, tuple[int, int]] = {}
    for oid, (first, last) in life.items():
        c, r = column[oid], 0
        while any(a <= last and first <= b for a, b in held.get((c, r), ())):
            r += 1
        slots[oid] = (c, r)
        held.setdefault((c, r), []).append((first, last))
    return slots


def _node(n: Node, box: Box, lines: list[str], lost: bool, hot: bool) -> str:
    """One object's box: fill by state (or by Bacon–Rajan colour), its lines of text, outlines."""
    x, y, w, h = box
    fill, ink = STATE_FILL.get(n.state, STATE_FILL["dead"])
    coloured = bool(n.colour) and n.state == "live"
    if coloured:
        fill, ink = COLOUR_FILL.get(n.colour, (fill, ink))
    title = f"{lines[0]} at {n.address:#x}, {n.size} bytes; " + "; ".join(s for s in lines[1:] if s)
    parts = [f'<g class="ml-node ml-{escape(n.state)}" data-name="{escape(n.name)}">']
    parts.append(rect(x, y, w, h, fill, stroke="#333", sw=0.8, title=title))
    if ink != "#FFFFFF":  # patterned fills: a light band under the text keeps it readable
        parts.append(rect(x + 8, y + 3, w - 11, h - 6, "#FFFFFF", stroke="none", sw=0, extra=' fill-opacity="0.72"'))
    parts.append(text(x + 11, y + 15, _fit(lines[0], w - 14, 11), size=11, weight="bold", fill=ink))
    for k, line in enumerate(lines[1:]):
        parts.append(text(x + 11, y + 30 + LINE * k, _fit(line, w - 14, 10), size=10, fill=ink))
    if lost:
        dashes = ' stroke-dasharray="5 3"'
        parts.append(rect(x - 4, y - 4, w + 8, h + 8, "none", stroke=PALETTE["red"], sw=2, extra=dashes))
    if hot:
        parts.append(rect(x - 2, y - 2, w + 4, h + 4, "none", stroke=PALETTE["highlight"], sw=2.8))
    parts.append("</g>")
    return "".join(parts)


def _references(
    snap: GraphSnapshot, var_box: dict[str, Box], boxes: dict[int, Box], band_of: dict
) -> tuple[list[str], float]:
    """Arrows for variables and fields; ports spread along each box's sides so arrows do not share ends."""
    refs = [(v.label, v.target, "", v.kind) for v in snap.variables if v.target in boxes]
    refs += [(e.source, e.target, e.label, e.kind) for e in snap.edges if e.target in boxes]
    outs: dict[int | str, list[int]] = {}
    ins: dict[int, list[int]] = {}
    for i, (s, t, _, _) in enumerate(refs):
        outs.setdefault(s, []).append(i)
        ins.setdefault(t, []).append(i)

    def box_of(s: int | str) -> Box | None:
        return var_box.get(s) if isinstance(s, str) else boxes.get(s)

    def port(box: Box, k: int, of: int) -> float:
        return box[1] + box[3] * (k + 1) / (of + 1)

    src_y: dict[int, float] = {}
    for s, idx in outs.items():
        box = box_of(s)
        for k, i in enumerate(idx):
            src_y[i] = port(box, k, len(idx)) if box else 0.0
    dst_y: dict[int, float] = {}
    for t, idx in ins.items():
        for k, i in enumerate(sorted(idx, key=lambda i: (src_y[i], i))):
            dst_y[i] = port(boxes[t], k, len(idx))
    names = {n.id: n.name for n in snap.nodes}
    arrows, lowest = [], 0.0
    twins: dict[tuple[int | str, int], int] = {}  # labels of parallel references are spread along them
    for i, (s, t, label, kind) in enumerate(refs):
        box = box_of(s)
        if box is None:
            continue
        lower = band_of.get(t, 0) > band_of.get(s, 0)
        k = twins[(s, t)] = twins.get((s, t), -1) + 1
        p, at = _route(box, boxes[t], src_y[i], dst_y[i], s == t, lower, k)
        shown = label if kind in ("strong", "temporary") or not label else f"{label} ({kind})"
        title = f"{names.get(s, s)}{'.' + label if label else ''} → {names[t]}: {kind}"
        if s == t:
            arrows.append(_arrow(p, kind, shown, at, title, ("end", "start", "middle")[k % 3]))
        else:
            arrows.append(_arrow(p, kind, shown, min(0.85, at + 0.12 * k), title))
        lowest = max(lowest, 0.75 * max(p[1::2]) + 0.25 * min(p[1::2]))  # a cubic stays inside its hull
    return arrows, lowest


def _legend(snap: GraphSnapshot, x: float, y: float, lost: bool, lost_word: str) -> str:
    parts, cx = [], x
    used = {e.kind for e in snap.edges} | {v.kind for v in snap.variables}
    for kind in ("strong", "weak", "unowned"):
        if kind != "strong" and kind not in used:
            continue
        dash = f' stroke-dasharray="{DASH[kind]}"' if DASH[kind] else ""
        parts.append(
            f'<line x1="{cx:.1f}" y1="{y - 4:.1f}" x2="{cx + 30:.1f}" y2="{y - 4:.1f}" stroke="{PALETTE["text"]}" '
            f'stroke-width="{WIDTH[kind]}"{dash} marker-end="url(#ml-garrow)"/>'
        )
        parts.append(text(cx + 36, y, kind, size=10))
        cx += 40 + 7 * len(kind) + 12
    states = sorted({n.state for n in snap.nodes} - {"live"})
    colours = sorted({n.colour for n in snap.nodes if n.colour and n.state == "live"})
    swatches = [(STATE_FILL[s][0], s) for s in states if s in STATE_FILL]
    swatches += [(COLOUR_FILL[c][0], c) for c in colours if c in COLOUR_FILL]
    if any(n.state == "live" and not n.colour for n in snap.nodes):
        swatches.insert(0, (STATE_FILL["live"][0], "live"))
    for fill, name in swatches:
        parts.append(rect(cx, y - 11, 14, 12, fill))
        parts.append(text(cx + 18, y, name, size=10))
        cx += 30 + 6.5 * len(name)
    if lost:
        parts.append(rect(cx, y - 11, 14, 12, "none", stroke=PALETTE["red"], sw=2, extra=' stroke-dasharray="4 2"'))
        parts.append(text(cx + 18, y, f"{lost_word}: no variable reaches it", size=10))
    return "".join(parts)
