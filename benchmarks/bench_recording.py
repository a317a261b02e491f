"""What recording costs: nothing when no recorder is attached.

Allocators guard every emission with ``if self.recorder is not None``, so with no recorder not
even an event object is built. This benchmark runs the same seeded program on a bump allocator
(the cheapest operations, so any overhead shows most) and prints ratios measured in this run:

* no recorder, run twice (A/A): the noise of the measurement itself;
* the guards alone: the cost of the ``is not None`` checks an operation executes, timed in a loop;
* a recorder keeping events only, and one keeping a snapshot per event.

Run: ``python benchmarks/bench_recording.py``
"""

from __future__ import annotations

import timeit

from common import best_of, random_ops, replay, table

import memlab

OPS = random_ops(50_000, seed=3, max_size=64, live=100)


def run(recorder: str | None) -> float:
    def once():
        heap = memlab.allocator("bump", size=1 << 22)
        if recorder is None:
            replay(heap.alloc, heap.free, OPS)
        else:
            with heap.record(snapshots=recorder == "snapshots"):
                replay(heap.alloc, heap.free, OPS)

    return best_of(once, repeat=5) / len(OPS) * 1e6


def guard_us() -> float:
    """Microseconds for the one guard an alloc or free executes."""
    heap = memlab.allocator("bump", size=64)
    n = 1_000_000
    t = timeit.timeit("heap.recorder is not None", globals={"heap": heap}, number=n)
    empty = timeit.timeit("heap", globals={"heap": heap}, number=n)
    return max(0.0, t - empty) / n * 1e6


def main() -> None:
    off_a, off_b = run(None), run(None)
    base = min(off_a, off_b)
    guard = guard_us()
    events, snapshots = run("events"), run("snapshots")
    rows = [
        ("no recorder (run A)", off_a, off_a / base),
        ("no recorder (run B)", off_b, off_b / base),
        ("the guards alone", guard, (base + guard) / base),
        ("recorder, events only", events, events / base),
        ("recorder, events + snapshots", snapshots, snapshots / base),
    ]
    print(f"bump allocator, {len(OPS)} operations of a seeded program\n")
    print(table(rows, ["configuration", "us/op", "ratio to no recorder"]))
    noise = abs(off_a - off_b) / base
    print(f"\nA/A noise: {noise:.1%}; the guard is {guard / base:.1%} of an operation", end=" ")
    print("(below the noise: unmeasurable)" if guard / base <= max(noise, 0.02) else "")


if __name__ == "__main__":
    main()
