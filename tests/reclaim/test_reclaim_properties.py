"""Every tracing collector, checked after every step of random programs.

A seeded random program (new objects, stores into fields and variables, scopes that open and
close, collections and increments asked for by hand) runs against each collector. Beside the
heap the test keeps its own model of the program: which object each field and each variable
refers to. After every step

* ``check()`` passes;
* no live object has been freed: every object the model reaches is allocated and live, and each
  of its fields reads back the object the model says;

and at the end, after one full collection, the objects still allocated are exactly those the
model reaches: every garbage object is freed eventually. With a write barrier switched off the
same programs are caught freeing a live object.
"""

from __future__ import annotations

import random

import pytest

from memlab.errors import HeapCorruption
from memlab.reclaim import DeadObject, Heap

COLLECTORS = {
    "mark-sweep": ("mark-sweep", dict(threshold=256, allocator="freelist")),
    "copying": ("copying", dict(semispace=4096)),
    "generational": ("generational", dict(nursery=256, promote_age=2, threshold=512)),
    "generational, promoting at once": ("generational", dict(nursery=192, promote_age=1, threshold=256)),
    "incremental, Dijkstra": ("incremental", dict(barrier="dijkstra", slice=2, threshold=256)),
    "incremental, Yuasa": ("incremental", dict(barrier="yuasa", slice=2, threshold=256)),
}


class Program:
    """A random program over a heap, and the test's own model of what it refers to."""

    def __init__(self, heap: Heap, seed: int) -> None:
        self.heap, self.rng = heap, random.Random(seed)
        self.node = heap.type("Node", ["a", "b", "int value"])
        self.frames = [heap.scope("f0")]
        self.vars: list[dict] = [{}]  # per frame: variable -> object (or None)
        self.fields: dict[int, dict] = {}  # object id -> field -> object (or None)
        self.made = 0

    def reachable(self) -> dict:
        found, todo = {}, [o for frame in self.vars for o in frame.values() if o is not None]
        while todo:
            obj = todo.pop()
            if obj.id not in found:
                found[obj.id] = obj
                todo += [t for t in self.fields[obj.id].values() if t is not None]
        return found

    def new(self, live: list):
        values = {f: self.rng.choice(live) for f in "ab" if live and self.rng.random() < 0.3}
        obj = self.heap.new(self.node, name=f"n{self.made}", **values)
        self.made += 1
        self.fields[obj.id] = {"a": values.get("a"), "b": values.get("b")}
        return obj

    def step(self) -> None:
        rng, heap = self.rng, self.heap
        live = list(self.reachable().values())
        frame, names = self.frames[-1], self.vars[-1]
        op = rng.random()
        if op < 0.25 or not live:
            var = f"v{rng.randrange(4)}"
            setattr(frame, var, obj := self.new(live))
            names[var] = obj
        elif op < 0.4:
            src, field = rng.choice(live), rng.choice("ab")
            setattr(src, field, obj := self.new(live))
            self.fields[src.id][field] = obj
        elif op < 0.65:
            src, field, target = rng.choice(live), rng.choice("ab"), rng.choice(live + [None])
            setattr(src, field, target)
            self.fields[src.id][field] = target
        elif op < 0.8:
            var, target = f"v{rng.randrange(4)}", rng.choice(live + [None])
            setattr(frame, var, target)
            names[var] = target
        elif op < 0.85 and len(self.frames) < 4:
            self.frames.append(heap.scope(f"f{len(self.frames)}"))
            self.vars.append({})
        elif op < 0.9 and len(self.frames) > 1:
            self.frames.pop().close()
            self.vars.pop()
        elif op < 0.99:
            name = heap.scheme.name
            if name == "incremental":
                heap.increment()
            elif name == "generational":
                heap.minor()
            else:
                heap.collect()
        else:
            heap.collect()

    def verify(self) -> None:
        self.heap.check()
        for obj in self.reachable().values():
            assert obj.state == "live" and self.heap.allocated(obj), f"{obj.name} is reachable but {obj.state}"
            for field, target in self.fields[obj.id].items():
                assert getattr(obj, field) is target, f"{obj.name}.{field} does not read back {target}"
        for frame, names in zip(self.frames, self.vars):
            for var, target in names.items():
                assert getattr(frame, var) is target

    def allocated(self) -> set[str]:
        return {o.name for o in self.heap.objects.values() if self.heap.allocated(o)}


