"""Bacon & Rajan's synchronous cycle collector: colours, buffered roots, trial deletion."""

import pytest

from memlab.reclaim import BadField, CollectionInProgress, Heap


def family(children=10):
    """A parent with ``children`` children, each holding a back-pointer to the parent."""
    heap = Heap("bacon-rajan")
    parent = heap.type("Parent", [f"c{i}" for i in range(children)])
    child = heap.type("Child", ["parent"])
    with heap.scope("main") as s:
        s.p = heap.new(parent, name="parent")
        for i in range(children):
            s.child = heap.new(child, name=f"child{i}")
            s.child.parent = s.p
            setattr(s.p, f"c{i}", s.child)
    return heap


def test_parent_with_ten_children_eleven_buffered_roots_all_collected():
    heap = family(10)
    assert len(heap.buffer) == 11
    snap = heap.snapshot()
    assert all(n.colour == "purple" and "buffered" in n.tags for n in snap.nodes)
    heap.check()
    assert heap.collect() == 11
    assert heap.objects == {} and heap.allocator.live() == {} and heap.buffer == []


def test_the_phases_and_colours_in_order():
    heap = Heap("bacon-rajan")
    node = heap.type("Node", ["next"])
    with heap.scope("main") as s:
        s.a = heap.new(node, name="a")
        s.a.next = heap.new(node, name="b")
        s.a.next.next = s.a
    with heap.record() as rec:
        heap.collect()
    events = rec.recording.events
    phases = [e.name for e in events if e.kind == "phase"]
    assert phases == ["MarkRoots", "ScanRoots", "CollectRoots"]
    colours = [(e.obj, e.old, e.new) for e in events if e.kind == "colour"]
    assert colours == [
        ("a", "purple", "gray"),
        ("b", "black", "gray"),
        ("a", "gray", "white"),
        ("b", "gray", "white"),
        ("a", "white", "black"),
        ("b", "white", "black"),
    ]
    trial = [(e.obj, e.count) for e in events if e.kind == "decref"]
    assert trial == [("b", 0), ("a", 0)]  # pretend to delete: both counts reach zero
    assert [e.obj for e in events if e.kind == "dealloc"] == ["b", "a"]
    assert events[-1].describe() == "Bacon–Rajan collection: examined 2 objects, 2 were garbage"


def test_an_externally_referenced_cycle_is_restored_black():
    heap = Heap("bacon-rajan")
    node = heap.type("Node", ["next"])
    heap.globals.keep = None
    with heap.scope("main") as s:
        s.a = heap.new(node, name="a")
        s.a.next = heap.new(node, name="b")
        s.a.next.next = s.a
        heap.globals.keep = s.a.next  # b is still referenced from outside
    with heap.record() as rec:
        assert heap.collect() == 0
    snap = heap.snapshot()
    assert [(n.name, n.colour, n.count("rc")) for n in snap.nodes] == [("a", "black", 1), ("b", "black", 2)]
    restores = [e.obj for e in rec.recording.events if e.kind == "incref"]
    assert restores == ["a", "b"]  # ScanBlack undoes the trial decrements
    heap.check()


def test_an_object_released_while_buffered_is_freed_by_mark_roots():
    heap = Heap("bacon-rajan")
    node = heap.type("Node", ["next"])
    with heap.scope("main") as s:
        s.a = heap.new(node, name="a")
        s.b = s.a  # rc 2
        s.b = None  # rc 1: possible root, buffered
        assert heap.buffer[0].name == "a"
    a = heap.buffer[0]
    assert a.state == "deinited"  # released but still in the buffer
    assert heap.collect() == 0
    assert a.state == "dead" and heap.allocator.live() == {}


def test_acyclic_garbage_is_freed_by_counting_alone():
    heap = Heap("bacon-rajan")
    node = heap.type("Node", ["next"])
    with heap.scope("main") as s:
        s.a = heap.new(node, name="a")
        s.a.next = heap.new(node, name="b")
    assert heap.objects == {} and heap.buffer == []


def test_a_full_buffer_starts_a_collection():
    heap = Heap("bacon-rajan", buffer_size=4)
    node = heap.type("Node", ["next"])
    with heap.scope("main") as s:
        for i in range(12):
            s.x = heap.new(node, name=f"n{i}")
            s.x.next = s.x
    assert heap.scheme.collections >= 2
    assert len(heap.live()) < 12


def test_deinits_of_garbage_run_but_cannot_store(capsys):
    heap = Heap("bacon-rajan")
    seen = []

    def deinit(obj):
        seen.append(obj.name)
        heap.globals.saved = obj  # not allowed during a collection

    node = heap.type("Node", ["next"], deinit=deinit)
    heap.globals.saved = None
    with heap.scope("main") as s:
        s.a = heap.new(node, name="a")
        s.a.next = s.a
    assert heap.collect() == 1
    assert seen == ["a"] and heap.globals.saved is None
    assert isinstance(heap.ignored[0], CollectionInProgress)
    assert "saved: no stores during a cycle collection" in str(heap.ignored[0])
    assert heap.objects == {}


def test_collect_takes_no_options():
    heap = family(2)
    with pytest.raises(BadField, match=r"bacon-rajan collect\(\) takes no options, not generation="):
        heap.collect(generation=1)


@pytest.mark.parametrize("n", [1, 10, 100])
def test_collection_work_grows_with_the_garbage(n):
    heap = family(n)
    heap.collect()
    assert heap.counters["trial decrements"] == 2 * n
    assert heap.counters["restores"] == 0


def test_the_demo_ends_with_the_ring_freed_and_its_neighbour_alive():
    import memlab.demos

    player = memlab.demos.demo("cycles")
    assert 10 <= len(player.recording) <= 40
    player.seek(len(player.recording) - 1)
    assert player.caption.endswith("Bacon–Rajan collection: examined 4 objects, 3 were garbage")
    html = player.html
    assert "d: Node" in html and "rc 1" in html
    assert not any(f"{name}: Node" in html for name in "abc")
    player.seek(12)
    assert "trial deletion" in player.caption


def test_the_collector_view_names_the_buffered_roots():
    from memlab.viz.collect import collector_svg, status

    heap = family(2)
    snap = heap.snapshot()
    assert status(snap) == "possible roots (buffered): parent, child0, child1"
    svg = collector_svg(snap)
    assert svg.startswith("<svg") and "possible roots (buffered): parent, child0, child1" in svg
    assert "purple" in svg


def test_ctrl_c_in_a_deinit_during_a_collection_is_raised_once_the_heap_is_whole_again():
    def ctrl_c(obj):
        raise KeyboardInterrupt

    heap = Heap("bacon-rajan")
    node = heap.type("Node", ["next"], deinit=ctrl_c)
    with heap.scope("main") as s:
        s.a, s.b = heap.new(node, name="a"), heap.new(node, name="b")
        s.a.next, s.b.next = s.b, s.a
        del s.a, s.b
        with pytest.raises(KeyboardInterrupt):
            heap.collect()
        heap.check()  # was: "a has rc 0 but 1 references hold it"
        assert heap.objects == {} and heap.collect() == 0
