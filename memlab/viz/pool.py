"""Views of pools: the free list threaded through a pool's blocks, and an object pool's slots.

:func:`pool_svg` draws the blocks of a :class:`~memlab.allocators.pool.PoolSnapshot` in rows,
the first word of each free block (its link) written inside it, and an arrow from each free
block to the next one on the list, starting at ``head``. :func:`objectpool_svg` draws the
objects of an object pool with their fields, who holds them since when, and the order in which
free ones will be handed out.
"""

from __future__ import annotations

from ..allocators.pool import PoolSnapshot
from ..events import Event
from . import keys
from .style import FILL, PALETTE, legend, rect, svg, text

BOX_H = 46
ROW_GAP = 40
ARROW = (
    '<defs><marker id="ml-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
    f'orient="auto-start-reverse"><path d="M0 0L10 5L0 10z" fill="{PALETTE["red"]}"/></marker></defs>'
)


def _grid(n: int, width: int, per_row: int) -> tuple[int, float]:
    per_row = max(1, min(per_row, n))
    return per_row, (width - 30) / per_row


def _link(x0: float, y0: float, x1: float, y1: float) -> str:
    """A curved arrow over the boxes from (x0, y0) to (x1, y1)."""
    lift = 16 + min(60, abs(x1 - x0) / 6) if y0 == y1 else 0
    c0, c1 = (x0, y0 - lift), (x1, y1 - lift)
    return (
        f'<path d="M{x0:.1f} {y0:.1f} C{c0[0]:.1f} {c0[1]:.1f} {c1[0]:.1f} {c1[1]:.1f} {x1:.1f} {y1:.1f}" '
        f'fill="none" stroke="{PALETTE["red"]}" stroke-width="1.6" marker-end="url(#ml-arrow)"/>'
    )


def _word(snap: PoolSnapshot, address: int) -> int | None:
    try:
        return int.from_bytes(snap.read(address, 8), "little")
    except ValueError:
        return None


def pool_svg(snapshot: PoolSnapshot, *, event: Event | None = None, width: int = 760, per_row: int = 8) -> str:
    """The pool's blocks with the free list drawn as arrows from ``head`` through the free blocks."""
    blocks = list(snapshot.blocks)
    per_row, w = _grid(len(blocks), width, per_row)
    rows = -(-len(blocks) // per_row)
    top = 58
    pos, body, links = {}, [ARROW], []
    marked = getattr(event, "address", None)
    for i, b in enumerate(blocks):
        r, c = divmod(i, per_row)
        x, y = 15 + c * w, top + r * (BOX_H + ROW_GAP)
        pos[b.address] = (x, y)
        shape = [rect(x + 2, y, w - 4, BOX_H, FILL.get(b.state, FILL["dead"]), title=f"{b.address:#x}: {b.state}")]
        light = b.state == "allocated"
        ink = "#FFFFFF" if light else PALETTE["text"]
        shape.append(text(x + 7, y + 15, f"{b.address:#x}", size=10, fill=ink, weight="bold"))
        if b.state == "free":
            link = _word(snapshot, b.address)
            shown = "NULL" if link == 0 else (f"{link:#x}" if link is not None else "?")
            shape.append(text(x + 7, y + 33, f"next: {shown}", size=10, fill=PALETTE["red"]))
        elif light:
            shape.append(text(x + 7, y + 33, f"{b.requested} of {b.size} B", size=10, fill=ink))
        body.append(keys.group(keys.block(b.address), "".join(shape), b.address, b.end))
        if marked is not None and b.address <= marked < b.end:
            mark = keys.attrs(keys.HIGHLIGHT)
            body.append(rect(x + 1, y - 2, w - 2, BOX_H + 4, "none", stroke=PALETTE["highlight"], sw=2.5, extra=mark))
    chain = snapshot.chain
    if chain and chain[0] in pos:
        hx, hy = pos[chain[0]]
        body.append(text(15, 20, "head", size=12, weight="bold", fill=PALETTE["red"]))
        links.append(_link(50, 16, hx + w / 2, hy - 2))
    for a, b in zip(chain, chain[1:]):
        if a in pos and b in pos:
            (x0, y0), (x1, y1) = pos[a], pos[b]
            links.append(_link(x0 + w / 2 + 6, y0 - 2, x1 + w / 2 - 6, y1 - 2))
    height = top + rows * (BOX_H + ROW_GAP) - ROW_GAP + 12
    body.extend(links)
    items = [(FILL["allocated"], "allocated"), (FILL["free"], "free (first word = link to the next)")]
    body.append(legend(items, 15, height + 8))
    label = f"pool of {len(blocks)} blocks of {snapshot.block_size} bytes, {len(chain)} on the free list"
    return svg(width, height + 16, "".join(body), label=label)


def objectpool_svg(snapshot, *, event: Event | None = None, width: int = 760, per_row: int = 8) -> str:
    """An object pool's objects: fields, holder (acquired at which step), and the hand-out order."""
    slots = list(snapshot.slots)
    per_row, w = _grid(len(slots), width, per_row)
    box = 24 + 14 * len(snapshot.fields)
    rows = -(-len(slots) // per_row)
    top = 8
    marked = getattr(event, "index", None)
    order = {index: n for n, index in enumerate(snapshot.available)}
    body = []
    for s in slots:
        r, c = divmod(s.index, per_row)
        x, y = 15 + c * w, top + r * (box + 30)
        fill = FILL["allocated"] if s.in_use else FILL["free"]
        ink = "#FFFFFF" if s.in_use else PALETTE["text"]
        shape = [rect(x + 2, y, w - 4, box, fill, title=f"object #{s.index} at {s.address:#x}")]
        shape.append(text(x + 7, y + 14, f"#{s.index} {s.address:#x}", size=10, fill=ink, weight="bold"))
        for j, (f, v) in enumerate(zip(snapshot.fields, s.values)):
            shape.append(text(x + 7, y + 28 + 14 * j, f"{f} = {v}", size=10, fill=ink))
        note = f"in use since step {s.acquired_at}" if s.in_use else f"free, {_nth(order.get(s.index, 0))} out"
        shape.append(text(x + 4, y + box + 13, note, size=9, fill=PALETTE["gray"]))
        body.append(keys.group(keys.slot(s.index), "".join(shape)))
        if marked == s.index:
            body.append(rect(x + 1, y - 2, w - 2, box + 4, "none", stroke=PALETTE["highlight"], sw=2.5))
    height = top + rows * (box + 30)
    saved = snapshot.acquires - snapshot.allocations
    summary = f"{snapshot.acquires} acquires, {snapshot.allocations} allocations"
    if saved > 0:
        summary += f": {saved} allocations saved"
    body.append(text(15, height + 4, summary, size=11))
    body.append(legend([(FILL["allocated"], "in use"), (FILL["free"], "available")], 15, height + 24))
    return svg(width, height + 32, "".join(body), label=f"object pool of {len(slots)} objects")


def _nth(n: int) -> str:
    return {0: "next", 1: "2nd", 2: "3rd"}.get(n, f"{n + 1}th")
