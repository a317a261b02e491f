"""CPython's gc: gc_refs subtraction, generations, weakrefs, finalizers and resurrection.

The scenarios are the ones CPython's own test_gc uses; ``heap.collect()`` returns what
``gc.collect()`` would.
"""

import pytest

from memlab.reclaim import BadField, CollectionInProgress, Heap


def make(**options):
    heap = Heap("cpython", **options)
    types = {
        "list": heap.type("list", ["item0", "item1"]),
        "tuple": heap.type("tuple", ["item0"]),
        "dict": heap.type("dict", ["value0", "value1"]),
    }
    return heap, types


def test_self_referencing_list():
    heap, t = make()
    with heap.scope("main") as s:
        s.l = heap.new(t["list"], name="l")
        s.l.item0 = s.l  # l.append(l)
    assert heap.collect() == 1
    assert heap.objects == {}


def test_list_and_tuple_cycle():
    heap, t = make()
    with heap.scope("main") as s:
        s.l = heap.new(t["list"], name="l")
        s.t = heap.new(t["tuple"], name="t", item0=s.l)  # t = (l,)
        s.l.item0 = s.t  # l.append(t)
    assert heap.collect() == 2


def test_dict_cycle():
    heap, t = make()
    with heap.scope("main") as s:
        s.d = heap.new(t["dict"], name="d")
        s.d.value0 = s.d  # d["self"] = d
    assert heap.collect() == 1


def test_instance_self_cycle():
    heap, _ = make()
    a = heap.type("A", ["a"])
    with heap.scope("main") as s:
        s.x = heap.new(a, name="x")
        s.x.a = s.x  # x.a = x (the instance's fields live inline, as with 3.12's inline values)
    assert heap.collect() == 1


def test_the_subtraction_step_by_step():
    heap, t = make()
    with heap.scope("main") as s:
        s.l = heap.new(t["list"], name="l")
        s.t = heap.new(t["tuple"], name="t", item0=s.l)
        s.l.item0 = s.t
        s.keep = heap.new(t["list"], name="keep")
        s.keep.item0 = s.l  # something outside refers to l
        del s.l
        del s.t
        with heap.record() as rec:
            assert heap.collect() == 0
    refs = [(e.obj, e.value, e.why) for e in rec.recording.events if e.kind == "gcrefs"]
    assert refs == [
        ("l", 2, "update_refs"),
        ("t", 1, "update_refs"),
        ("keep", 1, "update_refs"),
        ("t", 0, "l refers to it"),
        ("l", 1, "t refers to it"),
        ("l", 0, "keep refers to it"),
        # move_unreachable walks young in order: l and t (gc_refs 0) are set aside first,
        # then keep (gc_refs 1) brings l back, and l, scanned in its turn, brings t back
        ("l", 1, "reachable from keep"),
        ("t", 1, "reachable from l"),
    ]
    moves = [(e.obj, e.to) for e in rec.recording.events if e.kind == "moved"]
    assert moves == [
        ("l", "tentatively unreachable"),
        ("t", "tentatively unreachable"),
        ("l", "reachable"),
        ("t", "reachable"),
    ]


def test_a_zero_not_yet_scanned_is_marked_reachable_in_place():
    heap, t = make()
    with heap.scope("main") as s:
        s.keep = heap.new(t["list"], name="keep")  # created first: scanned first
        s.keep.item0 = heap.new(t["list"], name="l")
        with heap.record() as rec:
            assert heap.collect() == 0
    events = rec.recording.events
    assert [(e.obj, e.value) for e in events if e.kind == "gcrefs"][-1] == ("l", 1)
    assert [e.kind for e in events].count("moved") == 0  # l was never set aside


def test_resurrection_in_a_finalizer_runs_it_once():
    heap, _ = make()
    calls = []

    def __del__(obj):
        calls.append(obj.name)
        heap.globals.saved = obj  # resurrect

    a = heap.type("A", ["a"], deinit=__del__)
    with heap.scope("main") as s:
        s.x = heap.new(a, name="x")
        s.x.a = s.x
    assert heap.collect() == 0  # resurrected: nothing freed
    assert calls == ["x"] and heap.globals.saved.state == "live"
    assert "finalized" in heap.snapshot().node("x").tags
    heap.check()
    heap.globals.saved = None
    assert heap.collect() == 1
    assert calls == ["x"]  # the finalizer does not run a second time


def test_weakref_callbacks_see_none():
    heap, t = make()
    seen = []
    with heap.scope("main") as s:
        s.l = heap.new(t["list"], name="l")
        s.l.item0 = s.l
        ref = heap.weakref(s.l, callback=lambda r: seen.append(r()))
        assert ref() is s.l
    assert heap.collect() == 1
    assert seen == [None] and ref() is None and repr(ref) == "<weakref; dead>"


def weakref_program(order: str):
    """A self-cycle with two weak references, one with a callback; the finalizer reads the other."""
    heap = Heap("cpython", clear_weakrefs=order)
    seen = {}

    def __del__(obj):
        seen["plain, in the finalizer"] = plain()
        seen["with callback, in the finalizer"] = called()

    node = heap.type("Node", ["me"], deinit=__del__)
    with heap.scope("main") as s:
        s.x = heap.new(node, name="x")
        s.x.me = s.x
        plain = heap.weakref(s.x)
        called = heap.weakref(s.x, callback=lambda ref: seen.update(callback=(ref is called, ref())))
    with heap.record() as rec:
        found = heap.collect()
    return found, seen, plain, [e.kind for e in rec.recording.events if e.kind in ("weakcleared", "finalize")]


