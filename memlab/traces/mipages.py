"""mimalloc's pages after a trace, the real library's and memlab's, side by side.

The production replay (:mod:`.production`) runs a trace through the machine's libmimalloc in a
process of its own, on a private heap, and counts its pages per block size with
``mi_heap_visit_blocks``: how many pages, and how many blocks in them are in use. :func:`compare`
replays the same trace, to the same operation, into memlab's
:class:`~memlab.allocators.mimalloc.MiMalloc` and counts its pages the same way. On the shipped
real traces the two agree for every block size, with Debian's libmimalloc 2.0.9.

By default the count is taken after the last operation (``census`` picks another); one thread.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..allocators.mimalloc import MiMalloc
from .production import Production, ProductionUnavailable, available
from .rep import ALLOC, FREE, Trace

PageCounts = dict[int, tuple[int, int]]
"""Block size -> (pages, blocks in use)."""


def memlab_pages(trace: Trace, census: int | None = None, **options) -> PageCounts:
    """memlab's mimalloc after operations 0 to ``census`` of ``trace`` (all of them by default)."""
    options.setdefault("limit", 256 << 20)
    heap = MiMalloc(**options)
    last = len(trace.ops) - 1 if census is None else census
    address: dict[int, int] = {}
    for kind, ident, size in trace.ops[: last + 1]:
        if kind == ALLOC:
            address[ident] = heap.alloc(size)
        elif kind == FREE:
            heap.free(address.pop(ident))
        else:
            address[ident] = heap.realloc(address[ident], size)
    counts: PageCounts = {}
    for view in heap.views().values():
        pages, used = counts.get(view.block_size, (0, 0))
        counts[view.block_size] = (pages + 1, used + view.used)
    return dict(sorted(counts.items()))


def real_pages(trace: Trace, census: int | None = None) -> PageCounts:
    """The machine's libmimalloc after the same operations (raises ProductionUnavailable without it)."""
    last = len(trace.ops) - 1 if census is None else census
    result = Production("libmimalloc").replay(trace, repeat=1, census=last)
    if result.pages is None:
        raise ProductionUnavailable(f"libmimalloc stopped before counting its pages: {result.stopped or '?'}")
    return {p.block_size: (p.pages, p.used) for p in result.pages}


@dataclass
class PageComparison:
    """Pages and blocks in use per block size, real and memlab's, after one trace."""

    trace: str
    real: PageCounts
    simulated: PageCounts

    @property
    def exact(self) -> bool:
        return self.real == self.simulated

    @property
    def pages(self) -> tuple[int, int]:
        """All pages: (real, memlab's)."""
        return sum(p for p, _ in self.real.values()), sum(p for p, _ in self.simulated.values())

    def table(self) -> str:
        """One line per block size: pages and blocks in use, real and memlab's."""
        lines = [f"{'block size':>10} {'pages: real':>12} {'memlab':>7} {'in use: real':>13} {'memlab':>7}"]
        for size in sorted(set(self.real) | set(self.simulated)):
            (rp, rb), (sp, sb) = self.real.get(size, (0, 0)), self.simulated.get(size, (0, 0))
            mark = "" if (rp, rb) == (sp, sb) else "   <- differs"
            lines.append(f"{size:>10} {rp:>12} {sp:>7} {rb:>13} {sb:>7}{mark}")
        return "\n".join(lines)


def compare(trace: Trace, census: int | None = None, **options) -> PageComparison:
    """The real libmimalloc's pages and memlab's, after the same operations of ``trace``."""
    return PageComparison(trace.name, real_pages(trace, census), memlab_pages(trace, census, **options))


__all__ = ["PageComparison", "ProductionUnavailable", "available", "compare", "memlab_pages", "real_pages"]
