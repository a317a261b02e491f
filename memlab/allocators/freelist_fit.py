"""Placement policies: which free block a request goes into (CS:APP 9.9.7; Knuth, TAOCP 2.5).

Each policy reads candidate blocks one by one, as ``(bp, tag)`` pairs where ``tag`` is the
block's header word, and returns ``(bp, size, examined)``: the chosen block (0 if none fits) and
how many headers it read, the cost of the search. A free block's tag *is* its size, because the
allocated bit is the only flag in use.

* **first fit** takes the first block that is large enough;
* **next fit** (Knuth) is first fit that starts where the previous search stopped, its
  *roving pointer*; the free lists supply that rotated order, so it uses :func:`first_fit`;
* **best fit** takes the smallest block that is large enough (stopping early on an exact fit);
* **worst fit** takes the largest block, hoping the remainder stays useful (OSTEP ch. 17).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

Candidates = Iterable[tuple[int, int]]
Placement = Callable[[Candidates, int], tuple[int, int, int]]


def first_fit(candidates: Candidates, asize: int) -> tuple[int, int, int]:
    """The first free block of at least ``asize`` bytes."""
    examined = 0
    for bp, tag in candidates:
        examined += 1
        if tag >= asize and not tag & 1:
            return bp, tag, examined
    return 0, 0, examined


def best_fit(candidates: Candidates, asize: int) -> tuple[int, int, int]:
    """The smallest free block of at least ``asize`` bytes; an exact fit ends the search."""
    examined = best = best_size = 0
    for bp, tag in candidates:
        examined += 1
        if tag >= asize and not tag & 1 and (not best or tag < best_size):
            best, best_size = bp, tag
            if tag == asize:
                break
    return best, best_size, examined


def worst_fit(candidates: Candidates, asize: int) -> tuple[int, int, int]:
    """The largest free block, if it holds ``asize`` bytes."""
    examined = best = best_size = 0
    for bp, tag in candidates:
        examined += 1
        if not tag & 1 and tag > best_size:
            best, best_size = bp, tag
    return (best, best_size, examined) if best_size >= asize else (0, 0, examined)


PLACEMENTS: dict[str, Placement] = {
    "first": first_fit,
    "next": first_fit,  # over the list rotated to start at the roving pointer
    "best": best_fit,
    "worst": worst_fit,
}

ROVING = frozenset({"next"})
"""Policies whose search starts at a roving pointer instead of the start of the list."""
