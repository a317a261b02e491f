"""Free-list heap speed: segregated fits against glibc, and the implicit list's O(n) search.

Two tables, both measured in this run:

1. Segregated fits (CS:APP 9.9.14), explicit and implicit lists on 100,000 seeded random
   operations (``common.random_ops``: sizes 1-512 bytes, about 200 blocks live): microseconds
   per operation and the ratio to the machine's own malloc/free, called through ctypes on the
   same program (so the Python call is on both sides of the ratio). Target (issue "allocation
   strategies I"): segregated fits within 5x glibc per operation. The explicit and segregated
   lists run the fast path in C where it was built at install ("(C)"), else in Python; with C
   built, segregated fits are also timed on the Python fast path, for comparison.
2. Search cost against heap size: N live blocks with N small holes between them, then requests
   no hole can serve. The implicit list walks every block, allocated or free (O(all blocks));
   the explicit list walks the free blocks (O(free blocks)), but its LIFO order puts the
   heap's end, just freed and merged, first, so only its first search walks all the holes;
   segregated fits look in the request's size class and the next ones: flat.

Run: ``python benchmarks/bench_freelist.py`` (or ``python benchmarks/run.py freelist``)
"""

from __future__ import annotations

import random
import time

from common import best_of, glibc_us_per_op, random_ops, replay, table

import memlab
from memlab.allocators.freelist import fast as freelist_fast

OPS = 100_000
TARGET = 5.0
LISTS = ("segregated", "explicit", "implicit")
SIZES = (500, 1000, 2000, 4000)
"""Live blocks in the search-cost table (the implicit list's set-up is quadratic: kept modest)."""
SEARCHES = 1000


def heap(kind: str):
    return memlab.allocator("freelist", list=kind)


def speed_rows() -> list[tuple]:
    ops = random_ops(OPS, seed=1)
    base = glibc_us_per_op(ops, repeat=5)
    if base is None:
        return []
    rows = [("glibc malloc/free (ctypes)", base, 1.0, "")]
    compiled = freelist_fast.COMPILED
    runs = [(kind, compiled) for kind in LISTS]
    if compiled is not None:  # the Python fast path too, for comparison
        runs.insert(1, ("segregated", None))
    for kind, fast in runs:
        freelist_fast.COMPILED = fast

        def run(kind=kind):
            h = heap(kind)
            replay(h.alloc, h.free, ops)

        us = best_of(run, 5 if kind != "implicit" else 2) / len(ops) * 1e6
        verdict = f"<= {TARGET:g}x: {'yes' if us / base <= TARGET else 'NO'}" if (kind, fast) == runs[0] else ""
        path = "" if kind == "implicit" else " (C)" if fast is not None else " (Python)"
        rows.append((f"freelist:list={kind}{path}", us, us / base, verdict))
    freelist_fast.COMPILED = compiled
    return rows


def holey(kind: str, n: int, seed: int = 3):
    """A heap with ``n`` live blocks and a small hole (1-240 bytes) before each."""
    h, rng = heap(kind), random.Random(seed)
    holes = []
    for _ in range(n):
        holes.append(h.alloc(rng.randint(1, 240)))
        h.alloc(rng.randint(1, 512))
    for bp in holes:
        h.free(bp)
    return h


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
    cost = {(kind, n): search_cost(kind, n) for kind in LISTS for n in SIZES}
    rows = []
    for kind in LISTS:
        first = cost[kind, SIZES[0]][1]
        for n in SIZES:
            examined, us = cost[kind, n]
            rows.append((f"freelist:list={kind}", n, round(examined, 1), us, us / first))
    return rows


def main() -> None:
    rows = speed_rows()
    if not rows:
        print("skipped the glibc comparison: no C library found")
    else:
        print(f"{OPS:,} seeded random operations: microseconds per operation, ratio to glibc (same run)\n")
        print(table(rows, ["allocator", "us/op", "x glibc", "target"]))
    print(f"\nSearch cost against heap size: N live blocks, N holes no request fits, {SEARCHES} alloc+free\n")
    print(table(scaling_rows(), ["allocator", "live blocks", "examined/search", "us/op", f"x at {SIZES[0]}"]))


if __name__ == "__main__":
    main()
