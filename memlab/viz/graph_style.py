"""How the object graph is inked, and the legend that explains it.

Objects are filled by state (live, deinited, freed) from :mod:`memlab.viz.style`; under a
collector, Bacon & Rajan's colours (black, gray, purple, white) are told apart by fill
*pattern* as well as hue. References are solid when strong, dashed when weak, dotted when
unowned, as the Swift book draws them. The legend lists only what the picture uses.
"""

from __future__ import annotations

from ..reclaim.snapshot import GraphSnapshot
from .style import FILL, PALETTE, rect, text

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
BARRIER_INK = PALETTE["metadata"]  # orange: the outline of an object a write barrier just acted on
STATE_FILL = {
    "live": (FILL["allocated"], "#FFFFFF"),
    "deiniting": (FILL["free"], PALETTE["text"]),
    "deinited": (FILL["free"], PALETTE["text"]),
    "freed": (FILL["dead"], PALETTE["text"]),
    "dead": (FILL["dead"], PALETTE["text"]),
}


def legend(snap: GraphSnapshot, x: float, y: float, lost: bool, lost_word: str, *, barrier: bool = False) -> str:
    """One row from ``(x, y)``: the reference kinds, states and colours in ``snap``, the lost and barrier outlines."""
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
        cx += 30 + 6.5 * len(f"{lost_word}: no variable reaches it")
    if barrier:
        parts.append(rect(cx, y - 11, 14, 12, "none", stroke=BARRIER_INK, sw=3.5))
        parts.append(text(cx + 18, y, "a write barrier acted on it", size=10))
    return "".join(parts)
