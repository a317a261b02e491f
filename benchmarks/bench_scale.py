"""Scale: does a replay of 1,000,000 operations cost ten times one of 100,000?

The same seeded generator (Wilson's "plateau": build about 1,500 objects, then replace random
ones for a long time) gives both traces, so the live set, and with it the work per operation,
stays the same; only the length grows. Linear scaling shows as a time ratio near 10 (the same
microseconds per operation). glibc is measured in the same run, as a reference for the replay
loop itself. Generating and validating the traces is timed too.

Run: ``python benchmarks/bench_scale.py`` (or ``python benchmarks/run.py scale``)
"""

from __future__ import annotations

import time

from common import table

from memlab.traces import generate, replay
from memlab.traces.native import available

SPECS = ["freelist:list=segregated", "buddy", "tcmalloc"]
SIZES = (100_000, 1_000_000)


def main() -> None:
    traces = {}
    for n in SIZES:
        start = time.perf_counter()
        traces[n] = generate("plateau", n, seed=7)
        print(f"generated and validated {len(traces[n]):,} ops in {time.perf_counter() - start:.1f} s")
    specs = (["glibc"] if available() is None else []) + SPECS
    rows = []
    for spec in specs:
        seconds = [len(traces[n]) / replay(traces[n], spec, progress=False).ops_per_second for n in SIZES]
        small, large = seconds
        rows.append((spec, small * 1e6 / SIZES[0], large * 1e6 / SIZES[1], large / small))
    print()
    print(table(rows, ["allocator", "us/op at 100k", "us/op at 1M", "time 1M / 100k (linear: 10)"]))


if __name__ == "__main__":
    main()