def run(scheme: str, options: dict, seed: int, steps: int = 500) -> Program:
    program = Program(Heap(scheme, **options), seed)
    for _ in range(steps):
        program.step()
        program.verify()
    return program


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("name", COLLECTORS)
def test_no_live_object_is_freed_and_all_garbage_is_freed_eventually(name, seed):
    scheme, options = COLLECTORS[name]
    program = run(scheme, options, seed)
    heap = program.heap
    assert len(heap.history) >= 5, "the collector ran"
    assert heap.counters["freed"] > 100, "garbage was freed along the way"
    heap.collect()
    program.verify()
    assert program.allocated() == {o.name for o in program.reachable().values()}
    while len(program.frames) > 1:
        program.frames.pop().close()
        program.vars.pop()
    program.frames[0].close()
    program.vars = []
    heap.collect()
    heap.check()
    assert program.allocated() == set()


def test_the_generational_programs_promote_remember_and_collect_both_generations():
    program = run("generational", COLLECTORS["generational"][1], seed=1)
    kinds = {p.kind for p in program.heap.history}
    assert kinds == {"minor", "major"}
    counters = program.heap.counters
    assert counters["remembered"] > 10 and program.heap.space.stats().allocs > 0


def test_the_incremental_programs_run_whole_cycles_and_their_barriers_shade():
    for barrier in ("dijkstra", "yuasa"):
        program = run("incremental", dict(barrier=barrier, slice=2, threshold=256), seed=1)
        heap = program.heap
        assert heap.cycles >= 5
        assert {p.kind for p in heap.history} == {"start", "mark", "final", "sweep"}
        assert heap.counters["barrier shades"] > 5, barrier


def first_loss(scheme: str, options: dict, seed: int, steps: int) -> tuple[int, str] | None:
    """The first step at which the model sees a reachable object freed, by the model alone (no check())."""
    program = Program(Heap(scheme, **options), seed)
    for step in range(steps):
        try:
            program.step()
            for obj in program.reachable().values():
                assert obj.state == "live", f"{obj.name} is reachable but {obj.state}"
                for field, target in program.fields[obj.id].items():
                    assert getattr(obj, field) is target, f"{obj.name}.{field} no longer reads {target.name}"
        except (AssertionError, DeadObject) as e:
            return step, str(e)
    return None


def first_complaint(scheme: str, options: dict, seed: int, steps: int) -> int | None:
    """The first step at which check() fails on the same program."""
    program = Program(Heap(scheme, **options), seed)
    for step in range(steps):
        program.step()
        try:
            program.heap.check()
        except HeapCorruption:
            return step
    return None


@pytest.mark.parametrize(
    "scheme, options, steps",
    [
        ("generational", dict(nursery=256, promote_age=1, threshold=512, barrier=False), 100),
        # the loss needs a particular interleaving of stores and increments: these four programs
        # hit one within 1,300 steps (seed 5, for one, hides an object but drops it before the sweep)
        ("incremental", dict(barrier=None, slice=1, threshold=256), 1300),
    ],
    ids=["generational without its barrier", "incremental without a barrier"],
)
@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_without_the_barrier_a_live_object_is_freed_and_check_says_so_first(scheme, options, steps, seed):
    loss = first_loss(scheme, options, seed, steps)
    assert loss is not None, "the program never lost an object"
    step, text = loss
    assert any(word in text for word in ("freed", "condemned", "deinited", "but dead", "no longer reads")), text
    complaint = first_complaint(scheme, options, seed, steps)
    assert complaint is not None and complaint <= step
