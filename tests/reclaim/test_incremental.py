"""Incremental tri-colour marking: increments, the lost object, Dijkstra's and Yuasa's barriers, pauses."""

import pytest

from memlab.errors import HeapCorruption
from memlab.reclaim import BadField, DeadObject, Heap


def chain(barrier, **options):
    """a -> b -> c held by main.a, and one increment of marking done: a black, b gray, c white."""
    heap = Heap("incremental", barrier=barrier, slice=1, automatic=False, **options)
    node = heap.type("Node", ["left", "right"])
    s = heap.scope("main")
    s.a = heap.new(node, name="a")
    s.a.left = heap.new(node, name="b")
    s.a.left.left = heap.new(node, name="c")
    heap.increment()
    heap.increment()
    return heap, node, s


def colours(heap):
    return {o.name: heap.colour(o) for o in heap.live()}


def finish(heap):
    while heap.stage != "idle":
        heap.increment()


def test_a_cycle_runs_in_increments_of_bounded_work():
    heap = Heap("incremental", slice=2, automatic=False)
    node = heap.type("Node", ["left", "right"])
    s = heap.scope("main")
    s.root = heap.new(node, name="n0")
    objs = [s.root]
    for i in range(1, 7):  # a binary tree of 7 objects
        objs.append(heap.new(node, name=f"n{i}"))
        setattr(objs[(i - 1) // 2], "left" if i % 2 else "right", objs[-1])
    with heap.scope("garbage"):
        heap.new(node, name="g")
    heap.collect()
    assert [p.kind for p in heap.history] == ["start"] + ["mark"] * 4 + ["final"] + ["sweep"] * 4
    # start: 1 root; marking: 7 objects, 2 at a time; final: the 1 root rescanned; sweep: 8 objects, 2 at a time
    assert [p.work for p in heap.history] == [1, 2, 2, 2, 1, 1, 2, 2, 2, 2]
    assert heap.cycles == 1 and [o.name for o in heap.live()] == [f"n{i}" for i in range(7)]
    heap.check()


def test_marking_goes_gray_then_black_while_the_program_runs_between_increments():
    heap, node, s = chain("dijkstra")
    assert colours(heap) == {"a": "black", "b": "gray", "c": "white"}
    assert heap.snapshot().note == "marking, increment 1 (Dijkstra barrier)"
    s.d = heap.new(node, name="d")  # allocated during marking: black
    assert colours(heap)["d"] == "black"
    heap.increment()
    assert colours(heap) == {"a": "black", "b": "black", "c": "gray", "d": "black"}


def test_without_a_barrier_the_program_hides_an_object_and_the_collector_frees_it():
    heap, node, s = chain(None)
    c = s.a.left.left
    s.a.right = c  # black a -> white c
    s.a.left.left = None  # and no gray object reaches c any more
    with pytest.raises(HeapCorruption) as broken:
        heap.check()
    assert str(broken.value).startswith(
        "tri-colour invariant broken: black a points to white c through a.right, and no path of white objects "
        "leads to c from a gray object or a root: marking will never find it, and the sweep will free a live object"
    )
    finish(heap)
    assert c.state == "dead"
    with pytest.raises(
        DeadObject, match=r"read a.right: it still holds 0x[0-9a-f]+, where c lived until the collector"
    ):
        _ = s.a.right
    with pytest.raises(HeapCorruption, match="a.right holds .* where c lived until the collector freed it"):
        heap.check()


def test_between_the_end_of_marking_and_the_sweep_the_lost_object_is_condemned_and_said_so():
    heap, node, s = chain(None)
    s.a.right = s.a.left.left
    s.a.left.left = None
    heap.increment()  # scan b
    heap.increment()  # end of marking: c is white, so garbage
    assert heap.stage == "sweeping"
    with pytest.raises(HeapCorruption, match="a.right refers to c, which the collector condemned as garbage"):
        heap.check()
    with pytest.raises(DeadObject, match="read a.right: it points to c, which the collector found white"):
        _ = s.a.right


def test_dijkstras_barrier_shades_the_new_target_at_the_store():
    heap, node, s = chain("dijkstra")
    with heap.record() as rec:
        s.a.right = s.a.left.left
    shaded = [e for e in rec.recording.events if e.kind == "shaded"]
    assert [e.describe() for e in shaded] == [
        "Dijkstra's barrier: a.right is about to point to white c: shade c gray, "
        "so that no black object points to a white one"
    ]
    assert [e.kind for e in rec.recording.events] == ["shaded", "store"]  # the barrier runs before the store
    s.a.left.left = None
    heap.check()
    finish(heap)
    assert s.a.right.name == "c" and heap.counters["barrier shades"] == 1
    heap.check()


def test_yuasas_barrier_shades_the_target_a_store_overwrites():
    heap, node, s = chain("yuasa")
    s.a.right = s.a.left.left  # no shade: Yuasa's barrier looks only at what is overwritten (nil here)
    assert heap.counters["barrier shades"] == 0
    with heap.record() as rec:
        s.a.left.left = None
    assert rec.recording.events[0].describe() == (
        "Yuasa's barrier: b.left is about to lose its pointer to white c: shade c gray, "
        "so that everything reachable when marking began gets marked"
    )
    finish(heap)
    assert s.a.right.name == "c"
    heap.check()


def test_dijkstra_pays_for_unbarriered_variables_with_a_rescan_yuasa_does_not():
    def final(barrier):
        heap, node, s = chain(barrier)
        s.v = s.a.left.left  # the only path from the heap to c moves into a variable
        s.a.left.left = None
        finish(heap)
        assert s.v.name == "c" and s.v.state == "live"
        heap.check()
        return next(p for p in heap.history if p.kind == "final")

    dijkstra, yuasa = final("dijkstra"), final("yuasa")
    assert yuasa.work == 0  # c was shaded by the deletion barrier; nothing is left to do
    assert dijkstra.work == 3  # two roots rescanned, and c found and scanned in the same pause


def test_an_object_dropped_during_marking_floats_until_the_next_cycle():
    heap, node, s = chain("dijkstra")
    heap.increment()  # scan b: c is gray
    s.a.left.left = None  # c becomes garbage, but it is already gray
    finish(heap)
    assert [o.name for o in heap.live()] == ["a", "b", "c"]  # floating garbage survives this cycle
    heap.collect()
    assert [o.name for o in heap.live()] == ["a", "b"]


def test_collect_finishes_the_cycle_in_progress_then_runs_a_whole_new_one():
    heap, node, s = chain("yuasa")
    s.a.left.left = None  # c is shaded by the barrier: it survives the cycle in progress
    assert heap.collect() == 1
    kinds = [p.kind for p in heap.history]
    assert kinds.count("start") == 2 and kinds[-1] == "sweep" and heap.stage == "idle"
    assert heap.cycles == 2


def test_allocations_pay_for_increments_and_no_marking_pause_exceeds_a_slice():
    heap = Heap("incremental", slice=3, threshold=512)
    node = heap.type("Node", ["next"])
    with heap.scope("main") as s:
        for i in range(300):
            s.keep = heap.new(node, name=f"k{i}", next=s.keep if i % 20 else None)
    assert heap.cycles >= 3
    sliced = [p.work for p in heap.history if p.kind in ("mark", "sweep")]
    assert max(sliced) == 3 and len(sliced) > 50
    heap.check()


def test_a_condemned_object_cannot_be_stored_through_a_stale_handle():
    heap, node, s = chain("dijkstra")
    with heap.scope("inner") as inner:
        inner.t = heap.new(node, name="t")  # allocated black, then dropped: floats to the next cycle
    finish(heap)
    heap.increment()  # a new cycle
    c = s.a.left.left
    s.a.left.left = None
    s.a.left = None
    while heap.stage == "marking":
        heap.increment()
    assert c.state == "deinited"
    with pytest.raises(DeadObject, match=r"cannot refer to c \(0x[0-9a-f]+\), it is deinited"):
        s.a.right = c


def test_bad_options_are_refused():
    with pytest.raises(BadField, match="barrier 'steele' must be 'dijkstra', 'yuasa' or None"):
        Heap("incremental", barrier="steele")
    with pytest.raises(BadField, match="slice 0 must be a whole number"):
        Heap("incremental", slice=0)
    heap = Heap("incremental")
    with pytest.raises(BadField, match=r"incremental collect\(\) takes only reason, not full=") as e:
        heap.collect(full=True)
    assert e.value.step is not None
    with pytest.raises(BadField, match=r"collect\(reason=None\): the reason is a text"):
        heap.collect(None)
    assert heap.counters["freed"] == 0 and heap.scheme.stage == "idle"


def test_check_finds_a_colour_that_disagrees_with_the_mark_bit():
    heap, node, s = chain("dijkstra")
    heap.set_colour(s.a.left, "black")  # black, but still on the gray worklist
    with pytest.raises(HeapCorruption, match="b is black, but the gray worklist holds it"):
        heap.check()


def test_the_view_outlines_the_barrier_hit_and_says_what_is_gray():
    from memlab.viz.collect import collector_svg, status

    heap, node, s = chain("dijkstra")
    with heap.record() as rec:
        s.a.right = s.a.left.left
    frame = next(f for f in rec.recording if f.event is not None and f.event.kind == "shaded")
    svg = collector_svg(frame.snapshot, event=frame.event)
    assert ">Dijkstra&#x27;s barrier<" in svg and "a write barrier acted on it" in svg
    assert status(frame.snapshot) == ("marking, increment 1 (Dijkstra barrier) · gray: b, c · black: a · white: none")


def test_the_demo_ends_with_the_program_reading_freed_memory():
    import memlab.demos

    player = memlab.demos.demo("incremental")
    assert 10 <= len(player.recording) <= 40
    player.seek(-1)
    assert player.caption.startswith("Step 15 of 15: the program reads a.right: read a.right: it still holds")
    assert "a.right points at freed memory" in player.html
    assert ">freed<" in player.html
