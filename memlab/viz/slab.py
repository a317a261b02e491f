"""The slab view: caches, their slabs in list order, and the buffers of each slab.

One band per cache (name, object size, objects per slab, constructor and destructor counts),
then one bar per slab in the order of the cache's list: full slabs first, then partial, then
free, as Bonwick sorts them. Each bar is the slab's bytes to scale: the colour offset at the
start (cross-hatched, labelled ``+N``), the buffers (solid when in use, hatched when free), the
slack, and the on-slab slab structure (dotted) at the end. The buffer or slab the event touched
is outlined. Pure drawing: a :class:`~memlab.allocators.slab_info.SlabSnapshot` in, SVG out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from html import escape

from ..allocators.slab.geometry import SLAB_STRUCT
from ..allocators.slab.info import CacheView, SlabSnapshot, SlabView, slabinfo_text
from ..allocators.slab.info import SlabInfo as _Row
from ..events import Event, Frame
from . import keys
from .style import FILL, PALETTE, legend, rect, svg, text

LEFT = 128
ROW = 20
GAP = 6
HEAD = 34
SECTION_INK = {"full": PALETTE["allocated"], "partial": PALETTE["red"], "free": PALETTE["green"]}


def _segments(cache: CacheView, slab: SlabView) -> list[tuple[int, int, str, str]]:
    """(offset, bytes, state, label) runs of a slab; neighbouring buffers in one state are merged."""
    out: list[tuple[int, int, str, str]] = []
    if slab.color:
        out.append((0, slab.color, "dead", f"colour offset +{slab.color}"))
    start = slab.base - slab.address
    for i, mark in enumerate(slab.buffers):
        state = "allocated" if mark == "#" else "free"
        at = start + i * cache.bufsize
        if out and out[-1][2] == state and out[-1][0] + out[-1][1] == at:
            o, n, s, lab = out[-1]
            out[-1] = (o, n + cache.bufsize, s, lab)
        else:
            out.append((at, cache.bufsize, state, "in use" if state == "allocated" else "free"))
    end = start + len(slab.buffers) * cache.bufsize
    total = cache.slab_bytes
    struct = total - SLAB_STRUCT if cache.on_slab else total
    if struct > end:
        out.append((end, struct - end, "dead", "slack"))
    if cache.on_slab:
        out.append((struct, SLAB_STRUCT, "metadata", "slab structure"))
    return out


def _touched(event: Event | None) -> int | None:
    address = getattr(event, "address", None)
    return address if isinstance(address, int) else None


def _slab_row(cache, slab, x0, y, w, marked, body, outlines) -> None:
    total = cache.slab_bytes
    px = w / total
    for off, n, state, label in _segments(cache, slab):
        body.append(rect(x0 + off * px, y, n * px, ROW, FILL[state], sw=0.3, title=f"{label}: {n} bytes"))
    step = cache.bufsize * px
    if step >= 5:  # buffer boundaries, where they are wide enough to see
        first = x0 + (slab.base - slab.address) * px
        ticks = "".join(f"M{first + i * step:.1f} {y}v{ROW}" for i in range(1, len(slab.buffers)))
        body.append(f'<path d="{ticks}" stroke="#FFFFFF" stroke-width="0.8" opacity="0.8"/>')
    body.append(rect(x0, y, w, ROW, "none", title=f"slab {slab.address:#x}"))
    if marked is None:
        return
    mark = keys.attrs(keys.piece(keys.HIGHLIGHT, len(outlines)))
    if marked in (slab.address, slab.base):
        outlines.append(rect(x0 - 2, y - 2, w + 4, ROW + 4, "none", stroke=PALETTE["highlight"], sw=2.5, extra=mark))
    elif slab.address <= marked < slab.address + total:
        i = (marked - slab.base) // cache.bufsize
        if 0 <= i < len(slab.buffers):
            bx = x0 + (slab.base - slab.address + i * cache.bufsize) * px
            bw = max(cache.bufsize * px, 3) + 2
            outlines.append(rect(bx - 1, y - 3, bw, ROW + 6, "none", stroke=PALETTE["highlight"], sw=2, extra=mark))


def slab_svg(
    snapshot: SlabSnapshot,
    *,
    event: Event | None = None,
    width: int = 760,
    caches: Iterable[str] | None = None,
    max_slabs: int = 8,
    in_use: str = "in use",
) -> str:
    """Draw the caches of a slab snapshot (those with slabs, or the ones named in ``caches``).

    ``in_use`` names the solid buffers in the legend (a magazine layer holds some of them).
    """
    wanted = None if caches is None else set(caches)
    if wanted is None:  # the caches holding slabs; a lone cache always
        shown = [c for c in snapshot.caches if c.slabs or len(snapshot.caches) == 1]
    else:
        shown = [c for c in snapshot.caches if c.name in wanted]
    marked = _touched(event)
    body, outlines, y = [], [], 6
    w = width - LEFT - 12
    for cache in shown:
        body.append(text(6, y + 13, cache.name, size=12, weight="bold"))
        where = "on-slab" if cache.on_slab else "off-slab"
        colours = f"{cache.colors} colour{'s' if cache.colors != 1 else ''}"
        info = (
            f"{cache.objsize}-byte objects in {cache.bufsize}-byte buffers, {cache.objperslab} per "
            f"{cache.pagesperslab}-page slab, bookkeeping {where}, {colours}"
        )
        body.append(text(LEFT, y + 12, info, size=10, fill=PALETTE["gray"]))
        ran = f"constructor ran {cache.ctor_calls}×, destructor {cache.dtor_calls}×"
        body.append(text(LEFT, y + 26, ran, size=10.5, weight="bold"))
        y += HEAD
        if not cache.slabs:
            body.append(text(LEFT, y + 12, "no slabs", size=10, fill=PALETTE["gray"]))
            y += ROW + GAP
        for slab in cache.slabs[:max_slabs]:
            ink = SECTION_INK[slab.section]
            row = [text(14, y + 14, f"{slab.section}", size=11, fill=ink, weight="bold")]
            row.append(text(62, y + 14, f"{slab.inuse}/{len(slab.buffers)}", size=10))
            if slab.color:  # the colour offset, also drawn to scale at the start of the bar
                row.append(text(LEFT - 6, y + 14, f"+{slab.color}", size=9, fill=PALETTE["gray"], anchor="end"))
            _slab_row(cache, slab, LEFT, y, w, marked, row, outlines)
            body.append(
                keys.group(keys.slab(slab.address), "".join(row), slab.address, slab.address + cache.slab_bytes)
            )
            y += ROW + GAP + 4
        if len(cache.slabs) > max_slabs:
            body.append(text(LEFT, y + 10, f"... {len(cache.slabs) - max_slabs} more slabs", size=10))
            y += ROW
        y += 6
    if not shown:
        body.append(text(6, y + 14, "no slabs yet", size=11, fill=PALETTE["gray"]))
        y += ROW + GAP
    body.extend(outlines)
    constructed = any(c.ctor_calls for c in shown)
    items = [
        (FILL["allocated"], in_use),
        (FILL["free"], "free, still constructed" if constructed else "free"),
        (FILL["dead"], "colour offset / slack"),
        (FILL["metadata"], "slab structure"),
    ]
    body.append(legend(items, 6, y + 12))
    label = f"slab view of {len(shown)} caches, {sum(len(c.slabs) for c in shown)} slabs"
    return svg(width, y + 20, "".join(body), label=label)


def slab_view(
    *, width: int = 760, caches: Iterable[str] | None = None, info: bool = True, max_slabs: int = 8
) -> Callable[[Frame], str]:
    """A view for :class:`~memlab.widgets.player.Player`: the slabs, and slabinfo rows under them."""
    names = None if caches is None else tuple(caches)

    def view(frame: Frame) -> str:
        snap = frame.snapshot
        html = slab_svg(snap, event=frame.event, width=width, caches=names, max_slabs=max_slabs)
        if info:
            rows = [_Row.of(c) for c in snap.caches if (c.name in names if names else c.slabs or len(snap.caches) == 1)]
            html += f"<pre style='font-size:11px'>{escape(slabinfo_text(rows))}</pre>"
        return html

    return view
