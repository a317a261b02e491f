"""Views of a buddy heap: the split tree, and free blocks per order as in /proc/buddyinfo.

The tree is drawn as stacked bars, one row per order, largest at the top: a block that was
split shows as an empty bar with its two halves (buddies) right below it, so every pair of
buddies sits under the bar they came from. Free blocks are hatched; an allocated block is solid
for the bytes requested and light for the bytes it wastes (internal fragmentation).
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from ..allocators.buddy import BuddySnapshot, Merge
from ..events import Event, Frame, Split
from . import keys
from .style import FILL, PALETTE, legend, rect, svg, text

ROW = 26
GAP = 5
LEFT = 112
RIGHT = 70
WASTE = "#A9CDE8"


def _counts(source) -> tuple[int, ...]:
    return source.free_area if isinstance(source, BuddySnapshot) else tuple(source.free_counts())


def buddyinfo(source, *, header: bool = True, zone: str = "Buddy") -> str:
    """Free blocks per order, in the layout of Linux's /proc/buddyinfo (smallest order first).

    ``source`` is a :class:`~memlab.allocators.buddy.Buddy` or a snapshot of one. With
    ``header``, two lines above name each column's order and block size.
    """
    counts, low = _counts(source), source.min_order
    prefix = f"Node 0, zone {zone:>8} "
    lines = [prefix + "".join(f"{n:6d} " for n in counts)]
    if header:
        orders = range(low, low + len(counts))
        for name, values in (("bytes", [1 << k for k in orders]), ("order", orders)):
            lines.insert(0, name.ljust(len(prefix)) + "".join(f"{v:6d} " for v in values))
    return "\n".join(line.rstrip() for line in lines)


def _haloed(x: float, y: float, s: str) -> str:
    """Dark text with a white halo, legible over both the solid and the light part of a block."""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="10" fill="{PALETTE["text"]}" stroke="#FFFFFF" '
        f'stroke-width="3" paint-order="stroke">{escape(s)}</text>'
    )


def _nodes(snap: BuddySnapshot) -> tuple[dict[tuple[int, int], object], set[tuple[int, int]]]:
    """Leaves (offset, order) -> Block, and the split (inner) nodes above them."""
    leaves, inner = {}, set()
    for b in snap.blocks:
        k = b.size.bit_length() - 1
        off = b.address - snap.start
        leaves[(off, k)] = b
        for j in range(k + 1, snap.max_order + 1):
            inner.add((off & -(1 << j), j))
    return leaves, inner


def _marked(event: Event | None) -> set[tuple[int, int]]:
    """(address, size) pairs the event concerns."""
    if isinstance(event, Split):
        return {(event.address, event.size), (event.address, event.first), (event.address + event.first, event.second)}
    if isinstance(event, Merge):
        return {(event.address, event.size)}
    address = getattr(event, "address", None)
    return {(address, -1)} if isinstance(address, int) else set()


def buddy_tree_svg(snapshot: BuddySnapshot, *, event: Event | None = None, width: int = 760, caption: str = "") -> str:
    """Draw the split tree of a buddy snapshot; outline the blocks the event touched."""
    snap = snapshot
    rows = snap.max_order - snap.min_order + 1
    total = max(1, snap.end - snap.start)
    px = (width - LEFT - RIGHT) / total
    top = 22 if caption else 6
    leaves, inner = _nodes(snap)
    marked = _marked(event)
    body, outlines = [], []
    for k in range(snap.max_order, snap.min_order - 1, -1):
        y = top + (snap.max_order - k) * (ROW + GAP)
        body.append(text(6, y + 12, f"order {k}", size=11, weight="bold"))
        body.append(text(6, y + 23, f"{1 << k} B blocks", size=9.5, fill=PALETTE["gray"]))
        free_here = snap.free_area[k - snap.min_order] if snap.free_area else 0
        body.append(text(width - RIGHT + 8, y + 17, f"free: {free_here}", size=11))
    for off, k in sorted(inner | set(leaves), key=lambda n: (-n[1], n[0])):
        x, y, w = LEFT + off * px, top + (snap.max_order - k) * (ROW + GAP), (1 << k) * px
        address, size = snap.start + off, 1 << k
        block = leaves.get((off, k))
        shape: list[str] = []
        if block is None:
            shape.append(rect(x, y, w, ROW, PALETTE["white"], stroke="#999", title=f"{address:#x}: {size} B, split"))
        elif block.state == "allocated":
            used = min(w, max(block.requested, 1) * px)
            tip = f"{address:#x}: {size}-byte block, {block.requested} requested, {size - block.requested} wasted"
            shape.append(rect(x, y, w, ROW, WASTE, title=tip))
            shape.append(rect(x, y, used, ROW, FILL["allocated"], title=tip, sw=0))
            shape.append(rect(x, y, w, ROW, "none"))
        else:
            shape.append(rect(x, y, w, ROW, FILL["free"], title=f"{address:#x}: free {size}-byte block"))
        if w >= 30:
            allocated = block is not None and block.state == "allocated"
            label = f"{block.requested}/{size}" if allocated else f"{size}"
            colour = "#FFFFFF" if allocated and block.requested * px > 40 else PALETTE["text"]
            shape.append(
                _haloed(x + 4, y + 17, label)
                if allocated and colour != "#FFFFFF"
                else text(x + 4, y + 17, label, size=10, fill=colour)
            )
        body.append(keys.group(keys.buddy(address, k), "".join(shape), address, address + size))
        if (address, size) in marked or ((address, -1) in marked and block is not None):
            mark = keys.attrs(keys.piece(keys.HIGHLIGHT, len(outlines)))
            outlines.append(rect(x, y - 2, w, ROW + 4, "none", stroke=PALETTE["highlight"], sw=2.5, extra=mark))
    height = top + rows * (ROW + GAP) + 4
    body.extend(outlines)
    if caption:
        body.insert(0, text(6, 15, caption, size=12, weight="bold"))
    items = [(PALETTE["white"], "split"), (FILL["free"], "free"), (FILL["allocated"], "requested"), (WASTE, "wasted")]
    body.append(legend(items, LEFT, height + 10))
    label = f"buddy tree of {len(leaves)} blocks over {total} bytes"
    return svg(width, height + 18, "".join(body), label=label)


def tree_view(*, width: int = 760, info: bool = True) -> Callable[[Frame], str]:
    """A view for :class:`~memlab.widgets.player.Player`: the tree, and buddyinfo under it."""

    def view(frame: Frame) -> str:
        html = buddy_tree_svg(frame.snapshot, event=frame.event, width=width)
        if info:
            html += f"<pre style='font-size:12px'>{escape(buddyinfo(frame.snapshot))}</pre>"
        return html

    return view
