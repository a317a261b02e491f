"""Reference counting (CPython's way): counts in the header, cascades, leaking cycles, misuse."""

import random

import pytest

from memlab.errors import HeapCorruption
from memlab.reclaim import BadField, DoubleRelease, Heap, RetainOfFreed


def make(deinit=None):
    heap = Heap("refcount")
    node = heap.type("Node", ["next", "other"], deinit=deinit)
    return heap, node


def chain(heap, node, frame, n, var="head"):
    """frame.var -> n0 -> n1 -> ... -> n{n-1}."""
    setattr(frame, var, heap.new(node, name="n0"))
    last = getattr(frame, var)
    for i in range(1, n):
        last.next = heap.new(node, name=f"n{i}")
        last = last.next
    return last


def test_store_increments_and_overwrite_decrements_in_the_header():
    heap, node = make()
    with heap.scope("main") as s:
        s.a = heap.new(node, name="a")
        s.b = heap.new(node, name="b")
        with heap.record() as rec:
            s.a.next = s.b
            assert heap.memory.read_word(s.b.address + 8) == 2  # rc word right after flags
            s.a.next = None
            assert heap.memory.read_word(s.b.address + 8) == 1
    assert rec.recording.script().splitlines() == [
        "  1. incref b: refcount 1 → 2",
        "  2. a.next = b",
        "  3. a.next = nil (was b)",
        "  4. decref b: refcount 2 → 1",
    ]


def test_cascade_frees_a_list_head_first_with_one_event_per_free():
    heap, node = make()
    s = heap.scope("main")
    chain(heap, node, s, 5)
    with heap.record() as rec:
        s.head = None
    frees = [e.obj for e in rec.recording.events if e.kind == "dealloc"]
    assert frees == ["n4", "n3", "n2", "n1", "n0"]  # each freed once its references are dropped
    decrefs = [e.obj for e in rec.recording.events if e.kind == "decref"]
    assert decrefs == ["n0", "n1", "n2", "n3", "n4"]
    assert heap.live() == [] and heap.allocator.live() == {}


def test_finalizers_run_before_references_are_dropped():
    order = []
    heap, node = make(deinit=lambda o: order.append(o.name))
    s = heap.scope("main")
    chain(heap, node, s, 3)
    s.head = None
    assert order == ["n0", "n1", "n2"]


def test_a_long_list_cascade_does_not_recurse():
    heap, node = make()
    s = heap.scope("main")
    chain(heap, node, s, 5000)
    s.head = None
    assert heap.counters["freed"] == 5000


def test_two_objects_that_point_at_each_other_never_die():
    heap, node = make()
    with heap.scope("main") as s:
        s.a = heap.new(node, name="a")
        s.b = heap.new(node, name="b")
        s.a.next = s.b
        s.b.next = s.a
    snap = heap.snapshot()
    assert snap.names("live") == ["a", "b"]
    assert [n.count("rc") for n in snap.nodes] == [1, 1]
    assert snap.variables == ()  # nothing refers to them from outside any more
    heap.check()  # the counts are right: the cycle really holds them


def test_a_self_reference_leaks_too():
    heap, node = make()
    with heap.scope("main") as s:
        s.a = heap.new(node, name="a")
        s.a.next = s.a
    assert heap.snapshot().node("a").count("rc") == 1


def test_counters_measure_the_work():
    heap, node = make()
    with heap.scope("main") as s:
        chain(heap, node, s, 10)
        s.copy = s.head
    assert heap.counters["incref"] == 1  # the copy; new objects hand over their first +1
    assert heap.counters["decref"] == 11


def test_manual_retain_keeps_an_object_past_its_scope():
    heap, node = make()
    with heap.scope("main") as s:
        s.a = heap.new(node, name="a")
        a = s.a
        heap.retain(a)
    assert a.state == "live" and heap.snapshot().node("a").tags == ("retained +1",)
    heap.check()
    heap.release(a)
    assert a.state == "dead"


def test_release_without_a_matching_retain_is_refused_and_changes_nothing():
    heap, node = make()
    s = heap.scope("main")
    s.a = heap.new(node, name="a")
    before = heap.snapshot()
    with pytest.raises(DoubleRelease) as info:
        heap.release(s.a)
    assert "Py_DECREF(a) without a matching retain: its count of 1 belongs to main.a" in str(info.value)
    assert heap.snapshot().nodes == before.nodes


