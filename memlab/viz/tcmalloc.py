"""A view of a thread-caching heap (TCMalloc): the three ends, top to bottom, and the locks.

:func:`tcmalloc_svg` draws a :class:`~memlab.allocators.tcmalloc_info.TCMallocSnapshot` as

* **front end**: one column per thread, one row per size class it has used, a small square per
  cached object and "n / max" (objects held / longest the list may grow);
* **middle end**: per size class, the transfer cache's whole batches and the free objects on
  the central free list's spans;
* **back end**: the page heap as a strip of spans in address order, each as wide as its pages:
  small-object spans solid for the share of objects handed out, large objects solid, free
  spans dashed and empty;

with the lock acquisitions so far, and the mallocs and frees they served, at the top. The
event's thread, size class or span is outlined.
"""

from __future__ import annotations

from ..allocators.tcmalloc.info import Flush, Refill, SpanCarve, SpanReturn, TCMallocSnapshot
from ..events import Event
from . import keys
from .style import FILL, PALETTE, legend, rect, svg, text

ROW = 15
SQUARE = 10
ROWS_SHOWN = 6
HEAD = 34


def _band(y: float, title: str, note: str, width: int) -> str:
    return (
        text(10, y, title, size=12, weight="bold")
        + text(width - 10, y, note, size=10, fill=PALETTE["gray"], anchor="end")
        + f'<line x1="10" y1="{y + 4:.1f}" x2="{width - 10}" y2="{y + 4:.1f}" stroke="#BBB" stroke-width="0.8"/>'
    )


def _marks(event: Event | None) -> tuple[int | None, int | None, int | None]:
    """(thread, object size, address) the event concerns, each None if it names none."""
    thread = getattr(event, "thread", None) if isinstance(event, (Refill, Flush)) else None
    size = getattr(event, "size", None) if isinstance(event, (Refill, Flush, SpanCarve, SpanReturn)) else None
    address = getattr(event, "address", None)
    return thread, size, address if isinstance(address, int) else None


