"""Free-list heap speed: every named spec against glibc, the readable path, and the search cost.

Four tables, all measured in this run:

1. **Every spec the README or a notebook names** (``SPECS``): seconds to replay each of
   malloclab's four kinds of trace at 24,000 operations (``memlab.traces.generate``: random,
   binary, coalescing, realloc; the slowest is shown), and microseconds per operation on the
   shipped real traces with the ratio to glibc on the same trace (the worst trace is shown).
   glibc is replayed by the same loop, its malloc/free/realloc called through ctypes
   (``memlab.traces.native``), so the Python overhead of the loop is on both sides of the ratio.
   Targets (issue "the package along its concepts"): 2 s or less for a 24,000-operation trace,
   and within 5x of glibc per operation.
2. **The accelerated path without C** (what runs where no C compiler built ``_fast.c``, and in
   a browser under Pyodide): the same real traces, microseconds per operation.
3. **The readable path** (``heap.py`` and ``lists.py`` as written, the path a recording takes):
   microseconds per operation of a seeded random program, for one spec of each kind.
4. **Search cost against heap size**: N live blocks with N small holes between them, then
   requests no hole can serve. The implicit list reads every block, allocated or free (O(all
   blocks)); the explicit list reads the free blocks (O(free blocks)), but its LIFO order puts
   the heap's end, just freed and merged, first, so only its first search reads all the holes;
   segregated fits look in the request's size class and the next ones: flat.

Every figure is CPU time of the thread that replays (``time.thread_time``: glibc's replay runs on
a thread of its own, memlab's on the main one), the best of a few runs, so that other processes on
a busy machine do not inflate it; both sides of a ratio are timed alike.

Run: ``python benchmarks/bench_freelist.py`` (or ``python benchmarks/run.py freelist``);
``--quick`` runs table 1 on the real traces only and skips the others; ``--kinds binary`` (or any
of malloclab's kinds, comma-separated) times only those 24,000-operation traces.
"""

from __future__ import annotations

import random
import sys
import time

from common import best_of, random_ops, replay, table

import memlab
from memlab.allocators.freelist import fast as freelist_fast
from memlab.traces import generate, shipped
from memlab.traces import replay as replay_trace
from memlab.traces.native import NativeHeap, available

_replay_module = sys.modules["memlab.traces.replay"]


class _ThreadClock:
    """The replay loop's clock, read as the CPU time of the thread that replays."""

    perf_counter = staticmethod(time.thread_time)


_replay_module.time = _ThreadClock


SPECS = (
    "freelist",  # notebooks 01, 09, 10, 11, 13
    "freelist:fit=next",  # notebook 03 (all four fits)
    "freelist:fit=best",
    "freelist:fit=worst",
    "freelist:coalesce=deferred",  # notebook 04
    "freelist:footers=free",  # notebook 04
    "freelist:list=explicit",  # notebooks 02, 05, 12
    "freelist:list=explicit,order=address",  # notebooks 05, 12, 13
    "freelist:list=explicit,fit=best",  # notebooks 12, 19
    "freelist:list=segregated",  # notebooks 05, 06, 12, 19
    "freelist:fit=best,place=by-size",  # notebook 12
    "freelist:fit=best,place=by-size,grow=top-up",  # the README, for malloclab traces
    "freelist:list=explicit,fit=best,order=address,place=by-size,grow=top-up",  # notebook 12
    "freelist:list=explicit,fit=best,order=address,place=back,grow=top-up",  # README, notebook 12
    "freelist:list=explicit,fit=best,order=address,place=back,grow=top-up,footers=free",  # the README
)
MALLOCLAB = ("random", "binary", "coalescing", "realloc")
OPS = 24_000
REAL = ("cc1-hello", "ls-zoneinfo", "python-startup", "sort")
SECONDS, TIMES_GLIBC = 2.0, 5.0
READABLE_OPS = 4000


def seconds(trace, spec: str, budget: float = 0.5) -> float:
    """The fastest replay of ``trace`` through ``spec``: up to 20 runs while they stay within ``budget``.

    ``"glibc"`` is replayed in this process through ctypes (:class:`~memlab.traces.native.NativeHeap`),
    not by the production replayer, whose loop is C: the ratio wants the same Python loop on both sides.
    """
    best, spent, runs = float("inf"), 0.0, 0
    while runs < 20 and (spent < budget or not runs):
        r = (
            replay_trace(trace, NativeHeap(), label="glibc")
            if spec == "glibc"
            else replay_trace(trace, spec, progress=False)
        )
        if r.errors:
            raise SystemExit(f"{spec} on {trace.name}: {r.messages}")
        took = r.ops / r.ops_per_second
        best, spent, runs = min(best, took), spent + took, runs + 1
    return best


