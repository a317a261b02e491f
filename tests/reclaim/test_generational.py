"""Generational collection: the nursery, ages and promotion, the write barrier and remembered set, major collections."""

import re

import pytest

from memlab.errors import BadSize, HeapCorruption, OutOfMemory
from memlab.reclaim import BadField, DeadObject, Heap
from memlab.reclaim.types import FLAGS


def make(**options):
    options.setdefault("nursery", 256)
    heap = Heap("generational", **options)
    node = heap.type("Node", ["next", "other"])
    return heap, node, heap.scope("main")


def old(heap, frame, name, node):
    """An object promoted to the old generation (it survives promote_age minor collections)."""
    setattr(frame, name, heap.new(node, name=name))
    for _ in range(heap.scheme.promote_age):
        heap.minor()
    return getattr(frame, name)


def kinds(recording):
    return [(e.kind, getattr(e, "obj", getattr(e, "name", ""))) for e in recording.events]


def test_survivors_age_in_the_nursery_then_are_promoted():
    heap, node, s = make(promote_age=2)
    s.a = heap.new(node, name="a")
    lo, hi = heap.space.from_space
    assert lo <= s.a.address < hi and heap.scheme.tags(s.a)[-3:] == ("young", "age 0", "from-space")
    heap.minor()
    lo, hi = heap.space.from_space  # the halves swapped: the copy is in the new from-space
    assert lo <= s.a.address < hi and heap.flag(s.a, "age") == 1
    with heap.record() as rec:
        heap.minor()
    promoted = next(e for e in rec.recording.events if e.kind == "promoted")
    assert promoted.describe() == (
        f"promote a (reached from main.a): it has survived 2 minor collection(s); "
        f"copy it into the old generation at {s.a.address:#x}"
    )
    assert not heap.space.in_nursery(s.a.address) and heap.scheme.tags(s.a) == ("old",)
    assert heap.old_bytes == 24 and heap.memory.read_word(s.a.address) >> FLAGS["generation"][0] & 3 == 1
    heap.check()


def test_a_minor_collection_costs_the_survivors_not_the_garbage():
    def pause(garbage):
        heap, node, s = make(nursery=4096, automatic=False)
        s.keep = heap.new(node, name="keep")
        with heap.scope("work"):
            for i in range(garbage):
                heap.new(node, name=f"g{i}")
        heap.minor()
        return heap.history[-1]

    few, many = pause(5), pause(150)
    assert few.work == many.work == 1
    assert (few.freed, many.freed) == (5, 150)


def test_the_write_barrier_remembers_an_old_object_that_points_to_a_young_one_once():
    heap, node, s = make()
    a = old(heap, s, "a", node)
    with heap.record() as rec:
        s.a.next = heap.new(node, name="y")  # old -> young: remembered
        s.a.other = s.a.next  # a is remembered already: Ungar's store check adds it once
        s.y = heap.new(node, name="z")
        s.y.next = s.a  # young -> old: nothing to remember
    assert kinds(rec.recording)[:3] == [("new", "y"), ("store", ""), ("remembered", "a")]
    assert [e.kind for e in rec.recording.events].count("remembered") == 1
    assert rec.recording.events[2].describe() == (
        "write barrier: a is old and a.next now points to young y: a joins the remembered set"
    )
    assert heap.remembered == [a] and heap.flag(a, "remembered") == 1
    assert heap.counters["barrier runs"] == 3
    heap.check()


def test_a_minor_collection_scans_the_remembered_objects_and_never_traces_the_rest_of_the_old_generation():
    heap, node, s = make()
    s.head = heap.new(node, name="o0")
    cur = s.head
    for i in range(1, 6):  # an old list o0 -> o1 -> ... -> o5
        cur.next = heap.new(node, name=f"o{i}")
        cur = cur.next
    heap.minor()
    heap.minor()
    assert all(heap.scheme.is_old(o) for o in heap.live())
    cur.other = heap.new(node, name="y")  # only old o5 refers to y
    with heap.record() as rec:
        heap.minor()
    scanned = [e.obj for e in rec.recording.events if e.kind == "scavenged"]
    assert scanned == ["o5", "y"]  # not o0 ... o4: the old generation is not traced
    assert heap.history[-1].work == 2 and cur.other.name == "y"
    heap.check()


