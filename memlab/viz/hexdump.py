"""A hexdump of a heap snapshot with its header and footer words marked.

Each byte is coloured by what it belongs to (metadata, allocated payload, free space) and bytes
that changed since the previous snapshot are boxed and bold, so a learner sees a boundary tag
being rewritten. Output is HTML (a <pre> block) for notebooks and players; :func:`hexdump_text`
gives the same dump as plain text with ``^^`` under changed bytes, for checked outputs.
"""

from __future__ import annotations

from html import escape

from ..allocators.base import HeapSnapshot

BACKGROUND = {"metadata": "#F7D58B", "allocated": "#CFE3F3", "free": "#FFFFFF", "dead": "#DDDDDD"}


def byte_roles(snapshot: HeapSnapshot) -> dict[int, str]:
    """Map each address of the snapshot to the role of its byte: metadata, allocated, free, dead."""
    roles: dict[int, str] = {}
    for b in snapshot.blocks:
        for a in range(b.address, b.end):
            roles[a] = b.state
        for a in range(b.address, b.address + b.header):
            roles[a] = "metadata"
        for a in range(b.end - b.footer, b.end):
            roles[a] = "metadata"
    return roles


def _window(snapshot: HeapSnapshot, start: int | None, length: int | None, width: int) -> tuple[int, int]:
    first = snapshot.start if start is None else start
    first -= (first - snapshot.start) % width
    last = snapshot.start + len(snapshot.data) if length is None else min(first + length, snapshot.end)
    return first, last


def _changed(snapshot: HeapSnapshot, previous: HeapSnapshot | None, a: int) -> bool:
    if previous is None or not previous.data:
        return False
    try:
        return previous.read(a, 1) != snapshot.read(a, 1)
    except ValueError:
        return True


def hexdump_html(
    snapshot: HeapSnapshot,
    *,
    previous: HeapSnapshot | None = None,
    start: int | None = None,
    length: int | None = None,
    width: int = 16,
) -> str:
    """HTML hexdump of the snapshot's bytes; metadata shaded, changed bytes boxed and bold."""
    if not snapshot.data:
        return "<pre>(this snapshot kept no bytes: the heap is too large to copy at every step)</pre>"
    first, last = _window(snapshot, start, length, width)
    roles = byte_roles(snapshot)
    lines = []
    for row in range(first, last, width):
        cells = []
        for a in range(row, min(row + width, last)):
            style = f"background:{BACKGROUND.get(roles.get(a, 'free'), '#FFF')}"
            if _changed(snapshot, previous, a):
                style += ";outline:2px solid #000;font-weight:bold"
            sep = " " if (a - row) % 4 == 0 and a != row else ""
            cells.append(f'{sep}<span style="{style}">{snapshot.read(a, 1).hex()}</span>')
        lines.append(f'<span style="color:#555">{row:08x}</span>  {"".join(cells)}')
    key = " ".join(
        f'<span style="background:{BACKGROUND[r]};padding:0 4px;border:1px solid #999">{escape(r)}</span>'
        for r in ("metadata", "allocated", "free")
    )
    return (
        '<pre style="font-family:DejaVu Sans Mono,monospace;font-size:12px;line-height:1.5">'
        + "\n".join(lines)
        + f"\n\n{key}  <b>bold, boxed</b> = changed by this step</pre>"
    )


def hexdump_text(
    snapshot: HeapSnapshot,
    *,
    previous: HeapSnapshot | None = None,
    start: int | None = None,
    length: int | None = None,
    width: int = 16,
) -> str:
    """Plain-text hexdump; a line of ``^^`` under each row marks the bytes that changed."""
    if not snapshot.data:
        return "(no bytes kept in this snapshot)"
    first, last = _window(snapshot, start, length, width)
    out = []
    for row in range(first, last, width):
        addrs = range(row, min(row + width, last))
        cells = [snapshot.read(a, 1).hex() for a in addrs]
        marks = ["^^" if _changed(snapshot, previous, a) else "  " for a in addrs]
        out.append(f"{row:08x}:  " + " ".join(cells))
        if any(m.strip() for m in marks):
            out.append(" " * 11 + " ".join(marks).rstrip())
    return "\n".join(out)
