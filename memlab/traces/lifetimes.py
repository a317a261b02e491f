"""How long blocks live: the generational hypothesis, tested on a trace's allocation and free times.

A block's *lifetime* is counted on an allocation clock, the way the garbage-collection literature
measures age (Ungar 1984; Wilson's survey counts bytes, we count calls): the number of ``malloc``
calls the program makes from the block's own allocation to its ``free``. A block the program
never frees has no lifetime (``None``): it lived to the end. ``realloc`` keeps a block alive
under its id (it may move, but the program still holds it) and does not tick the clock.

The *weak generational hypothesis* says most blocks die young: :func:`survival` gives, for each
horizon N, the share of blocks that die within N allocations of their birth. Simplification: a
C program frees its blocks explicitly, so these lifetimes are when the program let go, not when a
collector found out; a garbage-collected program's objects die (become unreachable) at the same
moments, and are found later.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .rep import ALLOC, FREE, Trace


def lifetimes(trace: Trace) -> list[int | None]:
    """Each block's lifetime in allocations, in the order the blocks were born (None: never freed)."""
    clock = 0
    born: dict[int, int] = {}  # id -> index into ages
    ages: list[int | None] = []
    births: list[int] = []
    for kind, ident, _ in trace.iter_ops():
        if kind == ALLOC:
            clock += 1
            born[ident] = len(ages)
            ages.append(None)
            births.append(clock)
        elif kind == FREE:
            index = born.pop(ident)
            ages[index] = clock - births[index]
    return ages


@dataclass(frozen=True, slots=True)
class Survival:
    """Of ``blocks`` blocks, the share dead within each horizon, and the share never freed."""

    trace: str
    blocks: int
    dead_within: tuple[tuple[int, float], ...]  # (horizon in allocations, share of blocks dead by then)
    never_freed: float

    def share(self, horizon: int) -> float:
        """The share of blocks dead within ``horizon`` allocations of their birth."""
        for n, share in self.dead_within:
            if n == horizon:
                return share
        raise KeyError(f"no horizon {horizon}; measured: {[n for n, _ in self.dead_within]}")


def survival(trace: Trace, horizons: Iterable[int] = (1, 10, 100, 1000, 10000)) -> Survival:
    """The share of ``trace``'s blocks that die within each horizon (in allocations)."""
    ages = lifetimes(trace)
    total = len(ages) or 1
    dead = sorted(a for a in ages if a is not None)
    shares = []
    for n in horizons:
        count = sum(1 for a in dead if a <= n)
        shares.append((n, count / total))
    return Survival(trace.name, len(ages), tuple(shares), (len(ages) - len(dead)) / total)


__all__ = ["Survival", "lifetimes", "survival"]
