"""Synthetic traces, seeded, in the spirit of Wilson et al.'s survey (1995) and malloclab's.

Wilson's point: real programs are not random. Their live memory follows a few shapes, and
objects born together tend to die together:

* **ramp** — data accumulates and is rarely freed (live memory climbs steadily);
* **peaks** — a phase builds a large structure and throws it away, again and again;
* **plateau** — the program builds its data quickly and then works on it for a long time;
* **phases** — each phase has its own few favourite sizes; most of its objects die with it.

Beside them, the kinds of test trace malloclab uses: **random** (uniform sizes, random frees,
the model Wilson warns against), **binary** (small and large blocks interleaved, the large ones
freed, then bigger ones asked for — holes too small to reuse), **coalescing** (neighbours freed
and their combined size asked for) and **realloc** (a growing buffer with a small object just
past it, as in malloclab's ``realloc-bal``).

Every generator takes ``ops`` (about how many operations) and ``seed``, returns a balanced
:class:`~memlab.traces.Trace` (everything is freed at the end) and is deterministic.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from .rep import ALLOC, FREE, REALLOC, Op, Trace

# A handful of sizes a real program favours: small records, strings, nodes, buffers.
_FAVOURITE = (16, 24, 32, 40, 48, 64, 96, 128, 256, 512, 1024, 4096)


class _Builder:
    """Keeps the live set while a generator writes operations."""

    def __init__(self, ops: int, seed: int) -> None:
        self.want, self.rng = ops, random.Random(seed)
        self.ops: list[Op] = []
        self.live: dict[int, int] = {}
        self.next = 0

    def room(self, n: int = 1) -> bool:
        """True while there is room for ``n`` more ops and the frees that end the trace."""
        return len(self.ops) + len(self.live) + n <= self.want

    def alloc(self, size: int) -> int:
        ident, self.next = self.next, self.next + 1
        self.live[ident] = size
        self.ops.append((ALLOC, ident, size))
        return ident

    def free(self, ident: int) -> None:
        del self.live[ident]
        self.ops.append((FREE, ident, 0))

    def realloc(self, ident: int, size: int) -> None:
        self.live[ident] = size
        self.ops.append((REALLOC, ident, size))

    def free_some(self, idents: list[int], keep: float = 0.0) -> list[int]:
        """Free ``idents`` (random order), keeping about ``keep`` of them; return the kept."""
        self.rng.shuffle(idents)
        kept = idents[: int(len(idents) * keep)]
        for ident in idents[len(kept) :]:
            self.free(ident)
        return kept

    def size(self, favourites: tuple[int, ...] = _FAVOURITE) -> int:
        """A size near one of the favourites (real sizes cluster)."""
        base = self.rng.choice(favourites)
        return max(1, base - self.rng.randrange(0, max(1, base // 8)))

    def trace(self, name: str) -> Trace:
        for ident in sorted(self.live):
            self.ops.append((FREE, ident, 0))
        self.live.clear()
        return Trace(self.ops, name)


def random_trace(ops: int = 10_000, seed: int = 0, *, max_size: int = 2048, live: int = 400) -> Trace:
    """Uniform random sizes from 1 to ``max_size``, each block freed at a random later time."""
    b = _Builder(ops, seed)
    while b.room():
        if not b.live or (len(b.live) < live and b.rng.random() < 0.5):
            b.alloc(b.rng.randint(1, max_size))
        else:
            b.free(b.rng.choice(list(b.live)))
    return b.trace(f"random-{seed}")


def ramp(ops: int = 10_000, seed: int = 0, *, temporary: float = 0.6) -> Trace:
    """Live memory climbs: a share of ``temporary`` objects dies young, the rest stays."""
    b = _Builder(ops, seed)
    young: list[int] = []
    while b.room():
        ident = b.alloc(b.size())
        if b.rng.random() < temporary:
            young.append(ident)
        if len(young) > 8 and b.room():
            b.free(young.pop(b.rng.randrange(len(young))))
    return b.trace(f"ramp-{seed}")


def peaks(ops: int = 10_000, seed: int = 0, *, count: int = 5) -> Trace:
    """``count`` times: build a structure of one phase's sizes, then free nearly all of it."""
    b = _Builder(ops, seed)
    per_peak = max(2, ops // (2 * count))
    while b.room():
        sizes = tuple(b.rng.sample(_FAVOURITE[:9], 3))
        built = [b.alloc(b.size(sizes)) for _ in range(per_peak) if b.room()]
        b.free_some(built, keep=0.02)
    return b.trace(f"peaks-{seed}")


def plateau(ops: int = 10_000, seed: int = 0, *, level: int = 1500) -> Trace:
    """Build ``level`` objects quickly, then replace random ones with similar sizes for a long time."""
    b = _Builder(ops, seed)
    while b.room() and len(b.live) < level:
        b.alloc(b.size())
    while b.room():
        victim = b.rng.choice(list(b.live))
        size = b.live[victim]
        b.free(victim)
        if b.room():
            b.alloc(max(1, size + b.rng.randint(-size // 4, size // 4)))
    return b.trace(f"plateau-{seed}")


def phases(ops: int = 10_000, seed: int = 0, *, count: int = 4, survive: float = 0.05) -> Trace:
    """Phases with their own sizes; objects of a phase die at its end, except a ``survive`` share."""
    b = _Builder(ops, seed)
    per_phase = max(4, ops // count)
    while b.room():
        sizes = tuple(b.rng.sample(_FAVOURITE, 4))
        born: list[int] = []
        start = len(b.ops)
        while b.room() and len(b.ops) - start < per_phase * 0.7:
            born.append(b.alloc(b.size(sizes)))
            if len(born) > 4 and b.rng.random() < 0.3:
                b.free(born.pop(b.rng.randrange(len(born))))
        b.free_some(born, keep=survive)
    return b.trace(f"phases-{seed}")


def binary(ops: int = 10_000, seed: int = 0, *, small: int = 24, large: int = 400) -> Trace:
    """Pairs (small, large); free every large block; then ask for blocks a bit bigger than ``large``."""
    b = _Builder(ops, seed)
    pairs = max(1, (ops - 2) // 5)
    bigs = []
    for _ in range(pairs):
        b.alloc(small + b.rng.randrange(8))
        bigs.append(b.alloc(large + b.rng.randrange(32)))
    for ident in bigs:
        b.free(ident)
    while b.room():
        b.alloc(large + 64 + b.rng.randrange(64))
    return b.trace(f"binary-{seed}")


def coalescing(ops: int = 10_000, seed: int = 0, *, size: int = 4000) -> Trace:
    """Allocate two neighbours, free both, allocate their combined size; repeat."""
    b = _Builder(ops, seed)
    while b.room(6):
        first, second = b.alloc(size), b.alloc(size)
        b.free(first)
        b.free(second)
        b.free(b.alloc(2 * size))
    return b.trace(f"coalescing-{seed}")


def realloc_trace(ops: int = 10_000, seed: int = 0, *, step: int = 64, buffers: int = 1) -> Trace:
    """A buffer grows by ``step`` bytes at a time (realloc) while a small object comes and goes.

    As in malloclab's ``realloc-bal`` trace: each round reallocs the buffer a little larger,
    allocates a small block and frees the previous one, so a small block always sits just past
    wherever the buffer ended. ``buffers=2`` grows two buffers in turns instead, a harder case
    that no allocator here serves well (whichever buffer is not last in the heap must move).
    """
    b = _Builder(ops, seed)
    grown = [b.alloc(step) for _ in range(buffers)]
    small: int | None = None
    while b.room(2):
        which = grown[b.rng.randrange(buffers)]
        b.realloc(which, b.live[which] + step)
        latest = b.alloc(b.size(_FAVOURITE[:6]))
        if small is not None:
            b.free(small)
        small = latest
    return b.trace(f"realloc-{seed}" if buffers == 1 else f"realloc{buffers}x-{seed}")


GENERATORS: dict[str, Callable[..., Trace]] = {
    "random": random_trace,
    "ramp": ramp,
    "peaks": peaks,
    "plateau": plateau,
    "phases": phases,
    "binary": binary,
    "coalescing": coalescing,
    "realloc": realloc_trace,
}
WILSON = ("ramp", "peaks", "plateau", "phases")
MALLOCLAB = ("random", "binary", "coalescing", "realloc")


def generate(kind: str, ops: int = 10_000, seed: int = 0, **options) -> Trace:
    """A synthetic trace by name (one of ``GENERATORS``)."""
    if kind not in GENERATORS:
        from ..errors import BadRequest

        raise BadRequest(f"no generator named {kind!r}; known: {', '.join(GENERATORS)}")
    return GENERATORS[kind](ops, seed, **options)


def suite(names: tuple[str, ...] = MALLOCLAB + WILSON, ops: int = 10_000, seed: int = 0) -> list[Trace]:
    """One trace of each kind, for tables and benchmarks."""
    return [generate(name, ops, seed) for name in names]
