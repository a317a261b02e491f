"""Replay speed on real traces: microseconds per operation and the ratio to glibc, same trace, same run.

Every allocator goes through the same replay loop (``memlab.traces.replay``); glibc's malloc,
free and realloc are called there through ctypes (``NativeHeap``, in this process, not the
native replayer that ``"glibc"`` names), so the Python overhead of the loop is on both sides of
the ratio. Each figure is the best of three replays. ``bench_production.py`` times the machine's
allocators natively.

Targets (issue "real workloads"): segregated fit within 5x glibc per operation; pool and bump
within 2x. A pool serves one size only, so pool and bump are timed on a fixed-size trace
(64-byte blocks, random frees), beside glibc on the same trace. Last, what recording costs
during a replay: off, events only, events with a snapshot each.

Run: ``python benchmarks/bench_replay.py`` (or ``python benchmarks/run.py replay``)
"""

from __future__ import annotations

import random

from common import table

import memlab
from memlab.traces import from_ops, general_purpose, replay, shipped
from memlab.traces.native import NativeHeap, available

REPEAT = 3
SEGREGATED = "freelist:list=segregated"
TARGETS = {SEGREGATED: 5.0, "pool:size=64": 2.0, "bump": 2.0}


def fixed_size_trace(n: int = 100_000, size: int = 64, live: int = 200, seed: int = 5):
    """``n`` operations on blocks of one size, about ``live`` held, freed in random order."""
    rng = random.Random(seed)
    ops, held, next_id = [], [], 0
    while len(ops) + len(held) < n:
        if not held or (len(held) < live and rng.random() < 0.5):
            ops.append(("a", next_id, size))
            held.append(next_id)
            next_id += 1
        else:
            ops.append(("f", held.pop(rng.randrange(len(held))), 0))
    ops += [("f", i, 0) for i in held]
    return from_ops(ops, f"fixed-{size}")


def us_per_op(trace, spec) -> float:
    """Microseconds per operation, best of ``REPEAT``; ``spec`` "glibc" is glibc through ctypes."""
    target = (lambda: NativeHeap()) if spec == "glibc" else (lambda: spec)
    best = max(replay(trace, target(), progress=False, label=spec).ops_per_second for _ in range(REPEAT))
    return 1e6 / best


def speed_table(traces, specs) -> list[tuple]:
    rows = []
    for trace in traces:
        base = us_per_op(trace, "glibc")
        rows.append((trace.name, "glibc", base, 1.0, ""))
        for spec in specs:
            us = us_per_op(trace, spec)
            target = TARGETS.get(spec)
            verdict = "" if target is None else f"<= {target:g}x: {'yes' if us / base <= target else 'NO'}"
            rows.append((trace.name, spec, us, us / base, verdict))
    return rows


def recording_rows(trace) -> list[tuple]:
    def timed(mode):
        best = 0.0
        for _ in range(REPEAT):
            heap = memlab.allocator("freelist", list="segregated")
            if mode is None:
                r = replay(trace, heap, progress=False)
            else:
                with heap.record(snapshots=mode == "snapshots"):
                    r = replay(trace, heap, progress=False)
            best = max(best, r.ops_per_second)
        return 1e6 / best

    off, events, snapshots = timed(None), timed("events"), timed("snapshots")
    return [
        ("off", off, 1.0),
        ("events only", events, events / off),
        ("events + snapshots", snapshots, snapshots / off),
    ]


def main() -> None:
    if available() is not None:
        print(f"skipped: {available()}")
        return
    specs = [SEGREGATED if s == "freelist" else s for s in general_purpose()]
    real = [shipped.load(name) for name in ("cc1-hello", "ls-zoneinfo", "python-startup")]
    print("Real traces: microseconds per operation, and the ratio to glibc on the same trace\n")
    print(table(speed_table(real, specs), ["trace", "allocator", "us/op", "x glibc", "target"]))
    fixed = fixed_size_trace()
    print(f"\nOne block size ({fixed.name}, {len(fixed):,} ops): pool and bump against glibc\n")
    print(
        table(
            speed_table([fixed], ["pool:size=64", "bump", SEGREGATED]),
            ["trace", "allocator", "us/op", "x glibc", "target"],
        )
    )
    small = shipped.load("sort")
    print(f"\nRecording during a replay ({SEGREGATED}, {small.name}, {len(small):,} ops)\n")
    print(table(recording_rows(small), ["recording", "us/op", "x off"]))


if __name__ == "__main__":
    main()