def spec_rows(specs, synthetic, real) -> list[tuple]:
    """Per spec: the slowest synthetic trace's seconds, and the real trace with the worst ratio to glibc."""
    glibc = {t.name: seconds(t, "glibc") / len(t) * 1e6 for t in real}
    rows = [("glibc", "", "", max(glibc.values()), 1.0, "")]
    for spec in specs:
        slowest = max(((seconds(t, spec), t.name) for t in synthetic), default=None)
        ratios = [(seconds(t, spec) / len(t) * 1e6, t.name) for t in real]
        worst = max(ratios, key=lambda r: r[0] / glibc[r[1]])
        ratio = worst[0] / glibc[worst[1]]
        if slowest is None:
            rows.append((spec, "", worst[1], worst[0], ratio, ""))
            continue
        verdict = "yes" if slowest[0] <= SECONDS and ratio <= TIMES_GLIBC else "NO"
        rows.append((spec, f"{slowest[0]:.2f} ({slowest[1]})", worst[1], worst[0], ratio, verdict))
    return rows


def readable_rows() -> list[tuple]:
    """The readable path: the heap with its accelerator taken off (as while someone records)."""
    ops = random_ops(READABLE_OPS, seed=2)
    rows = []
    for spec in SPECS:
        if spec.count(",") > 2:
            continue

        def run(spec=spec):
            h = memlab.allocator(spec)
            for name in ("_alloc", "_free", "_after_free", "_resize", "coalesce_all"):
                h.__dict__.pop(name, None)
            h._find = h.lists.find
            replay(h.alloc, h.free, ops)

        rows.append((spec, best_of(run, 3, time.thread_time) / len(ops) * 1e6))
    return rows


def holey(kind: str, n: int, seed: int = 3):
    """A heap with ``n`` live blocks and a small hole (1-240 bytes) before each."""
    h, rng = memlab.allocator("freelist", list=kind), random.Random(seed)
    holes = []
    for _ in range(n):
        holes.append(h.alloc(rng.randint(1, 240)))
        h.alloc(rng.randint(1, 512))
    for bp in holes:
        h.free(bp)
    return h


SIZES = (500, 1000, 2000, 4000)
SEARCHES = 1000


def search_cost(kind: str, n: int) -> tuple[float, float]:
    """(blocks examined per search, microseconds per operation) for requests no hole fits."""
    h = holey(kind, n)
    sizes = random.Random(5).choices(range(300, 513), k=SEARCHES)
    alloc, free = h.alloc, h.free
    before = h.search_stats()
    start = time.perf_counter()
    for size in sizes:
        free(alloc(size))  # the block comes from the heap's end and merges back: same state
    elapsed = time.perf_counter() - start
    after = h.search_stats()
    per_search = (after["examined"] - before["examined"]) / (after["searches"] - before["searches"])
    return per_search, elapsed / (2 * SEARCHES) * 1e6


def scaling_rows() -> list[tuple]:
    rows = []
    for kind in ("segregated", "explicit", "implicit"):
        first = None
        for n in SIZES:
            examined, us = search_cost(kind, n)
            first = first or us
            rows.append((f"freelist:list={kind}", n, round(examined, 1), us, us / first))
    return rows


def main(argv: list[str]) -> None:
    quick = "--quick" in argv
    kinds = argv[argv.index("--kinds") + 1].split(",") if "--kinds" in argv else MALLOCLAB
    if available() is not None:
        print(f"skipped: {available()}")
        return
    real = [shipped.load(name) for name in REAL]
    synthetic = [] if quick else [generate(kind, OPS, seed=1) for kind in kinds]
    compiled = freelist_fast.COMPILED
    path = "C" if compiled is not None else "Python (no C built)"
    print(f"1. Every named spec, accelerated path in {path}: the slowest of {', '.join(kinds)}")
    print(f"   at {OPS:,} operations, and the worst ratio to glibc on {', '.join(REAL)}\n")
    header = ["spec", f"s per {OPS // 1000}k ops", "worst real trace", "us/op", "x glibc", "targets"]
    print(table(spec_rows(SPECS, synthetic, real), header))
    if quick:
        return
    if compiled is not None:
        freelist_fast.COMPILED = None
        print("\n2. The accelerated path without C (as under Pyodide): real traces only\n")
        print(table(spec_rows(SPECS, [], real), header))
        freelist_fast.COMPILED = compiled
    print(f"\n3. The readable path (no accelerator, nobody recording): {READABLE_OPS:,} seeded random operations\n")
    print(table(readable_rows(), ["spec", "us/op"]))
    print(f"\n4. Search cost against heap size: N live blocks, N holes no request fits, {SEARCHES} alloc+free\n")
    print(table(scaling_rows(), ["allocator", "live blocks", "examined/search", "us/op", f"x at {SIZES[0]}"]))


if __name__ == "__main__":
    main(sys.argv[1:])
