"""Speed of the thread-caching allocator (TCMalloc) against the C library's malloc/free, same run.

Both sides are called from Python (the simulated allocator directly, glibc through ctypes), so
the ratio compares like with like. Target: tcmalloc within 5x of malloc/free per operation.
Program (seeded): random sizes of 1 to 512 bytes, about 200 blocks live, all freed at the end.
Also the same program spread over four simulated threads, and without thread caches, to show
what the lock counting and the thread switch cost.

Run: ``python benchmarks/bench_tcmalloc.py``
"""

from __future__ import annotations

from common import best_of, glibc_us_per_op, random_ops, table, us_per_op

from memlab.allocators.tcmalloc.tcmalloc import TCMalloc
from memlab.allocators.tcmalloc.threads import run_threads

N = 200_000


def threaded_us(heap_factory, threads: int, ops: int) -> float:
    return best_of(lambda: run_threads(heap_factory(), threads=threads, ops=ops, seed=3), 3) / ops * 1e6


def main() -> None:
    ops = random_ops(N, seed=7, max_size=512, live=200)
    theirs = glibc_us_per_op(ops)
    rows = []
    for label, make in (("tcmalloc", TCMalloc), ("tcmalloc, no thread caches", lambda: TCMalloc(thread_caches=False))):
        heap = make()
        ours = us_per_op(heap.alloc, heap.free, ops)
        rows.append((label, ours, theirs or float("nan"), ours / theirs if theirs else float("nan")))
    print(f"{N} operations (about half alloc, half free), best of 3\n")
    print(table(rows, ["allocator", "us/op", "glibc us/op", "ratio"]))
    ratio = rows[0][3]
    print(f"\ntarget: tcmalloc <= 5x glibc: {ratio:.2f}x, {'meets' if ratio <= 5 else 'misses'} it")
    n = 50_000
    cached = threaded_us(TCMalloc, 4, n)
    single = threaded_us(lambda: TCMalloc(thread_caches=False), 4, n)
    print(f"\n{n} operations over 4 simulated threads (schedule and thread switches included)")
    print(table([("tcmalloc", cached), ("tcmalloc, no thread caches", single)], ["", "us/op"]))


if __name__ == "__main__":
    main()
