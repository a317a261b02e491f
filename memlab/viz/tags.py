"""Boundary tags decoded: every header, footer and free-list word of a CS:APP heap, in words.

A hexdump shows ``19 00 00 00``; this view says what it means: "header: size 24, allocated".
It reads a snapshot of :class:`~memlab.allocators.freelist.FreeListHeap` (CS:APP ``mm.c``): the
list heads below the prologue, the prologue and epilogue, and for each block its header and
footer word (``size | allocated``, 4 bytes, little-endian) plus, for free blocks on an explicit or
segregated list, the ``pred`` and ``succ`` links in its first two payload words (a heap with
``footers="free"`` gives allocated blocks a header only, whose bit 1 says "free on my left"). Words that
changed since the previous snapshot are marked, so a player shows a tag being rewritten.

Pure drawing: everything is decoded from the snapshot's bytes and layout.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from html import escape

from ..allocators.base import HeapSnapshot
from ..allocators.freelist.lists import class_range
from ..events import Frame, Recording
from .heapmap import heap_svg
from .hexdump import hexdump_html
from .style import PALETTE


@dataclass(frozen=True, slots=True)
class TagWord:
    """One metadata word: where it is, what it holds, what that means."""

    address: int
    value: int
    role: str  # header, footer, pred, succ, head, padding, prologue, epilogue
    block: int  # address of the block (or metadata) it belongs to
    meaning: str
    changed: bool = False


def _word(snapshot: HeapSnapshot, address: int) -> int | None:
    try:
        return int.from_bytes(snapshot.read(address, 4), "little")
    except ValueError:
        return None


def _tag(value: int) -> str:
    size, allocated = value & ~7, value & 1
    left = ", the block to its left is free" if value & 2 and allocated else ""
    return f"size {size}, {'allocated' if allocated else 'free'}{left}"


def _head_name(k: int, heads: int) -> str:
    if heads == 1:
        return "list head"
    lo, hi = class_range(k)
    sizes = f"{lo}" if lo == hi else f"{lo}-{hi}" if hi else f"{lo} and up"
    return f"head of class {k} ({sizes} bytes)"


def _link(value: int) -> str:
    return "none (end of list)" if value == 0 else f"{value:#x} (the block at {value - 4:#x})"


def tag_words(snapshot: HeapSnapshot, previous: HeapSnapshot | None = None) -> list[TagWord]:
    """The heap's metadata words in address order, decoded (empty if the snapshot kept no bytes)."""
    if not snapshot.data:
        return []
    linked = any(b.label.endswith(("free-list head", "free-list heads")) for b in snapshot.blocks)
    spots: list[tuple[int, str, int, str]] = []  # (address, role, block, how to read it)
    for b in snapshot.blocks:
        if b.state == "metadata":
            if "head" in b.label:
                for k in range(b.size // 4):
                    spots.append((b.address + 4 * k, "head", b.address, _head_name(k, b.size // 4)))
            elif b.label in ("padding", "epilogue"):
                spots.append((b.address, b.label, b.address, b.label))
            elif b.label == "prologue":
                spots += [
                    (b.address, "prologue", b.address, "prologue header"),
                    (b.address + 4, "prologue", b.address, "prologue footer"),
                ]
            continue
        if b.header != 4 or b.footer not in (0, 4) or (b.footer == 0 and b.state != "allocated"):
            continue  # a corrupt stretch or fresh sbrk space: no tags to read
        spots.append((b.address, "header", b.address, "header"))
        if linked and b.state == "free":
            spots += [(b.payload, "pred", b.address, "pred"), (b.payload + 4, "succ", b.address, "succ")]
        if b.footer:  # an allocated block of a footers="free" heap has none
            spots.append((b.end - 4, "footer", b.address, "footer"))
    words = []
    for address, role, block, name in spots:
        value = _word(snapshot, address)
        if value is None:
            continue
        if role in ("head", "pred", "succ"):
            meaning = f"{name}: {_link(value)}"
        elif role == "padding":
            meaning = "padding (keeps payloads 8-aligned)"
        else:
            meaning = f"{name}: {_tag(value)}"
        old = _word(previous, address) if previous is not None and previous.data else value
        words.append(TagWord(address, value, role, block, meaning, old != value))
    return words


def tags_text(snapshot: HeapSnapshot, previous: HeapSnapshot | None = None, *, skip_empty_heads: bool = True) -> str:
    """The decoded words as plain text, one per line; ``*`` marks a word that changed."""
    lines = []
    for t in tag_words(snapshot, previous):
        if skip_empty_heads and t.role == "head" and t.value == 0:
            continue
        raw = t.value.to_bytes(4, "little").hex(" ")
        lines.append(f"{'*' if t.changed else ' '} {t.address:#06x}  {raw}  {t.meaning}")
    return "\n".join(lines)


TABLE_STYLE = "border-collapse:collapse;font-size:12px;margin-top:6px;font-family:DejaVu Sans,Arial,sans-serif"
ROLE_COLOUR = {"header": PALETTE["metadata"], "footer": PALETTE["metadata"], "pred": PALETTE["purple"]}
ROLE_COLOUR |= {"succ": PALETTE["purple"], "head": PALETTE["green"]}


def tags_html(
    snapshot: HeapSnapshot,
    previous: HeapSnapshot | None = None,
    *,
    skip_empty_heads: bool = True,
    free_only: bool = False,
) -> str:
    """An HTML table of the decoded words; changed words bold and boxed, blocks separated by a rule.

    ``free_only`` keeps the list heads and the free blocks' words only: the free lists at a glance.
    """
    words = tag_words(snapshot, previous)
    if free_only:
        free = {b.address for b in snapshot.blocks if b.state == "free"}
        words = [t for t in words if t.role == "head" or t.block in free]
    if not snapshot.data:
        return "<p>(this snapshot kept no bytes, so there are no tags to decode)</p>"
    rows, last_block = [], None
    hidden = 0
    for t in words:
        if skip_empty_heads and t.role == "head" and t.value == 0:
            hidden += 1
            continue
        rule = "border-top:1px solid #999;" if last_block is not None and t.block != last_block else ""
        last_block = t.block
        mark = "outline:2px solid #000;font-weight:bold;" if t.changed else ""
        swatch = ROLE_COLOUR.get(t.role, PALETTE["gray"])
        raw = t.value.to_bytes(4, "little").hex(" ")
        rows.append(
            f'<tr style="{rule}"><td style="color:#555">{t.address:#06x}</td>'
            f'<td style="{mark}background:#FFF4DA;font-family:monospace">{raw}</td>'
            f'<td style="border-left:6px solid {swatch};padding-left:6px;{mark}">{escape(t.meaning)}</td></tr>'
        )
    left_out = [f"{hidden} empty list heads"] * bool(hidden) + ["the tags of allocated blocks"] * free_only
    note = f"<caption style='caption-side:bottom;color:#555'>{' and '.join(left_out)} not shown</caption>"
    return (
        f'<table class="memlab-tags" style="{TABLE_STYLE}">'
        "<tr><th style='text-align:left'>address</th><th style='text-align:left'>bytes in memory</th>"
        "<th style='text-align:left'>what they mean (bold, boxed: changed by this step)</th></tr>"
        + "".join(rows)
        + (note if left_out else "")
        + "</table>"
    )


def tags_view(
    recording: Recording,
    *,
    width: int = 760,
    hexdump: bool = False,
    start: int | None = None,
    length: int | None = None,
    free_only: bool = False,
) -> Callable[[Frame], str]:
    """A view for a player: heap map, the decoded tags (and optionally the raw hexdump) of each frame."""

    def view(frame: Frame) -> str:
        previous = recording[frame.index - 1].snapshot if frame.index else None
        html = heap_svg(frame.snapshot, event=frame.event, width=width)
        if hexdump:
            html += hexdump_html(frame.snapshot, previous=previous, start=start, length=length)
        return html + tags_html(frame.snapshot, previous, free_only=free_only)

    return view


__all__ = ["TagWord", "tag_words", "tags_html", "tags_text", "tags_view"]
