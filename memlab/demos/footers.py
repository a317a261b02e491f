"""Lecture demo: the four coalescing cases on a heap whose allocated blocks have no footer.

CS:APP's homework 9.18 (and glibc, with the opposite sense): an allocated block is a header and a
payload, and bit 1 of its header says whether the block to its left is free, so that block's
footer may be read. The same five frees as the ``coalescing`` demo; the decoded tags show the
bit turn on in the next header as each block is freed, and the merges read a left footer only
where it says so.
"""

from __future__ import annotations

from ..widgets.player import Player
from .coalescing import demo as coalescing_demo

TITLE = "Coalescing without allocated footers: one bit says the left block is free"


def demo(scale: float = 1.6) -> Player:
    return coalescing_demo(scale, title=TITLE, footers="free")