def test_a_promoted_object_that_points_into_the_nursery_joins_the_remembered_set_and_leaves_it_later():
    heap, node, s = make(promote_age=2)
    s.p = heap.new(node, name="p")
    heap.minor()  # p is 1
    s.p.next = heap.new(node, name="q")  # young -> young: no barrier needed
    with heap.record() as rec:
        heap.minor()  # p is promoted, q (age 1) stays young
    joined = next(e for e in rec.recording.events if e.kind == "remembered")
    assert joined.describe() == "p was just promoted and p.next points to young q: p joins the remembered set"
    assert heap.remembered == [s.p]
    heap.minor()  # q is promoted too: p has nothing young left
    assert heap.remembered == [] and heap.flag(s.p, "remembered") == 0
    heap.check()


def test_a_dead_old_object_keeps_a_young_one_alive_until_a_major_collection():
    heap, node, s = make()
    o = old(heap, s, "o", node)
    s.o.next = heap.new(node, name="y")
    y = s.o.next
    s.o = None  # o is garbage, but a minor collection cannot know: it does not trace the old generation
    heap.minor()
    assert y.state == "live" and o.state == "live"
    freed = heap.collect()
    assert freed == 2 and y.state == "dead" and o.state == "dead"
    heap.check()


def test_a_major_collection_marks_through_young_objects_and_gives_old_blocks_back():
    heap, node, s = make()
    kept = old(heap, s, "kept", node)
    gone = old(heap, s, "gone", node)
    s.young = heap.new(node, name="young", next=kept)
    s.kept = None  # kept is now reachable only through a young object
    s.gone = None
    blocks = len(heap.space.parent.live())
    with heap.record() as rec:
        assert heap.collect() == 1
    assert kept.state == "live" and gone.state == "dead"
    assert len(heap.space.parent.live()) == blocks - 1  # gone's block went back to the free list
    assert ("dealloc", "gone") in kinds(rec.recording)
    assert heap.history[-1].kind == "major"
    heap.check()


def test_the_old_generation_grows_to_its_threshold_before_a_major_collection():
    heap, node, s = make(nursery=128, promote_age=1, threshold=200, growth=2.0)
    for i in range(60):
        s.x = heap.new(node, name=f"n{i}", next=s.x if i % 4 else None)  # chains of four survive a while
    minors = [p for p in heap.history if p.kind == "minor"]
    majors = [p for p in heap.history if p.kind == "major"]
    assert len(majors) >= 2 and len(minors) > 2 * len(majors)
    for p in majors:
        held, limit = map(
            int, re.match(r"the old generation holds (\d+) bytes, past its threshold of (\d+)", p.reason).groups()
        )
        assert held > limit >= 200
    assert heap.next_gc == max(200, 2 * heap.old_bytes) or heap.history[-1].kind == "minor"
    heap.check()


def test_a_nursery_full_of_survivors_is_emptied_by_promoting_them():
    heap, node, s = make(nursery=48, promote_age=2)
    s.a = heap.new(node, name="a")
    s.b = heap.new(node, name="b")  # the nursery is full, and both objects stay in use
    s.c = heap.new(node, name="c")
    reasons = [p.reason for p in heap.history]
    assert (
        reasons == ["nursery full: 24 bytes do not fit in the 0 left"] * 2
    )  # the first ages them, the second promotes
    assert heap.scheme.is_old(s.a) and heap.scheme.is_old(s.b) and not heap.scheme.is_old(s.c)
    heap.check()


