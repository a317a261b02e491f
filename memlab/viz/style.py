"""Colours, patterns and small SVG helpers shared by every view.

The palette is Okabe & Ito's, safe for the common forms of colour blindness, and no two states
differ by hue alone: allocated blocks are solid and dark, free blocks light and hatched,
metadata dotted, dead blocks cross-hatched, and every block also carries a text title.
"""

from __future__ import annotations

from html import escape

PALETTE = {
    "allocated": "#0072B2",  # blue, solid, dark
    "free": "#F0F0F0",  # near white, hatched
    "metadata": "#E69F00",  # orange, dotted
    "dead": "#999999",  # grey, cross-hatched
    "highlight": "#000000",
    "text": "#1A1A1A",
    "purple": "#CC79A7",
    "gray": "#8C8C8C",
    "white": "#FFFFFF",
    "black": "#222222",
    "green": "#009E73",
    "red": "#D55E00",
}

FILL = {
    "allocated": PALETTE["allocated"],
    "free": "url(#ml-hatch)",
    "metadata": "url(#ml-dots)",
    "dead": "url(#ml-cross)",
}

TEXT_ON = {"allocated": "#FFFFFF", "free": PALETTE["text"], "metadata": PALETTE["text"], "dead": "#FFFFFF"}

DEFS = (
    "<defs>"
    '<pattern id="ml-hatch" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
    f'<rect width="8" height="8" fill="{PALETTE["free"]}"/>'
    '<line x1="0" y1="0" x2="0" y2="8" stroke="#B0B0B0" stroke-width="2"/></pattern>'
    '<pattern id="ml-dots" width="6" height="6" patternUnits="userSpaceOnUse">'
    f'<rect width="6" height="6" fill="{PALETTE["metadata"]}"/>'
    '<circle cx="3" cy="3" r="1.2" fill="#7A4F00"/></pattern>'
    '<pattern id="ml-cross" width="8" height="8" patternUnits="userSpaceOnUse">'
    f'<rect width="8" height="8" fill="{PALETTE["dead"]}"/>'
    '<path d="M0 0L8 8M8 0L0 8" stroke="#5A5A5A" stroke-width="1.2"/></pattern>'
    "</defs>"
)


def svg(width: float, height: float, body: str, *, label: str = "") -> str:
    """Wrap ``body`` in an <svg> element with the shared patterns and an accessible label."""
    aria = f' role="img" aria-label="{escape(label)}"' if label else ""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="DejaVu Sans, Arial, sans-serif"{aria}>'
        f"{DEFS}{body}</svg>"
    )


def rect(
    x: float,
    y: float,
    w: float,
    h: float,
    fill: str,
    *,
    stroke: str = "#333",
    sw: float = 0.6,
    title: str = "",
    extra: str = "",
) -> str:
    """An SVG rectangle, optionally with a hover title."""
    t = f"<title>{escape(title)}</title>" if title else ""
    return (
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0.5):.1f}" height="{h:.1f}" fill="{fill}" '
        f'stroke="{stroke}" stroke-width="{sw}"{extra}>{t}</rect>'
    )


def text(
    x: float,
    y: float,
    s: str,
    *,
    size: float = 11,
    fill: str = PALETTE["text"],
    anchor: str = "start",
    weight: str = "normal",
) -> str:
    """An SVG text element."""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" fill="{fill}" text-anchor="{anchor}" '
        f'font-weight="{weight}">{escape(s)}</text>'
    )


def legend(items: list[tuple[str, str]], x: float, y: float, *, size: float = 11) -> str:
    """A row of swatches: (fill, label) pairs."""
    parts, cx = [], x
    for fill, label in items:
        parts.append(rect(cx, y - size + 1, size + 3, size + 1, fill))
        parts.append(text(cx + size + 7, y, label, size=size))
        cx += size + 16 + 6.5 * len(label)
    return "".join(parts)
