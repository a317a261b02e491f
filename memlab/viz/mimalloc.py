"""The mimalloc view: segments cut into spans, each thread's page queues, and pages with their three free lists.

:func:`mimalloc_svg` draws a :class:`~memlab.allocators.mimalloc.MiMallocSnapshot` in three bands:

* **segments**: one strip per segment, one cell per 64 KiB slice, spans drawn as runs: the
  descriptors (dotted), pages (labelled with their block size and owner thread) and free spans
  (white, dashed). Each thread owns its segments.
* **heaps**: per thread, its page queues by bin (first page first), its *full* queue, and how many
  blocks wait on its delayed free list.
* **pages**: the page the event touched (else the most recently touched ones), each as a grid of
  its blocks, every block marked by where it is: in use (solid), on ``free`` (hatched, ``f``), on
  ``local_free`` (green, ``L``), on ``thread_free`` (purple, ``T``), on the owner's delayed list
  (orange, ``D``), or beyond ``capacity``, on no list yet (white, dashed). Beside it, each list
  from its head.

Letters and patterns make every state readable without colour. The page, block or segment the
event touched is outlined. Each block of a page carries its stable key (:func:`memlab.viz.keys.block`),
so the player glides it between frames and predict-mode questions can ask for it by a click.
Pure drawing: a snapshot in, SVG out.
"""

from __future__ import annotations

from collections.abc import Callable

from ..allocators.mimalloc import MiMallocSnapshot, PageView
from ..events import Event, Frame
from . import keys
from .style import FILL, PALETTE, legend, rect, svg, text

LEFT = 96
CELL = 15
SEG_H = 24
MAX_SEGMENTS = 4
MAX_PAGES = 2
MAX_ROWS = 4
LISTS = (
    ("free", FILL["free"], "f", PALETTE["text"]),
    ("local_free", PALETTE["green"], "L", "#FFFFFF"),
    ("thread_free", PALETTE["purple"], "T", "#FFFFFF"),
    ("delayed", PALETTE["red"], "D", "#FFFFFF"),
)


def _band(y: float, title: str, note: str, width: int) -> str:
    return (
        text(8, y, title, size=12, weight="bold")
        + text(width - 8, y, note, size=10, fill=PALETTE["gray"], anchor="end")
        + f'<line x1="8" y1="{y + 4:.1f}" x2="{width - 8}" y2="{y + 4:.1f}" stroke="#BBB" stroke-width="0.8"/>'
    )


def _touched(snap: MiMallocSnapshot, event: Event | None) -> tuple[int | None, int | None]:
    """(page address, block address) the event concerns."""
    if event is None:
        return None, None
    page = getattr(event, "page", None)
    block = getattr(event, "address", None)
    if isinstance(page, int):
        return page, None
    if isinstance(block, int):
        for p in snap.pages:
            if p.address <= block < p.address + p.slices * snap.slice_size:
                return p.address, block
        return block, None  # a segment
    return None, None


