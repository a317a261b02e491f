"""Speed of the runtimes' allocators (pymalloc, mimalloc) on real traces, against glibc and freelist, same run.

Every allocator goes through the same replay loop (``memlab.traces.replay``), glibc through ctypes
(``NativeHeap``), so the Python overhead of the loop is on both sides of the ratios; each figure
is the best of three replays. The traces: the four shipped real programs, and the three shipped
recordings of the real interpreter's own allocation calls (``memlab.traces.cpython``), the
workload pymalloc was built for. Beside them memlab's segregated free list, the usual
general-purpose baseline, and TCMalloc, the closest relative. Last, mimalloc and TCMalloc on
four simulated threads, where a free from another thread costs mimalloc an atomic push and
TCMalloc a lock.

No target: the ratios are reported, to be read against ``bench_replay.py``'s.

Run: ``python benchmarks/bench_runtimes.py`` (or ``python benchmarks/run.py runtimes``)
"""

from __future__ import annotations

from bench_replay import REPEAT, SEGREGATED
from common import best_of, table

from memlab.allocators.mimalloc import MiMalloc
from memlab.allocators.pymalloc import PyMalloc
from memlab.allocators.tcmalloc import TCMalloc, run_threads
from memlab.traces import cpython, replay, shipped
from memlab.traces.native import NativeHeap, available

LIMIT = 256 << 20  # simulated memory, room for every trace here
SPECS = {
    SEGREGATED: lambda: SEGREGATED,
    "tcmalloc": lambda: TCMalloc(limit=LIMIT),
    "pymalloc": lambda: PyMalloc(limit=LIMIT),
    "mimalloc": lambda: MiMalloc(limit=LIMIT),
}


def us_per_op(trace, make) -> float:
    """Microseconds per operation of a fresh allocator from ``make()``, best of ``REPEAT``."""
    best = max(replay(trace, make(), progress=False).ops_per_second for _ in range(REPEAT))
    return 1e6 / best


def rows_for(traces) -> list[tuple]:
    rows = []
    for trace in traces:
        glibc = us_per_op(trace, NativeHeap)
        freelist = us_per_op(trace, SPECS[SEGREGATED])
        rows.append((trace.name, len(trace), "glibc", glibc, 1.0, glibc / freelist))
        for name, make in SPECS.items():
            us = freelist if name == SEGREGATED else us_per_op(trace, make)
            rows.append((trace.name, len(trace), name, us, us / glibc, us / freelist))
    return rows


def threaded_us(make, threads: int, ops: int) -> float:
    return best_of(lambda: run_threads(make(), threads=threads, ops=ops, seed=3), REPEAT) / ops * 1e6


def main() -> None:
    if available() is not None:
        print(f"skipped: {available()}")
        return
    header = ["trace", "ops", "allocator", "us/op", "x glibc", "x freelist"]
    real = [shipped.load(name) for name in shipped.names()]
    print(f"Real programs: microseconds per operation; ratios to glibc and to {SEGREGATED}\n")
    print(table(rows_for(real), header))
    recordings = [cpython.load(name).trace for name in cpython.names()]
    print("\nThe real interpreter's own calls (shipped CPython recordings), same measures\n")
    print(table(rows_for(recordings), header))
    n = 20_000
    tc = threaded_us(lambda: TCMalloc(limit=LIMIT), 4, n)
    mi = threaded_us(lambda: MiMalloc(limit=LIMIT), 4, n)
    print(f"\n{n:,} operations over 4 simulated threads (schedule and thread switches included)\n")
    print(table([("tcmalloc", tc, 1.0), ("mimalloc", mi, mi / tc)], ["", "us/op", "x tcmalloc"]))


if __name__ == "__main__":
    main()