def test_without_the_barrier_check_names_the_pointer_then_the_freed_object_and_reading_it_fails():
    heap, node, s = make(barrier=False)
    old(heap, s, "a", node)
    s.a.next = heap.new(node, name="y")
    with pytest.raises(HeapCorruption) as before:
        heap.check()
    assert str(before.value).startswith(
        "a.next points from old a to young y, but a is not in the remembered set (the write barrier is off): "
        "the next minor collection will not see this pointer"
    )
    heap.minor()
    with pytest.raises(HeapCorruption, match=r"a.next holds 0x[0-9a-f]+, where y lived until the collector freed it"):
        heap.check()
    with pytest.raises(DeadObject, match="read a.next: it still holds .* where y lived"):
        _ = s.a.next
    shown = heap.snapshot()
    assert shown.node("y").state == "freed" and any(e.label == "next" for e in shown.edges)


def test_bad_options_and_an_object_larger_than_the_nursery_are_refused():
    with pytest.raises(BadField, match="promote_age 0"):
        Heap("generational", promote_age=0)
    with pytest.raises(BadField, match="promote_age 16"):
        Heap("generational", promote_age=16)
    with pytest.raises(BadField, match="barrier='yes'"):
        Heap("generational", barrier="yes")
    with pytest.raises(BadSize):
        Heap("generational", nursery=0)
    heap = Heap("generational", nursery=32)
    big = heap.type("Big", ["a", "b", "c", "d"])
    with heap.scope("main") as s:
        s.x = heap.new(heap.type("Small", ["a"]), name="x")
        before = heap.snapshot()
        with pytest.raises(OutOfMemory, match="an object of 40 bytes does not fit in the 32-byte nursery"):
            heap.new(big)
        assert heap.snapshot().nodes == before.nodes
    before = heap.snapshot()
    with pytest.raises(BadField, match=r"generational collect\(\) takes only reason, not generation=") as e:
        heap.collect(generation=1)
    assert e.value.step is not None and heap.snapshot() == before
    with pytest.raises(BadField, match=r"collect\(reason=3\): the reason is a text"):
        heap.collect(3)
    assert heap.snapshot() == before


def test_check_finds_a_remembered_bit_that_lies_and_a_young_object_too_old():
    heap, node, s = make()
    s.a = heap.new(node, name="a")
    heap.set_flag(s.a, "remembered", 1)
    with pytest.raises(HeapCorruption, match="a's remembered bit disagrees with the remembered set"):
        heap.check()
    heap.set_flag(s.a, "remembered", 0)
    heap.set_flag(s.a, "age", 5)
    with pytest.raises(HeapCorruption, match="a is young at age 5: it should have been promoted"):
        heap.check()
    heap.set_flag(s.a, "age", 0)
    heap.check()
    counted = heap.scheme.bytes_allocated
    for wrong in (counted + 8, counted - 8):  # a count too high or too low
        heap.scheme.bytes_allocated = wrong
        with pytest.raises(HeapCorruption, match=f"the counts say {wrong} bytes allocated"):
            heap.check()


def test_the_view_draws_the_nursery_the_old_generation_and_the_barrier_hit():
    from memlab.viz.generations import generational_view

    heap, node, s = make()
    old(heap, s, "a", node)
    with heap.record() as rec:
        s.a.next = heap.new(node, name="y")
    view = generational_view(heap)
    hit = next(f for f in rec.recording if f.event is not None and f.event.kind == "remembered")
    html = view(hit)
    assert "the nursery: two semispaces of 256 bytes" in html
    assert ">old<" in html and ">generation<" in html and ">remembered<" in html
    assert ">write barrier<" in html and "a write barrier acted on it" in html
    assert "remembered set: a" in html


def test_the_demo_leaves_the_temporaries_behind_and_keeps_the_remembered_session():
    import memlab.demos

    player = memlab.demos.demo("generational")
    assert 10 <= len(player.recording) <= 40
    script = player.recording.script()
    assert "write barrier: config is old and config.session now points to young session" in script
    assert "left behind, never touched: tmp1, tmp2" in script
    player.seek(-1)
    assert "session: Node" in player.html and "tmp1: Node" not in player.html
