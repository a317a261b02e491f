"""Pauses of stop-the-world, generational and incremental collection, and how long real blocks live.

Part 1 runs the course's three workloads (``memlab.reclaim.mutators``: churn, where most objects
die young; queue, where every object lives 60 allocations; tree, where nothing dies) under four
collectors, and measures pauses in work units (objects marked, scanned, copied or swept; a wall
clock would vary from run to run): how many collections and pauses, the longest pause, the total
work, each as a ratio to stop-the-world mark-sweep on the same workload in this run, and the most
bytes the objects held at once. Part 2 tests the generational hypothesis on the real programs'
traces that ship with memlab: the share of blocks that die within N allocations of their birth.

Run: ``python benchmarks/run.py pauses`` (or ``python benchmarks/bench_pauses.py``)
"""

from __future__ import annotations

from common import table

from memlab.reclaim.mutators import WORKLOADS, measure
from memlab.traces import shipped
from memlab.traces.lifetimes import survival

COLLECTORS = {
    "stop-the-world mark-sweep": ("mark-sweep", dict(threshold=2048, allocator="freelist")),
    "generational": ("generational", dict(nursery=1024, promote_age=2, threshold=2048)),
    "incremental, Dijkstra": ("incremental", dict(barrier="dijkstra", slice=8, threshold=2048)),
    "incremental, Yuasa": ("incremental", dict(barrier="yuasa", slice=8, threshold=2048)),
}
HORIZONS = (1, 10, 100, 1000, 10000)


def pauses() -> str:
    rows = []
    for workload in WORKLOADS:
        baseline = None
        for label, (scheme, options) in COLLECTORS.items():
            m = measure(label, scheme, workload, **options)
            baseline = baseline or m
            rows.append(
                (
                    workload,
                    label,
                    m.collections,
                    m.pauses,
                    m.longest,
                    f"{m.longest / baseline.longest:.2f}",
                    m.total,
                    f"{m.total / baseline.total:.2f}",
                    m.barrier_runs,
                    m.peak_bytes,
                )
            )
    header = ["workload", "collector", "collections", "pauses", "longest", "x STW", "total", "x STW"]
    return table(rows, [*header, "barrier", "peak B"])


def lifetimes() -> str:
    rows = []
    for trace in shipped.load_all():
        s = survival(trace, HORIZONS)
        rows.append((trace.name, s.blocks, *(f"{100 * share:.1f}%" for _, share in s.dead_within),
                     f"{100 * s.never_freed:.1f}%"))  # fmt: skip
    return table(rows, ["trace", "blocks", *(f"dead within {n}" for n in HORIZONS), "never freed"])


def main() -> None:
    print("Pauses in work units (x STW: ratio to stop-the-world mark-sweep on the same workload)\n")
    print(pauses())
    print("\nThe generational hypothesis on the shipped traces (lifetimes counted in allocations)\n")
    print(lifetimes())


if __name__ == "__main__":
    main()
