"""Stable ids for the shapes that persist from one frame to the next.

Views mark each shape that stands for something lasting (a heap block, an object, a buddy
block, a slab, a span, a pool) with ``data-key``: the same thing gets the same key in every frame, so
the player can glide it to its new place and size instead of redrawing it, in the manner of
D3's keyed data joins (Bostock, Ogievetsky & Heer 2011). A shape that covers a range of
addresses also carries ``data-span="start end"``: a new shape that starts inside an old one
grew out of it (a split), and a shape that disappears inside a new one was merged into it.

The same functions name shapes in predict-mode questions ("click the block first fit takes":
``Ask(..., answer=keys.block(0x1010))``), so a question and the picture always agree. Keys are
plain text: a kind, a colon, and an address in hex or an id.
"""

from __future__ import annotations

from html import escape

HIGHLIGHT = "hl"
"""The outline around what the current event touched: it moves from shape to shape."""


def block(address: int) -> str:
    """A heap block (heap map, stack, pool) by its address."""
    return f"b:{address:#x}"


def obj(oid: int) -> str:
    """An object of an object heap (graph view) by its id."""
    return f"o:{oid}"


def copy(oid: int) -> str:
    """An object in a copying collector's semispaces, by its id: it keeps it when it is copied."""
    return f"c:{oid}"


def buddy(address: int, order: int) -> str:
    """A block of a buddy heap by its address and order (a split parent keeps its key)."""
    return f"k:{address:#x}:{order}"


def slab(address: int) -> str:
    """A slab of a slab cache by its address (it moves between the full, partial and free parts)."""
    return f"s:{address:#x}"


def pool(address: int) -> str:
    """A pool of pymalloc's arenas (blocks of one size class) by its address: it keeps it when it changes class."""
    return f"q:{address:#x}"


def span(address: int) -> str:
    """A span of TCMalloc's page heap by its first address."""
    return f"p:{address:#x}"


def slot(index: int) -> str:
    """An object of an object pool by its index."""
    return f"i:{index}"


def attrs(key: str, start: int | None = None, end: int | None = None) -> str:
    """The attributes that mark a shape: `` data-key="..."`` and, for an address range, ``data-span``."""
    where = f' data-span="{start} {end}"' if start is not None and end is not None else ""
    return f' data-key="{escape(key)}"{where}'


def group(key: str, body: str, start: int | None = None, end: int | None = None) -> str:
    """``body`` (the SVG of one shape and its labels) in a ``<g>`` that carries the key."""
    return f"<g{attrs(key, start, end)}>{body}</g>"


def piece(key: str, n: int) -> str:
    """The key of the n-th piece of a shape drawn in several pieces (a block wrapping over rows)."""
    return key if n == 0 else f"{key}#{n}"


__all__ = ["HIGHLIGHT", "attrs", "block", "buddy", "copy", "group", "obj", "piece", "pool", "slab", "slot", "span"]
