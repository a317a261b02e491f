"""The ownership timeline: the program's lines down the left, one lane per variable on the right.

Time runs down the page, as the program reads. A variable's lane is a solid bar while it owns
a value (blue for owners, green for ``&`` references, orange for ``&mut``, purple for RefCell
guards, teal for ``Rc``/``Weak``), a thin dashed line once its value has moved out, and ends in
a cross where its value is dropped (numbered in drop order at a closing brace). A borrow is an
arrow from the reference's lane to the owner's lane; a borrow killed by a conflicting statement
turns red and dashed. Refused statements are tinted red with their error code. Pure drawing:
an :class:`~memlab.reclaim.ownership_events.OwnershipSnapshot` in, an SVG string out.
"""

from __future__ import annotations

from ..events import Event
from .style import PALETTE, legend, rect, svg, text

ROW = 22
LANE = 62
TOP = 38
CHAR = 7.3

COLOURS = {
    "owner": PALETTE["allocated"],
    "shared": PALETTE["green"],
    "mut": PALETTE["metadata"],
    "guard": PALETTE["purple"],
    "rc": "#56B4E9",
}


def lane_kind(type_name: str) -> str:
    """owner, shared, mut, guard or rc, from a Rust type."""
    if type_name.startswith("&mut "):
        return "mut"
    if type_name.startswith("&"):
        return "shared"
    if type_name.startswith(("Ref<", "RefMut<")):
        return "guard"
    if type_name.startswith(("Rc<", "Weak<")):
        return "rc"
    return "owner"


def _segments(var, last: int):
    """(start step, end step, how it ended) for each stretch during which ``var`` owned a value."""
    out, start = [], None
    for m in var.marks:
        if m.kind == "init":
            if start is not None:
                out.append((start, m.step, "overwrite"))
            start = m.step
        elif m.kind in ("move_out", "drop", "overwrite") and start is not None:
            out.append((start, m.step, m.kind))
            start = None
    if start is not None:
        out.append((start, last, "live"))
    return out


def _scope_end(var, last: int) -> int:
    ends = [m.step for m in var.marks if m.kind in ("drop", "out_of_scope")]
    return max(ends) if ends else last


def timeline_svg(snapshot, *, event: Event | None = None, width: int | None = None, caption: str = "") -> str:
    """Draw the program so far with the life of each variable beside it."""
    lines = snapshot.lines
    rows = {line.step: i for i, line in enumerate(lines)}
    last = lines[-1].step if lines else 0
    code_w = 60 + CHAR * max((len(line.rust) + 4 * _indent(line) for line in lines), default=20)
    lanes = {v.index: code_w + 20 + i * LANE + LANE / 2 for i, v in enumerate(snapshot.vars)}
    full = max(width or 0, int(code_w + 30 + LANE * max(len(snapshot.vars), 1)))
    top = TOP + (18 if caption else 0)
    y = lambda step: top + rows.get(step, len(lines) - 1) * ROW + ROW / 2  # noqa: E731
    current = event.step if event is not None else None
    body: list[str] = []
    if caption:
        body.append(text(10, 15, caption, size=12, weight="bold"))
    for i, line in enumerate(lines):
        ry = top + i * ROW
        if line.error:
            body.append(rect(0, ry, full, ROW, "#FBE3D6", stroke="none", sw=0))
        elif line.step == current:
            body.append(rect(0, ry, full, ROW, "#FFF3B0", stroke="none", sw=0))
        body.append(text(34, ry + 15, str(line.step), size=10, fill=PALETTE["gray"], anchor="end"))
        body.append(
            f'<text x="{44 + CHAR * 4 * _indent(line):.1f}" y="{ry + 15:.1f}" font-size="12" '
            f'font-family="DejaVu Sans Mono, monospace" fill="{PALETTE["text"]}" xml:space="preserve">'
            f"{_esc(line.rust)}</text>"
        )
        if line.error:
            body.append(
                text(code_w + 4, ry + 15, line.error, size=10, fill=PALETTE["red"], anchor="end", weight="bold")
            )
    by_index = {v.index: v for v in snapshot.vars}
    for v in snapshot.vars:
        x = lanes[v.index]
        body.append(text(x, top - 20, v.name, size=12, anchor="middle", weight="bold"))
        body.append(text(x, top - 7, "mut" if v.mutable else v.type[:9], size=9, fill=PALETTE["gray"], anchor="middle"))
        colour = COLOURS[lane_kind(v.type)]
        dead_from = None
        for start, end, how in _segments(v, last):
            y0, y1 = y(start) - ROW / 2 + 4, y(end) + (ROW / 2 - 4 if how == "live" else 0)
            body.append(
                rect(
                    x - 5,
                    y0,
                    10,
                    max(y1 - y0, 2),
                    colour,
                    stroke="#222",
                    sw=0.5,
                    title=f"{v.name}: {v.type}, from step {start}",
                )
            )
            if how == "move_out":
                body.append(f'<circle cx="{x}" cy="{y(end):.1f}" r="4.5" fill="white" stroke="#222"/>')
                dead_from = end
            elif how == "drop":
                body.append(_cross(x, y(end)))
        if dead_from is not None:
            body.append(_dashed(x, y(dead_from) + 5, x, y(_scope_end(v, last))))
        for m in v.marks:
            if m.kind == "move_out" and m.other:
                target = next(
                    (
                        t
                        for t in snapshot.vars
                        if t.name == m.other
                        and t.index > v.index
                        and any(k.step == m.step and k.kind == "init" for k in t.marks)
                    ),
                    None,
                )
                if target is not None:
                    body.append(_arrow(x + 5, y(m.step), lanes[target.index] - 6, y(m.step), "#222", "moved"))
            elif m.kind in ("use", "mutate"):
                body.append(f'<circle cx="{x}" cy="{y(m.step):.1f}" r="2.6" fill="white"/>')
    body.extend(_drop_order(snapshot, lanes, y))
    for loan in snapshot.loans:
        owner = by_index.get(loan.owner)
        if owner is None or not loan.holders:
            continue
        holder = loan.holders[0]
        killed = loan.state == "killed"
        colour = PALETTE["red"] if killed else "#444"
        body.append(
            _arrow(
                lanes[holder] - 6,
                y(loan.step),
                lanes[loan.owner] + 6,
                y(loan.step),
                colour,
                f"{loan.kind} {loan.path}",
                dashed=killed,
            )
        )
        if killed and loan.killed is not None:
            hx = lanes[holder]
            body.append(_dashed(hx + 7, y(loan.killed), hx + 7, y(loan.ended or last), PALETTE["red"]))
            body.append(text(hx + 10, y(loan.killed) + 4, loan.code, size=9, fill=PALETTE["red"], weight="bold"))
    height = top + len(lines) * ROW + 8
    items = [
        (COLOURS["owner"], "owner"),
        (COLOURS["shared"], "& borrow"),
        (COLOURS["mut"], "&mut borrow"),
        (COLOURS["guard"], "RefCell guard"),
        (COLOURS["rc"], "Rc / Weak"),
    ]
    body.append(legend(items, 12, height + 10, size=10))
    body.append(
        text(
            12,
            height + 28,
            "○ moved out    ✕ dropped (numbered in drop order)    red: a killed borrow",
            size=10,
            fill=PALETTE["text"],
        )
    )
    return svg(full, height + 36, "".join(body), label=f"ownership timeline of {len(lines)} lines")


