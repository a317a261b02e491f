"""How fast a frame is drawn: one heap map of 1,000 blocks, one object graph of 100 nodes.

A player redraws one frame per step, so a frame must cost far less than the eye notices.
Budgets: a 1,000-block heap in 20 ms, a 100-node graph in 50 ms. The baseline, measured in
the same run, is the least any SVG of that many shapes costs in Python: formatting one
``<rect>`` string per block (or node and edge) and joining them.

Run: ``python benchmarks/bench_render.py``
"""

from __future__ import annotations

import random

from common import best_of, table

import memlab
from memlab.reclaim.snapshot import Edge, GraphSnapshot, Node, Variable
from memlab.viz.graph import graph_svg
from memlab.viz.heapmap import heap_svg

HEAP_BUDGET_MS, GRAPH_BUDGET_MS = 20.0, 50.0


def heap_of(blocks: int):
    """A free-list heap with about ``blocks`` blocks, every other one freed."""
    heap = memlab.allocator("freelist", list="explicit", fit="first")
    rng = random.Random(7)
    addresses = [heap.alloc(rng.randrange(8, 200)) for _ in range(blocks)]
    for a in addresses[::2]:
        heap.free(a)
    return heap.snapshot()


def graph_of(nodes: int) -> GraphSnapshot:
    """A seeded object graph: a tree from a few roots plus some cross and weak edges."""
    rng = random.Random(11)
    states = ("live", "live", "live", "freed")
    all_nodes = tuple(
        Node(i, f"o{i}", "Node", 0x1000 + 32 * i, 32, rng.choice(states), (("rc", rng.randrange(0, 4)),))
        for i in range(1, nodes + 1)
    )
    edges = [Edge(rng.randrange(1, i), i, f"f{i % 3}") for i in range(2, nodes + 1)]
    edges += [Edge(rng.randrange(1, nodes + 1), rng.randrange(1, nodes + 1), "back", "weak") for _ in range(nodes // 5)]
    roots = tuple(Variable("main", f"v{i}", "local", i) for i in (1, 2, 3))
    return GraphSnapshot("refcount", 1, all_nodes, tuple(edges), roots)


def floor_ms(shapes: int) -> float:
    """The baseline: one formatted rect string per shape, joined."""

    def draw():
        return "".join(f'<rect x="{i}" y="{i % 40}" width="10" height="10" fill="#0072B2"/>' for i in range(shapes))

    return best_of(draw, repeat=20) * 1e3


def main() -> None:
    snap = heap_of(1000)
    graph = graph_of(100)
    heap_ms = best_of(lambda: heap_svg(snap), repeat=20) * 1e3
    graph_ms = best_of(lambda: graph_svg(graph), repeat=20) * 1e3
    heap_floor, graph_floor = floor_ms(len(snap.blocks)), floor_ms(len(graph.nodes) + len(graph.edges))
    rows = [
        (f"heap map, {len(snap.blocks)} blocks", heap_ms, heap_floor, heap_ms / heap_floor, HEAP_BUDGET_MS),
        (f"object graph, {len(graph.nodes)} nodes", graph_ms, graph_floor, graph_ms / graph_floor, GRAPH_BUDGET_MS),
    ]
    print(table(rows, ["frame", "ms", "baseline ms", "ratio to baseline", "budget ms"]))
    for name, ms, _, _, budget in rows:
        print(f"{name}: {'within' if ms <= budget else 'OVER'} its {budget:.0f} ms budget")


if __name__ == "__main__":
    main()
