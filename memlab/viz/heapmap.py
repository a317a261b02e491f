"""The heap map: every block of a layout drawn to scale, in address order.

Blocks are laid end to end in rows, like text; a block that crosses the end of a row continues
on the next. Where the addresses jump (separate mmap regions), a thin gap marks the break.
Header and footer words are drawn as metadata bands inside their block, and the block that the
current event touches is outlined. Pure drawing: a snapshot in, an SVG string out.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..allocators.base import Block, HeapSnapshot
from ..events import Event
from . import keys
from .style import FILL, PALETTE, TEXT_ON, legend, rect, svg, text

ROW_HEIGHT = 34
ROW_GAP = 12
GAP_BYTES = 0.015  # share of a row used to mark a jump in addresses


def event_addresses(event: Event | None) -> set[int]:
    """The addresses an event concerns, to outline the blocks that hold them."""
    if event is None:
        return set()
    names = ("address", "old_address", "new_address")
    return {getattr(event, n) for n in names if isinstance(getattr(event, n, None), int)}


def _pieces(blocks: Sequence[Block], row_bytes: int):
    """Yield (block, row, x0, x1) in bytes along rows, splitting blocks at row ends."""
    gap = max(1, int(row_bytes * GAP_BYTES))
    pos, prev_end = 0, None
    for b in blocks:
        if prev_end is not None and b.address != prev_end:
            pos += gap
        remaining = b.size
        while remaining > 0:
            row, x0 = divmod(pos, row_bytes)
            take = min(row_bytes - x0, remaining)
            yield b, row, x0, x0 + take
            pos += take
            remaining -= take
        prev_end = b.end


def _label(b: Block) -> str:
    what = b.label or b.state
    if b.state == "allocated":
        return f"{b.address:#x}: {b.size}-byte block, {b.requested} requested ({what})"
    return f"{b.address:#x}: {b.size}-byte {what} block"


def heap_svg(
    snapshot: HeapSnapshot | Sequence[Block],
    *,
    event: Event | None = None,
    width: int = 760,
    rows: int | None = None,
    caption: str = "",
    show_legend: bool = True,
) -> str:
    """Draw a snapshot (or a plain list of blocks) as an SVG heap map."""
    blocks = list(snapshot.blocks if isinstance(snapshot, HeapSnapshot) else snapshot)
    total = sum(b.size for b in blocks) or 1
    if rows is None:
        rows = max(1, min(24, -(-len(blocks) // 32), -(-total // 4096)))
    gaps = sum(1 for a, b in zip(blocks, blocks[1:]) if b.address != a.end)
    row_bytes = max(1, -(-int(total * (1 + GAP_BYTES * gaps)) // rows))
    px = (width - 20) / row_bytes
    top = 22 if caption else 6
    marked = event_addresses(event)
    body: list[str] = []
    outlines: list[str] = []
    labelled: set[int] = set()
    pieces = list(_pieces(blocks, row_bytes))
    piece_of: dict[int, int] = {}  # a block wrapping over rows is drawn in pieces, each keyed
    for i, (b, row, x0, x1) in enumerate(pieces):
        x, y, w = 10 + x0 * px, top + row * (ROW_HEIGHT + ROW_GAP), (x1 - x0) * px
        shape = [rect(x, y, w, ROW_HEIGHT, FILL.get(b.state, PALETTE["dead"]), title=_label(b))]
        first = b.address not in labelled
        last = i + 1 == len(pieces) or pieces[i + 1][0] is not b
        if first and b.header:
            shape.append(rect(x, y, min(w, b.header * px), ROW_HEIGHT, FILL["metadata"], sw=0.3))
        if last and b.footer:
            band = min(w, b.footer * px)
            shape.append(rect(x + w - band, y, band, ROW_HEIGHT, FILL["metadata"], sw=0.3))
        if first and w > 46:
            colour = TEXT_ON.get(b.state, "#000")
            inset = x + 3 + (b.header * px if b.header else 0)
            shape.append(text(inset, y + 13, f"{b.address:#x}", size=9.5, fill=colour))
            shape.append(text(inset, y + 27, f"{b.size} B", size=9.5, fill=colour))
        labelled.add(b.address)
        piece_of[b.address] = n = piece_of.get(b.address, -1) + 1
        body.append(keys.group(keys.piece(keys.block(b.address), n), "".join(shape), b.address, b.end))
        if any(b.address <= a < b.end for a in marked):
            mark = keys.attrs(keys.piece(keys.HIGHLIGHT, len(outlines)))
            outlines.append(rect(x, y - 2, w, ROW_HEIGHT + 4, "none", stroke=PALETTE["highlight"], sw=2.5, extra=mark))
    body.extend(outlines)
    height = top + rows * (ROW_HEIGHT + ROW_GAP)
    if caption:
        body.insert(0, text(10, 15, caption, size=12, weight="bold"))
    if show_legend:
        items = [(FILL["allocated"], "allocated"), (FILL["free"], "free"), (FILL["metadata"], "metadata")]
        if any(b.state == "dead" for b in blocks):
            # padding, page tails, slack, leaked or quarantined bytes: each block's tooltip says which
            items.append((FILL["dead"], "unusable"))
        body.append(legend(items, 12, height + 6))
        height += 18
    summary = f"heap map of {len(blocks)} blocks, {total} bytes"
    return svg(width, height, "".join(body), label=summary)