def _squares(x: float, y: float, n: int, room: float, fill: str) -> str:
    fits = max(1, int(room // (SQUARE + 2)))
    shown = n if n <= fits else max(1, fits - 1)
    parts = [rect(x + i * (SQUARE + 2), y - SQUARE, SQUARE, SQUARE, fill, sw=0.4) for i in range(shown)]
    if shown < n:
        parts.append(text(x + shown * (SQUARE + 2) + 1, y, f"+{n - shown}", size=9))
    return "".join(parts)


def _front(snap: TCMallocSnapshot, top: float, width: int, thread: int | None, size: int | None) -> tuple[str, float]:
    body = [_band(top, "Front end: a cache per thread (no locks)", "objects cached / longest allowed", width)]
    if not snap.threads:
        body.append(text(20, top + 22, "no thread has allocated yet", size=10, fill=PALETTE["gray"]))
        return "".join(body), top + 32
    col = (width - 20) / len(snap.threads)
    tallest = 0
    for i, t in enumerate(snap.threads):
        x, y = 10 + i * col, top + 22
        body.append(text(x + 4, y, f"thread {t.thread}", size=11, weight="bold"))
        body.append(text(x + 4, y + 12, f"{t.bytes} of {t.limit} B", size=9, fill=PALETTE["gray"]))
        lists = t.lists[:ROWS_SHOWN]
        for j, (cls_size, count, limit) in enumerate(lists):
            ry = y + 28 + j * ROW
            body.append(text(x + 4, ry, f"{cls_size} B", size=9))
            body.append(_squares(x + 46, ry, count, col - 96, FILL["free"]))
            body.append(text(x + col - 8, ry, f"{count} / {limit}", size=9, anchor="end"))
            if t.thread == thread and cls_size == size:
                body.append(rect(x + 1, ry - 11, col - 4, ROW, "none", stroke=PALETTE["highlight"], sw=2))
        if len(t.lists) > ROWS_SHOWN:
            more = len(t.lists) - ROWS_SHOWN
            body.append(text(x + 4, y + 28 + ROWS_SHOWN * ROW, f"+{more} more classes", size=9))
        tallest = max(tallest, 28 + (min(len(t.lists), ROWS_SHOWN) + (len(t.lists) > ROWS_SHOWN)) * ROW)
        if t.thread == thread:
            body.append(rect(x + 1, y - 12, col - 4, 16, "none", stroke=PALETTE["highlight"], sw=1.5))
    return "".join(body), top + 22 + tallest + 6


def _middle(snap: TCMallocSnapshot, top: float, width: int, size: int | None) -> tuple[str, float]:
    note = "one lock each; objects move in batches"
    body = [_band(top, "Middle end: transfer cache and central free list per size class", note, width)]
    rows = snap.classes[:ROWS_SHOWN]
    if not rows:
        body.append(text(20, top + 22, "no size class in use", size=10, fill=PALETTE["gray"]))
        return "".join(body), top + 32
    half = (width - 90) / 2
    for j, c in enumerate(rows):
        y = top + 22 + j * (ROW + 3)
        body.append(text(14, y, f"{c.size} B", size=10, weight="bold"))
        batches = c.transfer // c.batch if c.batch else 0
        tx = 70
        for b in range(min(batches, 8)):
            body.append(rect(tx + b * 26, y - 10, 22, 12, FILL["free"], sw=0.6, title=f"a batch of {c.batch}"))
            body.append(text(tx + b * 26 + 11, y - 1, str(c.batch), size=8, anchor="middle"))
        label = f"transfer: {batches} batch{'es' if batches != 1 else ''} of {c.batch}"
        body.append(text(tx + min(batches, 8) * 26 + 4, y, label, size=9))
        spans = f"{c.spans} span{'s' if c.spans != 1 else ''}"
        body.append(text(70 + half, y, f"central: {c.central} free objects on {spans}", size=9))
        if c.size == size:
            body.append(rect(10, y - 12, width - 20, ROW + 1, "none", stroke=PALETTE["highlight"], sw=2))
    if len(snap.classes) > ROWS_SHOWN:
        y = top + 22 + ROWS_SHOWN * (ROW + 3)
        body.append(text(14, y, f"+{len(snap.classes) - ROWS_SHOWN} more classes", size=9))
        top += ROW + 3
    return "".join(body), top + 22 + len(rows) * (ROW + 3)


def _back(snap: TCMallocSnapshot, top: float, width: int, address: int | None) -> tuple[str, float]:
    body = [_band(top, "Back end: the page heap of spans", f"{snap.page_size // 1024} KiB pages; one lock", width)]
    pages = sum(s.pages for s in snap.spans)
    if not pages:
        body.append(text(20, top + 22, "no memory from the OS yet", size=10, fill=PALETTE["gray"]))
        return "".join(body), top + 32
    px, x, y, h = (width - 20) / pages, 10.0, top + 14, 30
    below, ends = 0, [float("-inf"), float("-inf")]  # where the last label on each line below ends
    for s in snap.spans:
        w = s.pages * px
        shape: list[str] = []
        if s.kind == "free":
            dash = ' stroke-dasharray="4 3"'
            shape.append(rect(x, y, w, h, "#FFFFFF", title=f"{s.address:#x}: {s.pages} free pages", extra=dash))
            label = f"{s.pages} free"
        else:
            shape.append(rect(x, y, w, h, FILL["free"], title=f"{s.address:#x}: {s.kind} span, {s.pages} pages"))
            used = w * (s.allocated / s.objects if s.objects else 1)
            shape.append(rect(x, y, used, h, FILL["allocated"], sw=0))
            label = f"{s.size} B × {s.objects}" if s.kind == "small" else f"large {s.size // 1024} KiB"
        if w > 6.2 * len(label):
            shape.append(
                f'<text x="{x + 4:.1f}" y="{y + 19:.1f}" font-size="9" fill="{PALETTE["text"]}" stroke="#FFFFFF" '
                f'stroke-width="3" paint-order="stroke">{label}</text>'
            )
        else:  # too narrow: the label goes below, on the first of two lines with room for it
            half = 2.8 * len(label)
            cx = min(max(x + w / 2, 10 + half), width - 10 - half)  # keep the label inside the picture
            lines = [i for i in (0, 1) if ends[i] < cx - half - 4]
            if lines:
                ends[lines[0]] = cx + half
                ly = y + h + 12 + 12 * lines[0]
                shape.append(
                    f'<line x1="{x + w / 2:.1f}" y1="{y + h:.1f}" x2="{x + w / 2:.1f}" y2="{ly - 9:.1f}" '
                    'stroke="#999" stroke-width="0.6"/>'
                )
                shape.append(text(cx, ly, label, size=9, anchor="middle"))
                below = max(below, lines[0] + 1)
        end = s.address + s.pages * snap.page_size
        body.append(keys.group(keys.span(s.address), "".join(shape), s.address, end))
        if address is not None and s.address <= address < end:
            mark = keys.attrs(keys.HIGHLIGHT)
            body.append(rect(x - 1, y - 2, w + 2, h + 4, "none", stroke=PALETTE["highlight"], sw=2.5, extra=mark))
        x += w
    return "".join(body), y + h + 8 + 12 * below


def tcmalloc_svg(snapshot: TCMallocSnapshot, *, event: Event | None = None, width: int = 760) -> str:
    """Draw the thread caches, the middle end and the page heap of a TCMalloc snapshot."""
    if not isinstance(snapshot, TCMallocSnapshot):
        raise TypeError(f"tcmalloc_svg draws a TCMallocSnapshot, not {type(snapshot).__name__}")
    thread, size, address = _marks(event)
    locks = dict(snapshot.locks)
    total = sum(locks.values())
    shown = ", ".join(f"{k} {v}" for k, v in locks.items())
    ops = snapshot.stats.allocs + snapshot.stats.frees
    head = text(10, 18, f"locks taken: {total} for {ops} mallocs and frees", size=13, weight="bold")
    head += text(width - 10, 18, f"({shown})", size=10, fill=PALETTE["gray"], anchor="end")
    front, y = _front(snapshot, HEAD + 8, width, thread, size)
    middle, y = _middle(snapshot, y + 14, width, size)
    back, y = _back(snapshot, y + 14, width, address)
    items = [(FILL["allocated"], "handed out"), (FILL["free"], "free object / free part of a span")]
    foot = legend(items, 10, y + 16)
    label = f"TCMalloc heap: {len(snapshot.threads)} thread caches, {total} locks taken"
    return svg(width, y + 24, head + front + middle + back + foot, label=label)


def tcmalloc_view(*, width: int = 760):
    """A view for :class:`~memlab.widgets.player.Player`: ``Player(rec, tcmalloc_view())``."""

    def view(frame) -> str:
        return tcmalloc_svg(frame.snapshot, event=frame.event, width=width)

    return view