def test_retain_or_release_of_a_freed_object():
    heap, node = make()
    s = heap.scope("main")
    s.a = heap.new(node, name="a")
    a = s.a
    s.a = None
    with pytest.raises(RetainOfFreed, match=r"Py_INCREF\(a\): the object at 0x[0-9a-f]+ is dead since step 3"):
        heap.retain(a)
    with pytest.raises(DoubleRelease, match=r"Py_DECREF\(a\)"):
        heap.release(a)


def test_resurrection_in_a_finalizer_runs_it_once():
    heap = Heap("refcount")
    calls = []

    def resurrect(obj):
        calls.append(obj.name)
        heap.globals.saved = obj

    t = heap.type("Phoenix", [], deinit=resurrect)
    with heap.scope("main") as s:
        s.p = heap.new(t, name="phoenix")
    assert calls == ["phoenix"] and heap.globals.saved.state == "live"
    assert heap.counters["resurrected"] == 1
    heap.check()
    heap.globals.saved = None  # dies for good, and the finalizer does not run again
    assert calls == ["phoenix"] and heap.live() == []


def test_an_exception_in_a_finalizer_is_reported_and_the_cascade_goes_on(capsys):
    def boom(obj):
        raise RuntimeError(f"{obj.name} refuses")

    heap, node = make(deinit=boom)
    s = heap.scope("main")
    chain(heap, node, s, 3)
    s.head = None
    assert heap.live() == []
    assert [str(e) for e in heap.ignored] == ["n0 refuses", "n1 refuses", "n2 refuses"]
    assert "Exception ignored in deinit of n0: RuntimeError: n0 refuses" in capsys.readouterr().err


def test_weak_fields_need_arc():
    heap = Heap("refcount")
    t = heap.type("Apartment", ["weak tenant"])
    s = heap.scope("main")
    s.a = heap.new(t, name="a")
    before = heap.snapshot()
    with pytest.raises(BadField, match="counts strong references only; weak references need Heap\\('arc'\\)"):
        s.a.tenant = s.a
    assert heap.snapshot() == before


def test_check_finds_a_count_that_lies():
    heap, node = make()
    s = heap.scope("main")
    s.a = heap.new(node, name="a")
    heap.memory.write_word(s.a.address + 8, 5)
    with pytest.raises(HeapCorruption, match="a has rc 5 but 1 references hold it"):
        heap.check()
    heap.memory.write_word(s.a.address + 8, 0)  # too low: the next decrement would free a live object
    with pytest.raises(HeapCorruption, match="a has rc 0 but 1 references hold it"):
        heap.check()


@pytest.mark.parametrize("scheme", ["refcount", "arc"])
def test_counts_stay_exact_over_a_random_program(scheme):
    rng = random.Random(7)
    heap = Heap(scheme)
    node = heap.type("Node", ["a", "b"])
    frames = [heap.scope("f0")]
    for _ in range(600):
        frame = frames[-1]
        objs = [o for o in heap.live()]
        op = rng.random()
        if op < 0.3 or not objs:
            setattr(frame, f"v{rng.randrange(4)}", heap.new(node))
        elif op < 0.7:
            src = rng.choice(objs)
            setattr(src, rng.choice("ab"), rng.choice(objs + [None]))
        elif op < 0.8:
            setattr(frame, f"v{rng.randrange(4)}", rng.choice(objs + [None]))
        elif op < 0.9 and len(frames) < 4:
            frames.append(heap.scope(f"f{len(frames)}"))
        elif len(frames) > 1:
            frames.pop().close()
        heap.check()
    while frames:
        frames.pop().close()
    heap.check()
    assert heap.counters["freed"] > 50


def test_ctrl_c_in_a_deinit_at_a_scope_exit_ends_the_scope_first():
    def ctrl_c(obj):
        raise KeyboardInterrupt

    heap, node = make(deinit=ctrl_c)
    inner = heap.scope("inner")
    inner.a = heap.new(node, name="a")
    inner.a.next = heap.new(node, name="b")
    with pytest.raises(KeyboardInterrupt):
        heap.leave(inner)
    assert heap.frames == [heap.globals], "the closed scope was left in heap.frames"
    heap.check()
    assert heap.objects == {}, "the cascade went on to b before the interrupt was raised"
    with heap.scope("next") as s:  # the heap goes on working
        s.c = heap.new(heap.type("Plain", ["next"]), name="c")
    assert heap.objects == {} and heap.frames == [heap.globals]