def _segments(snap: MiMallocSnapshot, top: float, width: int, page_mark) -> tuple[str, float]:
    note = f"{snap.segment_size // 1024} KiB segments of {snap.slice_size // 1024} KiB slices"
    body = [_band(top, "Segments: slices grouped in spans (descriptors, pages, free spans)", note, width)]
    if not snap.segments:
        body.append(text(20, top + 24, "no segment yet", size=10, fill=PALETTE["gray"]))
        return "".join(body), top + 34
    pages = {p.address: p for p in snap.pages}
    y = top + 12
    for seg in snap.segments[:MAX_SEGMENTS]:
        slices = sum(count for _, count, _ in seg.spans)
        cell = (width - LEFT - 10) / max(slices, 1)
        kind = " (huge)" if seg.kind == "huge" else ""
        body.append(text(8, y + 11, f"thread {seg.thread}{kind}", size=10, weight="bold"))
        body.append(text(8, y + 22, f"{seg.address:#x}", size=8.5, fill=PALETTE["gray"]))
        for start, count, what in seg.spans:
            x, w = LEFT + start * cell, count * cell
            address = seg.address + start * snap.slice_size
            if what == "info":
                body.append(rect(x, y, w, SEG_H, FILL["metadata"], title="segment and page descriptors"))
            elif what == "free":
                body.append(
                    rect(x, y, w, SEG_H, "#FFFFFF", title=f"free span: {count} slices", extra=' stroke-dasharray="3 2"')
                )
            else:
                p = pages.get(address)
                share = p.live / p.reserved if p and p.reserved else 0
                title = f"page {address:#x}: {p.block_size}-byte blocks, {p.live} in use" if p else "page"
                body.append(rect(x, y, w, SEG_H, FILL["free"], title=title))
                body.append(rect(x, y + SEG_H * (1 - share), w, SEG_H * share, FILL["allocated"], sw=0))
                if p and w > 26:
                    body.append(text(x + w / 2, y + 15, f"{p.block_size}", size=8, anchor="middle"))
            if page_mark == address or (page_mark is not None and seg.address == page_mark):
                body.append(rect(x - 1.5, y - 3, w + 3, SEG_H + 6, "none", stroke=PALETTE["highlight"], sw=2.5))
        y += SEG_H + 10
    if len(snap.segments) > MAX_SEGMENTS:
        body.append(text(LEFT, y + 6, f"+{len(snap.segments) - MAX_SEGMENTS} more segments", size=10))
        y += 14
    return "".join(body), y


def _heaps(snap: MiMallocSnapshot, top: float, width: int, page_mark) -> tuple[str, float]:
    body = [_band(top, "Heaps: one per thread, a queue of pages per size", "allocation uses the first page", width)]
    y = top + 20
    if not snap.heaps:
        body.append(text(20, y, "no thread has allocated yet", size=10, fill=PALETTE["gray"]))
        return "".join(body), y + 10
    for heap in snap.heaps:
        parts = []
        for _, size, pages in heap.queues[:6]:
            names = ", ".join(f"{a:#x}" for a in pages[:2]) + (f" +{len(pages) - 2}" if len(pages) > 2 else "")
            parts.append(f"{size} B: {names}")
        more = f"  +{len(heap.queues) - 6} sizes" if len(heap.queues) > 6 else ""
        body.append(text(8, y, f"thread {heap.thread}", size=11, weight="bold"))
        line = "; ".join(parts) + more if parts else "no page with free blocks"
        body.append(text(LEFT, y, line[:118], size=9.5))
        full = f"full queue: {len(heap.full)} page(s)" if heap.full else "full queue: empty"
        delayed = f"delayed free list: {len(heap.delayed)} block(s)"
        body.append(text(LEFT, y + 13, f"{full} · {delayed}", size=9.5, fill=PALETTE["gray"]))
        y += 30
    return "".join(body), y


def _chosen(snap: MiMallocSnapshot, page_mark) -> list[PageView]:
    pages = {p.address: p for p in snap.pages}
    out = [pages[page_mark]] if page_mark in pages else []
    busy = sorted(snap.pages, key=lambda p: (len(p.thread_free) + len(p.delayed) + len(p.local_free), p.live))
    for p in reversed(busy):
        if len(out) >= MAX_PAGES:
            break
        if p not in out and p.reserved > 1:
            out.append(p)
    return out


