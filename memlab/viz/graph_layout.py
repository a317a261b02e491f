"""Where the object graph's boxes go: columns by distance from the variables, wrapped into bands.

A layered drawing in the manner of Sugiyama, Tagawa & Toda (1981), simplified: an object's
column is its distance (in references) from the nearest variable rather than a longest path,
unreachable objects come after the reachable ones, and a single barycentre pass orders each
column. Columns that do not fit the width wrap into bands below each other.
:func:`stable_layout` pins every object of a recording to one slot so nothing jumps.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from ..reclaim.snapshot import GraphSnapshot, Node

Box = tuple[float, float, float, float]  # x, y, width, height
Slots = dict[int, tuple[int, int]]  # object id -> (column, row)
BOX_W, BOX_H, LINE = 166, 52, 15
ROW_GAP, COL_GAP, BAND_GAP = 22, 46, 36
VAR_W, VAR_H = 112, 20
LEFT, TOP = 8, 30


def reachable(snap: GraphSnapshot, out: dict[int, list[tuple[int, str]]], kinds: tuple[str, ...]) -> dict[int, int]:
    """Distance (in references of ``kinds``) of every object from the nearest variable."""
    depth: dict[int, int] = {}
    queue: deque[int] = deque()
    for v in snap.variables:
        if v.target is not None and v.target not in depth and v.kind in kinds:
            depth[v.target] = 0
            queue.append(v.target)
    while queue:
        n = queue.popleft()
        for m, kind in out.get(n, ()):
            if m not in depth and kind in kinds:
                depth[m] = depth[n] + 1
                queue.append(m)
    return depth


def layers(snap: GraphSnapshot) -> tuple[list[list[Node]], set[int]]:
    """Columns of nodes (by distance from the variables, then the rest) and the ids no strong path reaches."""
    ids = {n.id for n in snap.nodes}
    out: dict[int, list[tuple[int, str]]] = {}
    for e in snap.edges:
        if isinstance(e.source, int) and e.target in ids:
            out.setdefault(e.source, []).append((e.target, e.kind))
    depth = reachable(snap, out, ("strong", "weak", "unowned", "temporary"))
    kept = set(reachable(snap, out, ("strong", "temporary")))  # what keeps objects alive
    base = max(depth.values(), default=-1) + 1
    for n in snap.nodes:  # unreachable objects: layered from the first of each group, by id
        if n.id in depth:
            continue
        depth[n.id] = base
        queue = deque([n.id])
        while queue:
            k = queue.popleft()
            for m, _ in out.get(k, ()):
                if m not in depth:
                    depth[m] = depth[k] + 1
                    queue.append(m)
    columns: list[list[Node]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for n in snap.nodes:
        columns[depth[n.id]].append(n)
    return columns, ids - kept


def order(columns: list[list[Node]], snap: GraphSnapshot, var_rows: dict[str, int]) -> None:
    """Sort each column by the rows of what points at it (one barycentre pass), then by id."""
    row: dict[int | str, float] = dict(var_rows)
    into: dict[int, list[int | str]] = {}
    for e in snap.edges:
        into.setdefault(e.target, []).append(e.source)
    for v in snap.variables:
        if v.target is not None:
            into.setdefault(v.target, []).append(v.label)
    for col in columns:

        def key(n: Node) -> tuple[float, int]:
            seen = [row[s] for s in into.get(n.id, ()) if s in row]
            return (sum(seen) / len(seen) if seen else 1e9, n.id)

        col.sort(key=key)
        for i, n in enumerate(col):
            row[n.id] = i


def pin(columns: list[list[Node]], layout: Slots | None) -> Slots:
    """(column, row) of every object: from ``layout`` where it has one, else where ``columns`` put it."""
    found = {n.id: (c, r) for c, col in enumerate(columns) for r, n in enumerate(col)}
    if layout is None:
        return found
    extra = {oid: slot for oid, slot in found.items() if oid not in layout}
    pinned = dict(layout)
    for oid, (c, _) in extra.items():  # not in the layout: below everything in its column
        pinned[oid] = (c, 1 + max((r for cc, r in pinned.values() if cc == c), default=-1))
    return pinned


def place(slots: Slots, width: int, top: float, h: float) -> tuple[dict[int, Box], dict]:
    """Boxes for (column, row) slots, wrapping columns into bands that fit ``width``."""
    x_start = LEFT + VAR_W + COL_GAP
    per_band = max(1, int((width - x_start + COL_GAP) // (BOX_W + COL_GAP)))
    rows: dict[int, int] = {}  # band -> rows in it
    for c, r in slots.values():
        rows[c // per_band] = max(rows.get(c // per_band, 0), r + 1)
    band_top, y = {}, top
    for b in range(max(rows, default=-1) + 1):
        band_top[b] = y
        y += rows.get(b, 0) * (h + ROW_GAP) - ROW_GAP + BAND_GAP + 40 if b in rows else 0
    boxes: dict[int, Box] = {}
    band_of: dict[int | str, int] = {}
    for oid, (c, r) in slots.items():
        b, i = divmod(c, per_band)
        boxes[oid] = (x_start + i * (BOX_W + COL_GAP), band_top[b] + r * (h + ROW_GAP), BOX_W, h)
        band_of[oid] = b
    return boxes, band_of


def stable_layout(snapshots: Iterable[GraphSnapshot | None]) -> Slots:
    """One (column, row) slot per object over a whole recording, so that nothing jumps between frames.

    An object's column is the farthest from the variables it ever sits while reachable (a new
    object starts as a temporary, a root, before it is stored deeper); rows go by order of
    appearance, and a row is given again only to an object that appears after its holder is gone.
    """
    column: dict[int, int] = {}
    life: dict[int, list[int]] = {}  # id -> [first frame, last frame]; insertion order = appearance
    for index, snap in enumerate(snapshots):
        if snap is None:
            continue
        columns, unreachable = layers(snap)
        for c, col in enumerate(columns):
            for n in col:
                life.setdefault(n.id, [index, index])[1] = index
                if n.id not in unreachable or n.id not in column:
                    column[n.id] = max(column.get(n.id, 0), c) if n.id not in unreachable else c
    held: dict[tuple[int, int], list[tuple[int, int]]] = {}
    slots: Slots = {}
    for oid, (first, last) in life.items():
        c, r = column[oid], 0
        while any(a <= last and first <= b for a, b in held.get((c, r), ())):
            r += 1
        slots[oid] = (c, r)
        held.setdefault((c, r), []).append((first, last))
    return slots
