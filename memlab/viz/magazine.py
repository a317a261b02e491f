"""The magazine view: each CPU's loaded and previous magazine, the depot, and the slabs below.

A magazine is a row of M slots; a slot holding a round (an object ready to hand out) is solid,
an empty slot hatched. The depot shows its full and empty magazines as two stacks, and two
counters say how often the depot lock was taken and how often the slab layer was reached.
Pure drawing: a :class:`~memlab.allocators.slab_magazine.MagazineSnapshot` in, SVG out.
"""

from __future__ import annotations

from collections.abc import Callable

from ..allocators.slab.magazine import MagazineSnapshot
from ..events import Event, Frame
from .slab import slab_svg
from .style import FILL, PALETTE, rect, svg, text

SLOT = 22
OUT = "out of its slab (in use, or a round in a magazine)"
ROW = 30


def _magazine(x: float, y: float, rounds: tuple[int, ...] | None, m: int, name: str, marked) -> str:
    parts = [text(x, y - 4, name, size=10, fill=PALETTE["gray"])]
    if rounds is None:
        parts.append(rect(x, y, m * SLOT, SLOT, "none", stroke="#BBB", title=f"{name}: no magazine"))
        parts.append(text(x + 4, y + 15, "none", size=10, fill=PALETTE["gray"]))
        return "".join(parts)
    for i in range(m):
        full = i < len(rounds)
        tip = f"round {rounds[i]:#x}" if full else "empty slot"
        parts.append(rect(x + i * SLOT, y, SLOT, SLOT, FILL["allocated" if full else "free"], title=tip))
        if full and rounds[i] == marked:
            parts.append(rect(x + i * SLOT - 1, y - 2, SLOT + 2, SLOT + 4, "none", stroke=PALETTE["highlight"], sw=2.5))
    parts.append(text(x + m * SLOT + 6, y + 15, f"{len(rounds)}/{m}", size=10))
    return "".join(parts)


def magazine_svg(snapshot: MagazineSnapshot, *, event: Event | None = None, width: int = 760) -> str:
    """The CPUs' magazines and the depot (without the slabs; see :func:`magazine_view`)."""
    m = snapshot.rounds
    marked = getattr(event, "address", None)
    busy = getattr(event, "cpu", None)
    body, y = [], 18
    wmag = m * SLOT + 40
    for c, (loaded, previous) in enumerate(snapshot.cpus):
        ink = PALETTE["red"] if c == busy else PALETTE["text"]
        body.append(text(6, y + 15, f"cpu {c}", size=12, weight="bold", fill=ink))
        body.append(_magazine(70, y, loaded, m, "loaded", marked))
        body.append(_magazine(70 + wmag, y, previous, m, "previous", marked))
        y += ROW + 12
    x = 90 + 2 * wmag
    body.append(text(x, 14, "depot (behind a lock)", size=12, weight="bold"))
    for i, (count, label, fill) in enumerate(
        ((snapshot.depot_full, "full", FILL["allocated"]), (snapshot.depot_empty, "empty", FILL["free"]))
    ):
        cx = x + i * 110
        body.append(text(cx, 32, f"{count} {label}", size=11))
        for j in range(min(count, 6)):
            body.append(rect(cx, 40 + j * 9, 70, 7, fill, sw=0.4))
        if count > 6:
            body.append(text(cx, 40 + 6 * 9 + 10, f"+{count - 6} more", size=9))
    y = max(y, 110)
    counters = f"depot lock taken {snapshot.depot_locks}×; slab layer reached {snapshot.slab_calls}×"
    body.append(text(6, y + 4, counters, size=11, weight="bold"))
    label = f"magazines of {len(snapshot.cpus)} CPUs, {m} rounds each, depot {snapshot.depot_full} full"
    return svg(width, y + 14, "".join(body), label=label)


def magazine_view(*, width: int = 760, slabs: bool = True) -> Callable[[Frame], str]:
    """A view for :class:`~memlab.widgets.player.Player`: magazines and depot, then the slabs."""

    def view(frame: Frame) -> str:
        html = magazine_svg(frame.snapshot, event=frame.event, width=width)
        if slabs:
            html += "<br>" + slab_svg(frame.snapshot, event=frame.event, width=width, in_use=OUT)
        return html

    return view