def test_weakrefs_without_callbacks_are_cleared_after_the_finalizers_as_in_cpython_315():
    found, seen, plain, order = weakref_program("after finalizers")
    assert found == 1
    assert seen["callback"] == (True, None)  # the callback gets its weak reference, which returns None
    assert seen["with callback, in the finalizer"] is None
    assert seen["plain, in the finalizer"] is not None and seen["plain, in the finalizer"].name == "x"
    assert plain() is None  # cleared after the finalizer, before tp_clear
    assert order == ["weakcleared", "finalize", "weakcleared"]


def test_every_weakref_is_cleared_before_the_finalizers_as_in_cpython_313():
    found, seen, plain, order = weakref_program("before finalizers")
    assert found == 1
    assert seen["callback"] == (True, None)
    assert seen["plain, in the finalizer"] is None and seen["with callback, in the finalizer"] is None
    assert plain() is None
    assert order == ["weakcleared", "finalize"]


@pytest.mark.parametrize(("order", "alive"), [("after finalizers", True), ("before finalizers", False)])
def test_a_weakref_to_a_resurrected_object_survives_only_when_cleared_late(order, alive):
    heap = Heap("cpython", clear_weakrefs=order)
    lazarus = heap.type("Lazarus", ["me"], deinit=lambda obj: setattr(heap.globals, "saved", obj))
    with heap.scope("main") as s:
        s.x = heap.new(lazarus, name="x")
        s.x.me = s.x
        ref = heap.weakref(s.x)
    assert heap.collect() == 0  # resurrected
    assert (ref() is heap.globals.saved) is alive
    heap.check()


def test_weakref_cleared_by_plain_refcounting():
    heap, t = make()
    seen = []
    with heap.scope("main") as s:
        s.l = heap.new(t["list"], name="l")
        ref = heap.weakref(s.l, callback=lambda r: seen.append(r()))
    assert seen == [None] and ref() is None


def test_a_finalizer_may_free_other_objects_during_the_collection():
    heap, t = make()
    holder = heap.type("Holder", ["thing", "me"], deinit=lambda obj: setattr(obj, "thing", None))
    with heap.scope("main") as s:
        s.h = heap.new(holder, name="h")
        s.h.me = s.h
        s.h.thing = heap.new(t["list"], name="thing")  # only h refers to it
        s.other = heap.new(holder, name="other")
        s.other.me = s.other
        s.other.thing = s.h  # other -> h
    # h's finalizer frees thing in the middle of the collection; nothing breaks
    assert heap.collect() == 2
    assert heap.objects == {} and heap.allocator.live() == {}


def test_generations_and_thresholds():
    heap, t = make(thresholds=(5, 2, 2))
    with heap.scope("main") as s:
        for i in range(30):
            s.x = heap.new(t["list"], name=f"x{i}")
            s.x.item0 = s.x
        # every 6th container (count 6 > 5) starts a collection: at x5, x11, x17, x23, x29;
        # the one at x23 is the third young collection since generation 1 was collected (3 > 2)
        assert [st["collections"] for st in heap.gc_stats] == [4, 1, 0]
        # x29's collection ran inside its allocation: x28 (in s.x) and x29 survive into generation 1
        assert heap.get_count() == (0, 1, 1)
        assert [len(g) for g in heap.generations] == [0, 2, 2]
        s.x = heap.new(t["list"], name="x30")
        assert heap.get_count() == (1, 1, 1)
        heap.check()


def test_untracked_objects_are_not_counted():
    heap, _ = make()
    atom = heap.type("int_box", ["int value"])
    with heap.scope("main"):
        for _ in range(10):
            heap.new(atom)
    assert heap.get_count() == (0, 0, 0)


def test_bad_input():
    heap, t = make()
    with pytest.raises(BadField, match="invalid generation 3"):
        heap.collect(3)
    with pytest.raises(BadField, match="must be three integers"):
        Heap("cpython", thresholds=(700, 10))
    with pytest.raises(BadField, match="'after finalizers' \\(CPython 3.15\\) or 'before finalizers'"):
        Heap("cpython", clear_weakrefs="later")
    with heap.scope("main") as s:
        s.l = heap.new(t["list"], name="l")
        with pytest.raises(BadField, match="not callable"):
            heap.weakref(s.l, callback=42)


def test_collect_from_a_finalizer_is_refused():
    heap, _ = make()
    a = heap.type("A", ["a"], deinit=lambda obj: heap.collect())
    with heap.scope("main") as s:
        s.x = heap.new(a, name="x")
        s.x.a = s.x
    assert heap.collect() == 1
    assert isinstance(heap.ignored[0], CollectionInProgress)


def ctrl_c(obj=None):
    """What Jupyter's interrupt button does: a KeyboardInterrupt wherever the program is."""
    raise KeyboardInterrupt


@pytest.mark.parametrize("where", ["deinit", "weakref callback"])
def test_ctrl_c_inside_a_collection_stops_the_program_after_the_collection_and_leaves_the_heap_whole(where):
    heap = Heap("cpython")
    node = heap.type("Node", ["next"], deinit=ctrl_c if where == "deinit" else None)
    plain = heap.type("Plain", ["next"])
    with heap.scope("main") as s:
        s.a, s.b, s.keep = heap.new(node, name="a"), heap.new(node, name="b"), heap.new(plain, name="keep")
        s.a.next, s.b.next = s.b, s.a
        if where == "weakref callback":
            ref = heap.weakref(s.a, lambda r: ctrl_c())
        del s.a, s.b
        with pytest.raises(KeyboardInterrupt):
            heap.collect()
        heap.check()  # was: "a is in 0 generations"
        assert [o._name for o in heap.live()] == ["keep"]
        assert heap.collect() == 0 and heap.get_count()[0] == 0
        if where == "weakref callback":
            assert ref() is None
