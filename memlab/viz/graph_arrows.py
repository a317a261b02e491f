"""The object graph's references: one cubic Bézier arrow per variable or field.

Arrows run forward from a box's right side to the next column, down from a box's bottom to a
later band, or back underneath both boxes; a reference to itself (Swift's ``self.next = self``,
a Python list that contains itself) is a hoop over the box's top edge. Each box's arrows leave
and arrive at ports spread along its sides, so no two share an end.
"""

from __future__ import annotations

from html import escape

from ..reclaim.snapshot import GraphSnapshot
from .graph_layout import Box
from .graph_style import DASH, WIDTH
from .style import PALETTE

LOOP_W, LOOP_RISE = 30, 22  # a reference to itself: a hoop this wide and high over the box's top edge


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


def references(
    snap: GraphSnapshot, var_box: dict[str, Box], boxes: dict[int, Box], band_of: dict
) -> tuple[list[str], float]:
    """Arrows for variables and fields, and the lowest y they reach; ports spread along each box's sides."""
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
