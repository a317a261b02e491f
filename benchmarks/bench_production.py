"""The machine's production allocators on the shipped real traces: native ns/op, warm and cold, against glibc.

Each allocator replays the trace natively, in processes of its own (``memlab.traces.production``):
the fastest of three runs counts, and each run times a cold pass (the allocator takes memory from
the OS, the kernel maps each page at its first touch) and two warm passes (the allocator alone).
glibc, the baseline, is measured in the same run, on the same trace. Utilization by the
allocators' own statistics and by the resident set is printed beside, to show what the speed costs.

Run: ``python benchmarks/bench_production.py`` (or ``python benchmarks/run.py production``)
"""

from __future__ import annotations

from common import table

from memlab.traces import production, replay, shipped


def main() -> None:
    names = [name for name in production.names() if production.available(name) is None]
    for name in production.names():
        if name not in names:
            print(f"skipped {name}: {production.available(name)}")
    if "glibc" not in names:
        print("skipped: no baseline (glibc cannot be replayed natively here)")
        return
    rows = []
    for trace in shipped.load_all():
        results = {name: replay(trace, name) for name in names}
        base = results["glibc"]
        for name, r in results.items():
            warm, cold = r.ns_per_op, r.ns_per_op_cold
            speed = (warm, warm / base.ns_per_op, cold, cold / base.ns_per_op_cold)
            rows.append((trace.name, name, *speed, r.utilization, r.peak_live_bytes / r.heap_bytes_rss))
    header = ["trace", "allocator", "ns/op", "x glibc", "cold ns/op", "x glibc", "util", "util (RSS)"]
    print("Native replay of the shipped traces: warm and cold ns per operation, and the ratio to glibc\n")
    print(table(rows, header))


if __name__ == "__main__":
    main()
