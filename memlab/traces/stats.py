"""What a trace looks like: its sizes, its lifetimes, its live memory over time.

Wilson, Johnstone, Neely and Boles (1995) argue that real programs are not random: a few sizes
make up most requests, most objects die young while a few live for the whole run, and live
memory follows a shape (ramps, peaks, plateaus). These functions measure exactly that, so a
notebook can put a real trace beside a random one. Lifetimes are counted in operations
(allocator calls), the clock Wilson's survey uses; a realloc keeps its block alive.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from .rep import ALLOC, FREE, Trace


@dataclass(frozen=True)
class SizeProfile:
    """How concentrated a trace's request sizes are."""

    requests: int
    distinct: int
    top: list[tuple[int, int]]
    """The most common sizes, as (size, count), most common first."""

    @property
    def top_share(self) -> float:
        """The share of all requests that ask for one of the ``top`` sizes."""
        return sum(count for _, count in self.top) / self.requests if self.requests else 0.0


def size_profile(trace: Trace, top: int = 10) -> SizeProfile:
    """Sizes of every malloc and realloc, with the ``top`` most common ones."""
    sizes = Counter(trace.requests())
    return SizeProfile(sum(sizes.values()), len(sizes), sizes.most_common(top))


def lifetimes(trace: Trace) -> list[int]:
    """For every block that is freed: operations from its allocation to its free."""
    born: dict[int, int] = {}
    out = []
    for i, (kind, ident, _) in enumerate(trace.iter_ops()):
        if kind == ALLOC:
            born[ident] = i
        elif kind == FREE:
            out.append(i - born.pop(ident))
    return out


def short_lived(trace: Trace, within: int = 100) -> float:
    """The share of all allocated blocks freed within ``within`` operations of their birth."""
    allocs = sum(1 for kind, _, _ in trace.iter_ops() if kind == ALLOC)
    return sum(1 for t in lifetimes(trace) if t <= within) / allocs if allocs else 0.0


def live_curve(trace: Trace) -> list[int]:
    """Live payload bytes after each operation."""
    sizes: dict[int, int] = {}
    live, out = 0, []
    for kind, ident, size in trace.iter_ops():
        if kind == FREE:
            live -= sizes.pop(ident)
        else:
            live += size - sizes.get(ident, 0)
            sizes[ident] = size
        out.append(live)
    return out


def describe(trace: Trace, within: int = 100) -> str:
    """One line: operations, distinct sizes, the share of the 10 commonest, the short-lived share."""
    p = size_profile(trace)
    return (
        f"{trace.name}: {len(trace):,} ops, {p.distinct:,} distinct sizes, "
        f"top 10 sizes = {p.top_share:.0%} of requests, "
        f"{short_lived(trace, within):.0%} of blocks freed within {within} ops"
    )