def _drop_order(snapshot, lanes, y) -> list[str]:
    """Number the drops that happen at one closing brace: 1 is dropped first."""
    at: dict[int, list] = {}
    for v in snapshot.vars:
        for m in v.marks:
            if m.kind == "drop":
                at.setdefault(m.step, []).append(v)
    out = []
    for step, vs in at.items():
        if len(vs) > 1:
            for n, v in enumerate(sorted(vs, key=lambda v: -v.index), 1):
                out.append(text(lanes[v.index] + 9, y(step) + 4, str(n), size=9, weight="bold"))
    return out


def _indent(line) -> int:
    return line.depth if line.op in ("scope", "end") else line.depth + 1


def _esc(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cross(x: float, y: float) -> str:
    return (
        f'<path d="M{x - 5:.1f} {y - 5:.1f}L{x + 5:.1f} {y + 5:.1f}M{x + 5:.1f} {y - 5:.1f}L{x - 5:.1f} '
        f'{y + 5:.1f}" stroke="{PALETTE["red"]}" stroke-width="2.4"/>'
    )


def _dashed(x0: float, y0: float, x1: float, y1: float, colour: str = "#777") -> str:
    return (
        f'<line x1="{x0:.1f}" y1="{y0:.1f}" x2="{x1:.1f}" y2="{y1:.1f}" stroke="{colour}" '
        f'stroke-width="1.4" stroke-dasharray="3 3"/>'
    )


def _arrow(x0: float, y0: float, x1: float, y1: float, colour: str, title: str, dashed: bool = False) -> str:
    dash = ' stroke-dasharray="4 3"' if dashed else ""
    tip = 5 if x1 > x0 else -5
    return (
        f'<g><title>{_esc(title)}</title><line x1="{x0:.1f}" y1="{y0:.1f}" x2="{x1:.1f}" y2="{y1:.1f}" '
        f'stroke="{colour}" stroke-width="1.6"{dash}/><path d="M{x1:.1f} {y1:.1f}L{x1 - tip:.1f} {y1 - 4:.1f}'
        f'L{x1 - tip:.1f} {y1 + 4:.1f}Z" fill="{colour}"/></g>'
    )


def ownership_view(frame, *, heap: bool = True, width: int | None = None) -> str:
    """A Player view: the timeline, and the heap map below it when the values live on a heap."""
    from .heapmap import heap_svg

    html = timeline_svg(frame.snapshot, event=frame.event, width=width)
    if heap and frame.snapshot.heap is not None:
        html += "<br>" + heap_svg(frame.snapshot.heap, event=_heap_event(frame.event), width=width or 760)
    return html


def _heap_event(event):
    """FreeBlock events name an address the heap map can outline."""
    return event if getattr(event, "address", None) is not None else None
