"""The pymalloc view: arenas filling with pools, ``usedpools``, and one pool's blocks and free list.

:func:`pymalloc_svg` draws a :class:`~memlab.allocators.pymalloc.PyMallocSnapshot` in three bands:

* **arenas**, in ``usable_arenas`` order first (fewest free pools first; the next pool comes from
  the first), then the full ones: one cell per pool, as many as the arena holds. A pool in use
  is filled to the share of its blocks in use and labelled with its block size; a full pool is
  solid; an empty pool (on the arena's ``freepools``) is hatched and marked ``e``; a pool not
  carved yet is white with a dashed edge. The room lost to arena alignment is cross-hatched.
* **usedpools**: per size class with partly used pools, the pools in list order (head first:
  the next request of that size takes the head's first free block).
* **one pool**, the one the event touched (else the head of the last class that has one): its
  header, then one cell per block: in use (solid), on the free list (hatched, numbered in list
  order from ``freeblock``), or never used yet (white, dashed).

The arena, pool or block the event touched is outlined. Colours never carry meaning alone: each
state has its own pattern, and pools carry labels. Every pool cell carries its stable key
(:func:`memlab.viz.keys.pool`) and every block of the pool band its own (:func:`~memlab.viz.keys.block`),
so the player glides them between frames and predict-mode questions can ask for them by a click.
Pure drawing: a snapshot in, SVG out.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from ..allocators.pymalloc import ArenaView, PoolView, PyMallocSnapshot
from ..events import Event, Frame
from . import keys
from .style import FILL, PALETTE, legend, rect, svg, text

LEFT = 92
CELL_H = 26
BLOCK = 18
MAX_ARENAS = 5
MAX_CLASSES = 7
MAX_BLOCK_ROWS = 6


def _touched(snap: PyMallocSnapshot, event: Event | None) -> tuple[int | None, int | None, int | None]:
    """(arena index, pool address, block address) the event concerns, each None if none."""
    if event is None:
        return None, None, None
    pool = getattr(event, "pool", None)
    arena = getattr(event, "arena", None)
    if arena is None and type(event).__name__.startswith("Arena"):
        arena = getattr(event, "index", None)
    block = getattr(event, "address", None) if pool is None and arena is None else None
    if isinstance(block, int):
        hit = [p for p in snap.pools if p.address <= block < p.address + snap.pool_size]
        pool = hit[0].address if hit else None
    return arena, pool, block


def _keyed(key: str, name: str, body: str) -> str:
    """One pool or block, marked with its stable key and a name to say in predict-mode feedback."""
    return f'<g data-name="{escape(name)}"{keys.attrs(key)}>{body}</g>'


def _band(y: float, title: str, note: str, width: int) -> str:
    return (
        text(8, y, title, size=12, weight="bold")
        + text(width - 8, y, note, size=10, fill=PALETTE["gray"], anchor="end")
        + f'<line x1="8" y1="{y + 4:.1f}" x2="{width - 8}" y2="{y + 4:.1f}" stroke="#BBB" stroke-width="0.8"/>'
    )


def _arena_row(snap, arena: ArenaView, pools: dict[int, PoolView], x0, y, cell, marked, rank) -> tuple[str, str]:
    body, outline = [], ""
    per_arena = snap.arena_size // snap.pool_size
    lost = per_arena - arena.ntotalpools
    label = f"arena {arena.index}"
    body.append(text(8, y + 12, label, size=11, weight="bold"))
    body.append(text(8, y + 24, rank, size=9, fill=PALETTE["gray"]))
    x = x0
    if lost:
        body.append(rect(x, y, cell * lost, CELL_H, FILL["dead"], title="lost to arena alignment"))
        x += cell * lost
    empty = set(arena.freepools)
    for i in range(arena.ntotalpools):
        address = arena.first_pool + i * snap.pool_size
        pool = pools.get(address)
        shape = []
        if i >= arena.carved:
            title = f"{address:#x}: not carved yet"
            shape.append(rect(x, y, cell, CELL_H, "#FFFFFF", title=title, extra=' stroke-dasharray="3 2"'))
        elif pool is None or address in empty or pool.count == 0:
            shape.append(rect(x, y, cell, CELL_H, FILL["free"], title=f"{address:#x}: empty pool, on freepools"))
            if cell >= 8:
                shape.append(text(x + cell / 2, y + 17, "e", size=9, anchor="middle"))
        else:
            share = pool.count / pool.capacity
            title = f"{address:#x}: {pool.size}-byte blocks, {pool.count} of {pool.capacity} in use"
            shape.append(rect(x, y, cell, CELL_H, FILL["free"], title=title))
            shape.append(rect(x, y + CELL_H * (1 - share), cell, CELL_H * share, FILL["allocated"], sw=0))
            if cell >= 16:
                ink = "#FFFFFF" if share > 0.55 else PALETTE["text"]
                shape.append(text(x + cell / 2, y + 16, str(pool.size), size=8, anchor="middle", fill=ink))
        body.append(_keyed(keys.pool(address), f"pool {address:#x}", "".join(shape)))
        if marked == address:
            outline = rect(x - 1.5, y - 3, cell + 3, CELL_H + 6, "none", stroke=PALETTE["highlight"], sw=2.5)
        x += cell
    return "".join(body), outline


def _arenas(snap: PyMallocSnapshot, top: float, width: int, arena_mark, pool_mark) -> tuple[str, float]:
    per_arena = snap.arena_size // snap.pool_size
    note = f"{snap.arena_size // 1024} KiB arenas of {per_arena} pools of {snap.pool_size // 1024} KiB"
    body = [_band(top, "Arenas: usable_arenas first (fewest free pools first), then full ones", note, width)]
    if not snap.arenas:
        body.append(text(20, top + 24, "no arena yet: the first small request maps one", size=10, fill=PALETTE["gray"]))
        return "".join(body), top + 34
    pools = {p.address: p for p in snap.pools}
    by_index = {a.index: a for a in snap.arenas}
    order = [by_index[i] for i in snap.usable_arenas if i in by_index]
    order += [a for a in snap.arenas if a.index not in snap.usable_arenas]
    cell = (width - LEFT - 10) / per_arena
    y, outlines = top + 12, []
    for arena in order[:MAX_ARENAS]:
        rank = f"{arena.nfreepools} free pools" if arena.nfreepools else "full"
        row, outline = _arena_row(snap, arena, pools, LEFT, y, cell, pool_mark, rank)
        body.append(row)
        outlines.append(outline)
        if arena_mark == arena.index:
            box = rect(LEFT - 3, y - 4, width - LEFT - 4, CELL_H + 8, "none", stroke=PALETTE["highlight"], sw=2)
            outlines.append(box)
        y += CELL_H + 10
    if len(order) > MAX_ARENAS:
        body.append(text(LEFT, y + 8, f"+{len(order) - MAX_ARENAS} more arenas", size=10))
        y += 14
    return "".join(body + outlines), y


def _usedpools(snap: PyMallocSnapshot, top: float, width: int, pool_mark) -> tuple[str, float]:
    body = [_band(top, "usedpools: partly used pools per size class, head first", "a request takes the head", width)]
    pools = {p.address: p for p in snap.pools}
    rows = [(i, lst) for i, lst in enumerate(snap.usedpools) if lst]
    y = top + 20
    if not rows:
        body.append(text(20, y + 2, "no partly used pool", size=10, fill=PALETTE["gray"]))
        return "".join(body), y + 12
    for i, lst in rows[:MAX_CLASSES]:
        size = (i + 1) * snap.alignment
        body.append(text(14, y + 2, f"[{i}] {size} B", size=10, weight="bold"))
        x, drawn = LEFT, 0
        for address in lst:
            p = pools[address]
            label = f"{address:#x}  {p.count}/{p.capacity}"
            w = 6 * len(label) + 10
            if x + w > width - 70 and drawn:
                break
            if drawn:
                body.append(text(x + 3, y + 1, "→", size=10))
                x += 16
            stroke, sw = (PALETTE["highlight"], 2.5) if address == pool_mark else ("#333", 0.6)
            entry = rect(x, y - 10, w, 15, FILL["free"], stroke=stroke, sw=sw, title=f"pool {address:#x}")
            entry += text(x + 5, y + 1, label, size=9)
            body.append(f"<g{keys.attrs(keys.piece(keys.pool(address), 1))}>{entry}</g>")  # glides along the list
            x, drawn = x + w, drawn + 1
        if len(lst) > drawn:
            body.append(text(x + 6, y + 1, f"→ +{len(lst) - drawn} more", size=9))
        y += 20
    if len(rows) > MAX_CLASSES:
        body.append(text(14, y + 2, f"+{len(rows) - MAX_CLASSES} more size classes", size=9))
        y += 16
    return "".join(body), y


def _focus(snap: PyMallocSnapshot, pool_mark, block_mark) -> PoolView | None:
    pools = {p.address: p for p in snap.pools}
    if pool_mark in pools and pools[pool_mark].count:
        return pools[pool_mark]
    heads = [lst[0] for lst in snap.usedpools if lst]
    if heads:
        return pools[heads[-1]]
    used = [p for p in snap.pools if p.count]
    return used[-1] if used else None


def _pool(snap: PyMallocSnapshot, pool: PoolView | None, top: float, width: int, block_mark) -> tuple[str, float]:
    if pool is None:
        body = [_band(top, "A pool", "", width)]
        body.append(text(20, top + 24, "no pool in use", size=10, fill=PALETTE["gray"]))
        return "".join(body), top + 34
    title = f"The pool at {pool.address:#x}: {pool.size}-byte blocks, {pool.count} of {pool.capacity} in use"
    note = f"freeblock list: {len(pool.free)} · untouched: {pool.untouched}"
    body = [_band(top, title, note, width)]
    order = {a: n + 1 for n, a in enumerate(pool.free)}
    first_untouched = pool.capacity - pool.untouched
    per_row = int((width - LEFT - 10) // BLOCK)
    shown = min(pool.capacity, per_row * MAX_BLOCK_ROWS)
    y = top + 14
    body.append(rect(14, y, LEFT - 24, BLOCK - 2, FILL["metadata"], title="pool header: 48 bytes"))
    body.append(text(LEFT / 2 - 4, y + 12, "header", size=9, anchor="middle"))
    for i in range(shown):
        address = pool.address + 48 + i * pool.size
        x = LEFT + (i % per_row) * BLOCK
        by = y + (i // per_row) * (BLOCK + 2)
        if address in order:
            shape = rect(x, by, BLOCK - 2, BLOCK - 2, FILL["free"], title=f"{address:#x}: free, #{order[address]}")
            shape += text(x + (BLOCK - 2) / 2, by + 12, str(order[address]), size=8, anchor="middle")
        elif i >= first_untouched:
            extra = ' stroke-dasharray="2 2"'
            shape = rect(x, by, BLOCK - 2, BLOCK - 2, "#FFFFFF", title=f"{address:#x}: never used", extra=extra)
        else:
            shape = rect(x, by, BLOCK - 2, BLOCK - 2, FILL["allocated"], title=f"{address:#x}: in use")
        body.append(_keyed(keys.block(address), f"block {address:#x}", shape))
        if block_mark == address:
            body.append(rect(x - 2, by - 2, BLOCK + 2, BLOCK + 2, "none", stroke=PALETTE["highlight"], sw=2.5))
    rows = -(-shown // per_row)
    y += rows * (BLOCK + 2)
    if shown < pool.capacity:
        body.append(text(LEFT, y + 10, f"+{pool.capacity - shown} more blocks", size=9))
        y += 14
    chain = " → ".join(f"{a:#x}" for a in pool.free[:4]) + (" → ..." if len(pool.free) > 4 else "")
    chain = f"freeblock → {chain} → NULL" if pool.free else "freeblock → NULL: the pool is full"
    body.append(text(LEFT, y + 12, chain, size=9.5, fill=PALETTE["text"]))
    return "".join(body), y + 18


def pymalloc_svg(snapshot: PyMallocSnapshot, *, event: Event | None = None, width: int = 760) -> str:
    """Draw the arenas, usedpools and one pool of a pymalloc snapshot."""
    if not isinstance(snapshot, PyMallocSnapshot):
        raise TypeError(f"pymalloc_svg draws a PyMallocSnapshot, not {type(snapshot).__name__}")
    arena_mark, pool_mark, block_mark = _touched(snapshot, event)
    in_use = sum(1 for p in snapshot.pools if p.count)
    blocks = sum(p.count for p in snapshot.pools)
    head = text(8, 18, f"pymalloc: {len(snapshot.arenas)} arena(s), {in_use} pool(s) in use", size=13, weight="bold")
    large = f", {len(snapshot.large)} large block(s) with malloc" if snapshot.large else ""
    head += text(width - 8, 18, f"{blocks} small blocks in use{large}", size=10, fill=PALETTE["gray"], anchor="end")
    arenas, y = _arenas(snapshot, 40, width, arena_mark, pool_mark)
    used, y = _usedpools(snapshot, y + 16, width, pool_mark)
    pool, y = _pool(snapshot, _focus(snapshot, pool_mark, block_mark), y + 18, width, block_mark)
    items = [
        (FILL["allocated"], "in use"),
        (FILL["free"], "free / empty pool (e)"),
        ("#FFFFFF", "not carved / never used"),
        (FILL["metadata"], "pool header"),
        (FILL["dead"], "alignment"),
    ]
    foot = legend(items, 8, y + 16, size=10)
    label = f"pymalloc: {len(snapshot.arenas)} arenas, {in_use} pools in use, {blocks} blocks in use"
    return svg(width, y + 26, head + arenas + used + pool + foot, label=label)


def pymalloc_view(*, width: int = 760) -> Callable[[Frame], str]:
    """A view for :class:`~memlab.widgets.player.Player`: ``Player(rec, pymalloc_view())``."""

    def view(frame: Frame) -> str:
        return pymalloc_svg(frame.snapshot, event=frame.event, width=width)

    return view