def _page(snap: MiMallocSnapshot, p: PageView, top: float, width: int, block_mark) -> tuple[str, float]:
    title = f"The page at {p.address:#x}: {p.block_size}-byte blocks of thread {p.thread}"
    note = f"used {p.used} · capacity {p.capacity} of {p.reserved}" + (" · in the full queue" if p.in_full else "")
    body = [_band(top, title, note, width)]
    where = {}
    for name, _, _, _ in LISTS:
        for n, block in enumerate(getattr(p, name)):
            where[block] = (name, n + 1)
    per_row = int((width - 16) // CELL)
    shown = min(p.reserved, per_row * MAX_ROWS)
    y = top + 12
    style = {name: (fill, letter, ink) for name, fill, letter, ink in LISTS}
    for i in range(shown):
        address = p.start + i * p.block_size
        x, by = 10 + (i % per_row) * CELL, y + (i // per_row) * CELL
        if i >= p.capacity:
            extra = ' stroke-dasharray="2 2"'
            shape = rect(x, by, CELL - 2, CELL - 2, "#FFFFFF", title=f"{address:#x}: on no list yet", extra=extra)
        elif address in where:
            name, n = where[address]
            fill, letter, ink = style[name]
            shape = rect(x, by, CELL - 2, CELL - 2, fill, title=f"{address:#x}: {name} #{n}")
            shape += text(x + (CELL - 2) / 2, by + 10, letter, size=8, anchor="middle", fill=ink)
        else:
            shape = rect(x, by, CELL - 2, CELL - 2, FILL["allocated"], title=f"{address:#x}: in use")
        body.append(f'<g data-name="block {address:#x}"{keys.attrs(keys.block(address))}>{shape}</g>')
        if block_mark is not None and address <= block_mark < address + p.block_size:
            body.append(rect(x - 2, by - 2, CELL + 2, CELL + 2, "none", stroke=PALETTE["highlight"], sw=2.5))
    y += -(-shown // per_row) * CELL
    if shown < p.reserved:
        body.append(text(10, y + 9, f"+{p.reserved - shown} more blocks", size=9))
        y += 12
    for name, fill, letter, ink in LISTS:
        blocks = getattr(p, name)
        if name == "delayed" and not blocks:
            continue
        chain = " → ".join(f"{a:#x}" for a in blocks[:4]) + (" → ..." if len(blocks) > 4 else "")
        label = {"delayed": "owner's delayed"}.get(name, name)
        body.append(rect(10, y + 4, 12, 12, fill))
        body.append(text(16, y + 14, letter, size=8, anchor="middle", fill=ink))
        body.append(text(28, y + 14, f"{label} ({len(blocks)}): {chain or 'empty'}", size=9.5))
        y += 16
    return "".join(body), y + 4


def mimalloc_svg(snapshot: MiMallocSnapshot, *, event: Event | None = None, width: int = 760) -> str:
    """Draw the segments, heaps and pages (with their three free lists) of a mimalloc snapshot."""
    if not isinstance(snapshot, MiMallocSnapshot):
        raise TypeError(f"mimalloc_svg draws a MiMallocSnapshot, not {type(snapshot).__name__}")
    page_mark, block_mark = _touched(snapshot, event)
    live = sum(p.live for p in snapshot.pages)
    head = text(
        8, 18, f"mimalloc: {len(snapshot.heaps)} thread heap(s), {len(snapshot.pages)} page(s)", size=13, weight="bold"
    )
    head += text(width - 8, 18, f"{live} blocks in use", size=10, fill=PALETTE["gray"], anchor="end")
    segs, y = _segments(snapshot, 40, width, page_mark)
    heaps, y = _heaps(snapshot, y + 14, width, page_mark)
    pages = ""
    for p in _chosen(snapshot, page_mark):
        drawn, y = _page(snapshot, p, y + 16, width, block_mark)
        pages += drawn
    items = [
        (FILL["allocated"], "in use"),
        (FILL["metadata"], "descriptors"),
        ("#FFFFFF", "free span / on no list yet"),
    ]
    foot = legend(items, 8, y + 16, size=10)
    label = f"mimalloc: {len(snapshot.segments)} segments, {len(snapshot.pages)} pages, {live} blocks in use"
    return svg(width, y + 26, head + segs + heaps + pages + foot, label=label)


def mimalloc_view(*, width: int = 760) -> Callable[[Frame], str]:
    """A view for :class:`~memlab.widgets.player.Player`: ``Player(rec, mimalloc_view())``."""

    def view(frame: Frame) -> str:
        return mimalloc_svg(frame.snapshot, event=frame.event, width=width)

    return view
