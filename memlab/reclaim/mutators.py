"""The course's workloads for collectors: seeded programs that allocate, store and let go.

In the literature the program is the *mutator*: it changes the object graph while the collector
tries to keep up. Each workload here runs on any tracing heap and returns it; :func:`measure`
runs one and reports the pauses in work units (see :mod:`.collector`), so that stop-the-world,
generational and incremental collection can be compared on the same program.

* :func:`churn` is notebook 18's program: 100 objects stay in use while 2,000 die young, some of
  them in cycles. The generational hypothesis holds.
* :func:`queue` keeps a first-in first-out list of ``length`` objects: each new object is
  appended at the tail (a store into the youngest old object) and the oldest is dropped, so every
  object lives exactly ``length`` allocations. With a nursery smaller than that, every object is
  promoted and dies old: the hypothesis fails.
* :func:`tree` grows a binary tree that is never freed: nothing dies at all.

:func:`half_marked` sets the scene of notebook 23's lost object on an incremental heap.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from .objects import Heap, ScopeFrame


def churn(heap: Heap, steps: int = 2000, live: int = 100, seed: int = 1) -> Heap:
    """``live`` objects in a list stay; ``steps`` objects die young, 30% of them in a self-cycle."""
    rng = random.Random(seed)
    node = heap.type("Node", ["next", "int value"])
    with heap.scope("main") as s:
        s.keep = heap.new(node, name="k0")
        cur = s.keep
        for i in range(1, live):
            cur.next = heap.new(node, name=f"k{i}")
            cur = cur.next
        for i in range(steps):
            with heap.scope("work") as w:
                w.x = heap.new(node, name=f"t{i}")
                if rng.random() < 0.3:
                    w.x.next = w.x
    return heap


def queue(heap: Heap, steps: int = 2000, length: int = 60) -> Heap:
    """A first-in first-out list of ``length`` objects: every object lives ``length`` allocations."""
    node = heap.type("Node", ["next", "int value"])
    with heap.scope("main") as s:
        s.head = heap.new(node, name="q0")
        s.tail = s.head
        for i in range(1, steps):
            s.tail.next = heap.new(node, name=f"q{i}", value=i)
            s.tail = s.tail.next
            if i >= length:
                s.head = s.head.next
    return heap


def tree(heap: Heap, size: int = 600) -> Heap:
    """A binary tree of ``size`` objects, built breadth first and never freed."""
    node = heap.type("Node", ["left", "right"])
    with heap.scope("main") as s:
        s.root = heap.new(node, name="n0")
        level = [s.root]
        made = 1
        while made < size:
            below = []
            for parent in level:
                for side in ("left", "right"):
                    if made < size:
                        setattr(parent, side, heap.new(node, name=f"n{made}"))
                        below.append(getattr(parent, side))
                        made += 1
            level = below
        heap.globals.root = s.root  # keep it past the scope
    return heap


def half_marked(heap: Heap) -> ScopeFrame:
    """``a -> b -> c`` held by ``main.a`` on an incremental heap, and one increment of marking done.

    After it ``a`` is black, ``b`` gray and ``c`` white: the moment at which a program can hide
    ``c`` from a collector that has no barrier. Returns the scope ``main`` (the type is ``Node``,
    with fields ``left`` and ``right``).
    """
    node = heap.type("Node", ["left", "right"])
    s = heap.scope("main")
    s.a = heap.new(node, name="a")
    s.a.left = heap.new(node, name="b")
    s.a.left.left = heap.new(node, name="c")
    heap.increment()  # start: a gray
    heap.increment()  # scan a: a black, b gray
    return s


WORKLOADS: dict[str, Callable[[Heap], Heap]] = {"churn": churn, "queue": queue, "tree": tree}


@dataclass(frozen=True, slots=True)
class Measurement:
    """What one collector did on one workload, in work units (objects scanned, copied or swept)."""

    collector: str
    workload: str
    collections: int  # whole collections (cycles, for an incremental collector)
    pauses: int
    longest: int  # the longest pause
    total: int  # the work of every pause together
    barrier_runs: int  # stores that went through a write barrier while it was on
    peak_bytes: int  # the most bytes objects held at once (garbage not yet freed included)

    @property
    def mean(self) -> float:
        return self.total / self.pauses if self.pauses else 0.0


def measure(label: str, scheme: str, workload: str, **options: object) -> Measurement:
    """Run ``workload`` on ``Heap(scheme, **options)`` and sum up its pauses."""
    heap = WORKLOADS[workload](Heap(scheme, **options))
    work = [p.work for p in heap.history]
    return Measurement(
        label,
        workload,
        heap.counters["collections"],
        len(work),
        max(work, default=0),
        sum(work),
        heap.counters["barrier runs"],
        heap.allocator.stats().peak_live_bytes,
    )


__all__ = ["WORKLOADS", "Measurement", "churn", "half_marked", "measure", "queue", "tree"]
