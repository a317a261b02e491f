"""How a player's frames travel to the browser: once, as shared pieces and the edits between frames.

Python draws every frame (each view is a pure function from a snapshot to SVG or HTML). Frames
of one recording are nearly alike, so sending each one whole would repeat almost everything:

* each frame's HTML is cut into *pieces*, one before every opening tag (``<rect ...>``, with its
  ``<title>`` and closing tags attached to the piece before the next opening tag);
* equal pieces are stored once, in a ``table``; a frame is a list of indices into it;
* frame 0 is sent as that list, and every later frame as the *edits* that turn the previous
  frame's list into its own (``keep k, drop d, insert these n``), found with difflib's
  ``SequenceMatcher`` (Ratcliff and Obershelp's matching).

The browser (``player.js``) rebuilds frame k by replaying edits from the nearest frame it has
already built, so stepping, scrubbing and playing need nothing more from Python. The same
encoding is used by the live widget and by the self-contained static HTML.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from difflib import SequenceMatcher

_CUT = re.compile(r"(?=<(?![/!]))")


def pieces(html: str) -> list[str]:
    """The HTML cut before every opening tag; joined again they give ``html`` back."""
    return [p for p in _CUT.split(html) if p]


def edits(before: Sequence[int], after: Sequence[int]) -> list[int]:
    """Flat edits turning ``before`` into ``after``: ``keep, drop, n, id_1 ... id_n`` repeated.

    What is left of ``before`` after the last edit is kept as it is.
    """
    out: list[int] = []
    kept = 0
    matcher = SequenceMatcher(None, before, after, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            kept += i2 - i1
            continue
        out += [kept, i2 - i1, j2 - j1, *after[j1:j2]]
        kept = 0
    return out


def apply(before: Sequence[int], ops: Sequence[int]) -> list[int]:
    """Replay :func:`edits` on ``before`` (what ``player.js`` does in the browser)."""
    out: list[int] = []
    p = i = 0
    while i < len(ops):
        keep, drop, n = ops[i], ops[i + 1], ops[i + 2]
        out += before[p : p + keep]
        p += keep + drop
        out += ops[i + 3 : i + 3 + n]
        i += 3 + n
    return out + list(before[p:])


def encode(frames: Sequence[str]) -> dict:
    """``{"table": pieces, "first": ids of frame 0, "edits": [edits of frame 1, 2, ...]}``."""
    table: dict[str, int] = {}
    first: list[int] = []
    changes: list[list[int]] = []
    previous: list[int] | None = None
    for html in frames:
        ids = [table.setdefault(p, len(table)) for p in pieces(html)]
        if previous is None:
            first = ids
        else:
            changes.append(edits(previous, ids))
        previous = ids
    return {"table": list(table), "first": first, "edits": changes}


def decode(encoded: dict) -> list[str]:
    """Every frame's HTML back from :func:`encode`."""
    table, ids = encoded["table"], list(encoded["first"])
    frames = ["".join(table[i] for i in ids)]
    for ops in encoded["edits"]:
        ids = apply(ids, ops)
        frames.append("".join(table[i] for i in ids))
    return frames


__all__ = ["apply", "decode", "edits", "encode", "pieces"]
