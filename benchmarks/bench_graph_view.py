"""How fast the object-graph view draws: a 100-object graph, against the heap snapshot it draws.

A player redraws the graph on every step, so drawing must stay well below a frame of an
animation. This prints the time to take a snapshot of a 100-object heap (the baseline, measured
in this run) and the time to draw it, with their ratio.

Run: ``python benchmarks/bench_graph_view.py``
"""

from __future__ import annotations

from common import best_of, table

from memlab.reclaim import Heap
from memlab.viz.graph import graph_svg


def tree(n: int = 100) -> Heap:
    """A binary tree of ``n`` objects with weak parent links, held by one variable."""
    heap = Heap("arc", allocator="bump:size=1048576")
    t = heap.type("T", ["left", "right", "weak up"])
    s = heap.scope("main")
    s.root = heap.new(t, name="n0")
    objs = [s.root]
    for i in range(1, n):
        o = heap.new(t, name=f"n{i}")
        setattr(objs[(i - 1) // 2], "left" if i % 2 else "right", o)
        o.up = objs[(i - 1) // 2]
        objs.append(o)
    return heap


def main() -> None:
    heap = tree()
    snap = heap.snapshot()
    take = best_of(heap.snapshot, repeat=20)
    draw = best_of(lambda: graph_svg(snap), repeat=20)
    rows = [
        ("snapshot of 100 objects", f"{take * 1e3:.2f} ms", 1.0),
        ("graph_svg of it", f"{draw * 1e3:.2f} ms", draw / take),
    ]
    print(table(rows, ["what", "best of 20", "x snapshot"]))


if __name__ == "__main__":
    main()
