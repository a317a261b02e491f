"""The stack drawn as a column: base at the bottom, the stack pointer on top, frames bracketed.

:func:`stack_svg` draws a :class:`~memlab.allocators.stack.StackSnapshot` the way textbooks draw
a call stack: one row per block, growing upwards, each frame record showing the saved frame
pointer it holds, a bracket with the frame's name beside the rows that belong to it, and an arrow
for ``sp``. Heights grow with the block size but stay readable for tiny blocks. Pure drawing.
"""

from __future__ import annotations

from ..allocators.stack import StackSnapshot
from ..events import Event
from . import keys
from .heapmap import event_addresses
from .hexdump import hexdump_html
from .style import FILL, PALETTE, TEXT_ON, legend, rect, svg, text

LEFT = 96  # room for addresses and the sp arrow
COLUMN = 190
UNUSED = 34  # the unused part of the stack is drawn at a fixed height


def _height(size: int, state: str) -> float:
    if state == "dead":
        return 9
    return max(20.0, min(58.0, 14 + size / 3))


def _saved(snapshot: StackSnapshot, address: int) -> str:
    try:
        return f"{int.from_bytes(snapshot.read(address, 8), 'little'):#x}"
    except ValueError:
        return "?"


def stack_svg(snapshot: StackSnapshot, *, event: Event | None = None, width: int = 410) -> str:
    """Draw the stack bottom-up with frames and the stack pointer."""
    blocks = list(snapshot.blocks)
    rows = [(b, UNUSED if b.label == "unused stack" else _height(b.size, b.state)) for b in blocks]
    top, bottom = 16, 16 + sum(h for _, h in rows)
    marked = event_addresses(event)
    body, y, ys = [], bottom, {}
    for b, h in rows:
        y -= h
        ys[b.address] = (y, y + h)
        fill = FILL.get(b.state, FILL["dead"])
        shape = [rect(LEFT, y, COLUMN, h, fill, title=f"{b.address:#x}: {b.size} bytes, {b.label or b.state}")]
        ink = TEXT_ON.get(b.state, PALETTE["text"])
        if h >= 18:
            words = {
                "metadata": f"saved fp = {_saved(snapshot, b.address)}",
                "allocated": f"local, {b.size} B",
                "free": f"unused, {b.size} B",
            }.get(b.state, "")
            if b.state == "metadata":  # a plain label box keeps the words legible on the dotted fill
                shape.append(rect(LEFT + 4, y + h / 2 - 8, 7 * len(words) + 8, 16, PALETTE["white"], sw=0))
            shape.append(text(LEFT + 8, y + h / 2 + 4, words, size=11, fill=ink))
            shape.append(text(LEFT - 6, y + h / 2 + 4, f"{b.address:#x}", size=9.5, anchor="end", fill=PALETTE["gray"]))
        body.append(keys.group(keys.block(b.address), "".join(shape), b.address, b.end))
        if any(b.address <= a < b.end for a in marked):
            body.append(
                rect(LEFT, y, COLUMN, h, "none", stroke=PALETTE["highlight"], sw=2.5, extra=keys.attrs(keys.HIGHLIGHT))
            )
    frames = list(snapshot.frames)
    for i, frame in enumerate(frames):
        if frame.address not in ys:
            continue
        end = frames[i + 1].address if i + 1 < len(frames) else snapshot.sp
        inside = [ys[a] for a in ys if frame.address <= a < max(end, frame.address + 1)]
        y0, y1 = min(lo for lo, _ in inside), max(hi for _, hi in inside)
        x = LEFT + COLUMN + 10 + 8 * (i % 2)
        bracket = f"M{x:.1f} {y1 - 1:.1f}h6V{y0 + 1:.1f}h-6"
        body.append(f'<path d="{bracket}" fill="none" stroke="{PALETTE["red"]}" stroke-width="1.6"/>')
        body.append(text(x + 12, (y0 + y1) / 2 + 4, frame.name, size=11, fill=PALETTE["red"], weight="bold"))
    sp_y = ys[snapshot.sp][1] if snapshot.sp in ys else top  # where the unused part begins
    body.append(text(8, sp_y + 4, "sp →", size=12, weight="bold", fill=PALETTE["red"]))
    body.append(text(LEFT + COLUMN / 2, bottom + 16, "base (the stack grows up)", size=10, anchor="middle"))
    items = [(FILL["allocated"], "local"), (FILL["metadata"], "frame record"), (FILL["free"], "unused")]
    body.append(legend(items, 10, bottom + 36, size=10))
    return svg(width, bottom + 46, "".join(body), label=f"stack of {len(blocks)} blocks, sp at {snapshot.sp:#x}")


def stack_with_bytes(
    snapshot: StackSnapshot, *, previous: StackSnapshot | None = None, event: Event | None = None
) -> str:
    """The stack column beside a hexdump of its bytes (changed bytes boxed), as one HTML string."""
    column = stack_svg(snapshot, event=event)
    dump = hexdump_html(snapshot, previous=previous)
    return (
        f'<div style="display:flex;gap:18px;align-items:flex-start;flex-wrap:wrap">'
        f'<div style="flex:none">{column}</div><div style="flex:none">{dump}</div></div>'
    )
