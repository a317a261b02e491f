"""mimalloc's pages after a trace, the real library's and memlab's, side by side.

The production replay (:mod:`.production`) runs a trace through the machine's libmimalloc in a
process of its own, on a private heap, and counts its pages per block size with
``mi_heap_visit_blocks``: how many pages, how many blocks in them are in use, and how many bytes
of them mimalloc has committed. :func:`compare` replays the same trace, to the same operation,
into memlab's :class:`~memlab.allocators.mimalloc.MiMalloc` and counts its pages the same way. On
the shipped real traces the two agree for every block size, with Debian's libmimalloc 2.0.9.

By default the count is taken after the last operation (``census`` picks another); one thread.
:func:`compare_footprint` compares the two footprints over a whole trace, read at the same
operations.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..allocators.mimalloc import MiMalloc
from .production import Production, ProductionUnavailable, available
from .rep import ALLOC, FREE, Trace
from .result import SAMPLES

PageCounts = dict[int, tuple[int, int, int]]
"""Block size -> (pages, blocks in use, bytes committed)."""


def _replay(trace: Trace, heap: MiMalloc, last: int):
    """Run operations 0 to ``last`` into ``heap``, yielding each operation's index and the live bytes after it."""
    address: dict[int, int] = {}
    sizes: dict[int, int] = {}
    live = 0
    for i, (kind, ident, size) in enumerate(trace.ops[: last + 1]):
        if kind == ALLOC:
            address[ident] = heap.alloc(size)
        elif kind == FREE:
            heap.free(address.pop(ident))
            size = 0
        else:
            address[ident] = heap.realloc(address[ident], size)
        live += size - sizes.pop(ident, 0)
        if size:
            sizes[ident] = size
        yield i, live


def _heap(options) -> MiMalloc:
    options.setdefault("limit", 256 << 20)
    return MiMalloc(**options)


def memlab_pages(trace: Trace, census: int | None = None, **options) -> PageCounts:
    """memlab's mimalloc after operations 0 to ``census`` of ``trace`` (all of them by default)."""
    heap = _heap(options)
    for _ in _replay(trace, heap, len(trace.ops) - 1 if census is None else census):
        pass
    counts: PageCounts = {}
    for page in heap.pages():
        pages, used, committed = counts.get(page.block_size, (0, 0, 0))
        counts[page.block_size] = (pages + 1, used + page.used, committed + page.capacity * page.block_size)
    return dict(sorted(counts.items()))


def real_pages(trace: Trace, census: int | None = None) -> PageCounts:
    """The machine's libmimalloc after the same operations (raises ProductionUnavailable without it)."""
    last = len(trace.ops) - 1 if census is None else census
    result = Production("libmimalloc").replay(trace, repeat=1, census=last)
    if result.pages is None:
        raise ProductionUnavailable(f"libmimalloc stopped before counting its pages: {result.stopped or '?'}")
    return {p.block_size: (p.pages, p.used, p.committed) for p in result.pages}


@dataclass
class PageComparison:
    """Pages, blocks in use and bytes committed per block size, real and memlab's, after one trace."""

    trace: str
    real: PageCounts
    simulated: PageCounts

    @property
    def exact(self) -> bool:
        return self.real == self.simulated

    @property
    def pages(self) -> tuple[int, int]:
        """All pages: (real, memlab's)."""
        return sum(c[0] for c in self.real.values()), sum(c[0] for c in self.simulated.values())

    @property
    def committed(self) -> tuple[int, int]:
        """Bytes committed in all pages: (real, memlab's)."""
        return sum(c[2] for c in self.real.values()), sum(c[2] for c in self.simulated.values())

    def table(self) -> str:
        """One line per block size: pages, blocks in use and bytes committed, real and memlab's."""
        head = ("pages: real", "memlab", "in use: real", "memlab", "committed: real", "memlab")
        lines = [f"{'block size':>10} " + " ".join(f"{h:>{max(len(h), 8)}}" for h in head)]
        for size in sorted(set(self.real) | set(self.simulated)):
            real, simulated = self.real.get(size, (0, 0, 0)), self.simulated.get(size, (0, 0, 0))
            cells = [n for pair in zip(real, simulated, strict=True) for n in pair]
            mark = "" if real == simulated else "   <- differs"
            lines.append(
                f"{size:>10} " + " ".join(f"{n:>{max(len(h), 8)}}" for n, h in zip(cells, head, strict=True)) + mark
            )
        return "\n".join(lines)


def compare(trace: Trace, census: int | None = None, **options) -> PageComparison:
    """The real libmimalloc's pages and memlab's, after the same operations of ``trace``."""
    return PageComparison(trace.name, real_pages(trace, census), memlab_pages(trace, census, **options))


@dataclass
class FootprintComparison:
    """The peak footprint of one trace, real and memlab's (bytes committed in pages)."""

    trace: str
    real: int
    """The production replay's ``heap_bytes``: the most libmimalloc committed at the operations it reads."""
    simulated: int
    """memlab's, read at the same operations."""
    simulated_peak: int
    """memlab's true peak, over every operation (at least ``simulated``)."""

    @property
    def exact(self) -> bool:
        return self.real == self.simulated


def memlab_footprint(trace: Trace, **options) -> tuple[int, int]:
    """memlab's mimalloc over ``trace``: (the most it committed at the operations the production
    replay reads its footprint, the most over every operation).

    The production replay reads the library's footprint only when live bytes reach a new peak and
    at :data:`~.result.SAMPLES` evenly spaced operations, not after every call.
    """
    heap = _heap(options)
    every = max(1, len(trace) // SAMPLES)
    peak = most = 0
    for i, live in _replay(trace, heap, len(trace.ops) - 1):
        if live > peak or (i + 1) % every == 0 or i + 1 == len(trace):
            peak = max(peak, live)
            most = max(most, heap.footprint)
    return most, heap.stats().peak_footprint


def compare_footprint(trace: Trace, **options) -> FootprintComparison:
    """The real libmimalloc's peak footprint on ``trace`` and memlab's, read at the same operations."""
    real = Production("libmimalloc").replay(trace, repeat=1)
    if real.stopped:
        raise ProductionUnavailable(f"libmimalloc stopped: {real.stopped}")
    return FootprintComparison(trace.name, real.heap_bytes, *memlab_footprint(trace, **options))


__all__ = [
    "FootprintComparison",
    "PageComparison",
    "ProductionUnavailable",
    "available",
    "compare",
    "compare_footprint",
    "memlab_footprint",
    "memlab_pages",
    "real_pages",
]
