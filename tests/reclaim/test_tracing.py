"""Tracing GC: mark-sweep (gray worklist, mark bits, sweep, trigger) and Cheney's copying collector."""

import pytest

from memlab.errors import BadSize, OutOfMemory
from memlab.reclaim import BadField, CollectionInProgress, DeadObject, Heap
from memlab.reclaim.copying import FORWARDED
from memlab.reclaim.types import FLAGS


def program(scheme, **options):
    """a -> b -> a (a cycle held by main.a) and c -> c (a garbage self-cycle)."""
    heap = Heap(scheme, **options)
    node = heap.type("Node", ["next", "int value"])
    s = heap.scope("main")
    s.a = heap.new(node, name="a")
    s.a.next = heap.new(node, name="b")
    s.a.next.next = s.a
    s.c = heap.new(node, name="c")
    s.c.next = s.c
    s.c = None
    return heap, node, s


def test_mark_sweep_frees_a_garbage_cycle_and_keeps_a_reachable_one():
    heap, _, s = program("mark-sweep", allocator="freelist")
    c = heap.snapshot().node("c")
    assert heap.collect() == 1
    assert heap.snapshot().names() == ["a", "b"]
    assert c.address not in heap.allocator.live()  # its block went back to the allocator
    assert s.a.next.next is s.a
    heap.check()


def test_the_marking_wave_and_the_sweep_in_order():
    heap, _, s = program("mark-sweep")
    with heap.record() as rec:
        heap.collect()
    events = rec.recording.events
    steps = [(e.kind, getattr(e, "obj", getattr(e, "name", ""))) for e in events]
    assert steps == [
        ("phase", "mark roots"),
        ("marked", "a"),
        ("phase", "trace"),
        ("marked", "b"),
        ("scanned", "a"),
        ("scanned", "b"),
        ("phase", "sweep"),
        ("swept", "a"),
        ("swept", "b"),
        ("dealloc", "c"),
        ("collected", ""),
        ("phase", "done"),
    ]
    assert events[1].describe() == "mark a (reached from main.a): set its mark bit; gray, onto the worklist"
    assert events[-1].describe() == "done: pause of 5 work units; 48 bytes live; next collection above 1024 bytes"


def test_mark_bits_live_in_the_header_bytes():
    heap, _, s = program("mark-sweep")
    with heap.record() as rec:
        heap.collect()
    frames = list(rec.recording)
    low, _ = FLAGS["marked"]
    marked_b = next(f for f in frames if f.event is not None and f.event.kind == "marked" and f.event.obj == "b")
    node = marked_b.snapshot.node("b")
    assert node.colour == "gray" and node.count("mark") == 1 and "marked" in node.tags
    assert heap.memory.read_word(s.a.address) >> low & 1 == 0  # cleared by the sweep
    assert [(n.name, n.colour) for n in frames[-1].snapshot.nodes] == [("a", "white"), ("b", "white")]


def test_the_threshold_grows_with_what_survives():
    heap = Heap("mark-sweep", threshold=100, growth=2.0)
    node = heap.type("Node", ["next"])
    with heap.scope("main") as s:
        for i in range(20):  # a list that only grows: everything survives
            s.head = heap.new(node, name=f"n{i}", next=s.head if i else None)
    thresholds = [p.threshold for p in heap.history]
    # 6 objects of 16 bytes reach 96 (a 7th would pass 100): all survive, so 2 x 96; then 2 x 192
    assert [p.before for p in heap.history] == [96, 192]
    assert thresholds == [192, 384]
    heap.check()


def test_stress_mode_collects_before_every_allocation():
    heap = Heap("mark-sweep", stress=True)
    node = heap.type("Node", ["next"])
    with heap.scope("main") as s:
        for i in range(5):
            s.x = heap.new(node, name=f"n{i}")
    assert len(heap.history) == 5
    assert [p.freed for p in heap.history] == [0, 0, 1, 1, 1]  # the temporary of the previous new is gone


def test_a_larger_threshold_means_fewer_but_longer_pauses():
    def run(threshold):
        heap = Heap("mark-sweep", threshold=threshold)
        node = heap.type("Node", ["next"])
        with heap.scope("main") as s:
            for i in range(200):
                s.x = heap.new(node, name=f"n{i}", next=s.x if i % 10 else None)
        return len(heap.history), max(p.work for p in heap.history)

    few, long = run(2048)
    many, short = run(256)
    assert few < many and long > short


def test_pause_is_marked_live_plus_swept_heap():
    heap = Heap("mark-sweep", threshold=1 << 20)
    node = heap.type("Node", ["next"])
    with heap.scope("main") as s:
        for i in range(30):
            s.keep = heap.new(node, name=f"k{i}", next=s.keep if i else None)  # 30 live
        for i in range(70):
            heap.new(node, name=f"g{i}").next = None  # 70 temporaries, garbage after the scope
    heap.globals.root = None
    with heap.scope("second") as s:
        s.keep = heap.new(node, name="k")
        heap.collect()
    pause = heap.history[-1]
    assert (pause.marked, pause.swept, pause.freed, pause.work) == (1, 101, 100, 102)


def test_arguments_of_new_are_roots_while_it_allocates():
    heap = Heap("mark-sweep", stress=True)
    node = heap.type("Node", ["next"])
    with heap.scope("main") as s:
        s.a = heap.new(node, name="a")
        lonely = heap.new(node, name="lonely")
        s.a.next = lonely  # lonely's temporary is handed over to a.next
        s.a.next = None  # now only the Python name `lonely` knows it
        s.b = heap.new(node, name="b", next=lonely)  # collects first; lonely is an argument
        assert s.b.next is lonely and lonely.state == "live"


def test_a_stale_handle_to_collected_garbage_is_refused():
    heap, node, s = program("mark-sweep")
    c = next(o for o in heap.objects.values() if o.name == "c")
    heap.collect()
    with pytest.raises(DeadObject, match="use of c"):
        c.value = 1
    with pytest.raises(DeadObject, match="cannot refer to c"):
        s.a.next = c
    assert s.a.next.name == "b"


def test_finalizers_of_garbage_run_but_cannot_store(capsys):
    heap = Heap("mark-sweep")
    seen = []

    def deinit(obj):
        seen.append(obj.name)
        heap.globals.saved = obj

    node = heap.type("Node", ["next"], deinit=deinit)
    heap.globals.saved = None
    with heap.scope("main") as s:
        s.x = heap.new(node, name="x")
        s.x.next = s.x
    assert heap.collect() == 1
    assert seen == ["x"] and heap.globals.saved is None
    assert isinstance(heap.ignored[0], CollectionInProgress)
    assert "not allowed during a mark-sweep collection" in capsys.readouterr().err


def test_bad_options_and_weak_references_are_refused():
    with pytest.raises(BadField, match="threshold -1"):
        Heap("mark-sweep", threshold=-1)
    with pytest.raises(BadField, match="growth 0.5"):
        Heap("mark-sweep", growth=0.5)
    with pytest.raises(BadField, match="growth inf must be a finite number"):
        Heap("mark-sweep", growth=float("inf"))
    with pytest.raises(BadField, match="stress='yes' must be True or False"):
        Heap("mark-sweep", stress="yes")
    with pytest.raises(BadSize, match="semispace size -5"):
        Heap("copying", semispace=-5)
    heap = Heap("mark-sweep")
    t = heap.type("T", ["weak other"])
    with heap.scope("main") as s:
        s.x = heap.new(t, name="x")
        before = heap.words(s.x)
        with pytest.raises(BadField, match="strong references only"):
            s.x.other = s.x
        assert heap.words(s.x) == before
    with pytest.raises(BadField, match="mark-sweep collect\\(\\) takes only reason, not generation="):
        heap.collect(generation=1)


# -- copying -------------------------------------------------------------------------------


def test_copying_moves_the_survivors_and_leaves_forwarding_addresses():
    heap, _, s = program("copying", semispace=256)
    old_a, old_b = s.a.address, s.a.next.address
    lo, _ = heap.space.to_space
    assert heap.collect() == 1
    assert (s.a.address, s.a.next.address) == (lo, lo + 24)  # compacted at the start of to-space
    assert heap.memory.read_word(old_a) == FORWARDED | lo  # the forwarding address, in the old header
    assert heap.memory.read_word(old_b) == FORWARDED | (lo + 24)
    assert s.a.next.next is s.a and heap.space.top == lo + 48
    heap.check()


def test_cheney_events_in_order():
    heap, _, s = program("copying", semispace=256)
    with heap.record() as rec:
        heap.collect()
    kinds = [(e.kind, getattr(e, "obj", getattr(e, "name", ""))) for e in rec.recording.events]
    assert kinds == [
        ("phase", "copy roots"),
        ("copied", "a"),
        ("forwarded", "a"),
        ("phase", "scan"),
        ("copied", "b"),
        ("forwarded", "b"),
        ("scavenged", "a"),
        ("forwarded", "a"),
        ("scavenged", "b"),
        ("phase", "flip"),
        ("collected", ""),
        ("phase", "done"),
    ]
    assert rec.recording.events[-3].describe() == "flip: to-space becomes from-space; left behind, never touched: c"


def test_copying_pause_depends_on_live_objects_only():
    def pause(garbage):
        heap = Heap("copying", semispace=1 << 14)
        node = heap.type("Node", ["next"])
        with heap.scope("main") as s:
            for i in range(10):
                s.keep = heap.new(node, name=f"k{i}", next=s.keep if i else None)
        with heap.scope("g"):
            for i in range(garbage):
                heap.new(node, name=f"g{i}")
        with heap.scope("second") as s:
            heap.globals.keep = None
            s.keep = heap.new(node, name="k")
            heap.collect()
        return heap.history[-1]

    small, big = pause(10), pause(500)
    assert small.work == big.work == 1
    assert big.freed == 510


def test_a_full_from_space_triggers_a_collection_and_a_live_heap_too_big_fails():
    heap = Heap("copying", semispace=128)
    node = heap.type("Node", ["next"])
    with heap.scope("main") as s:
        for i in range(20):
            s.x = heap.new(node, name=f"n{i}")  # only the newest survives
        assert len(heap.history) >= 2 and heap.history[0].reason.startswith("from-space full")
        with pytest.raises(OutOfMemory, match="from-space full even after a collection: .* bytes are live"):
            for i in range(20):
                s.x = heap.new(node, name=f"m{i}", next=s.x)  # a list that keeps everything
    heap.check()


# -- views and demo ------------------------------------------------------------------------


def test_the_status_line_follows_the_marking_wave():
    from memlab.viz.collect import status

    heap, _, s = program("mark-sweep")
    assert status(heap.snapshot()) == "3 object(s), none marked: the program runs"
    with heap.record() as rec:
        heap.collect()
    lines = [status(f.snapshot) for f in rec.recording]
    assert "gray (reached, not scanned): a · black: none · white: b, c" in lines
    assert "gray (reached, not scanned): none · black: a, b · white: c" in lines


def test_the_semispace_view_draws_scan_and_free_pointers():
    from memlab.viz.collect import copying_view

    heap, _, s = program("copying", semispace=256)
    with heap.record() as rec:
        heap.collect()
    view = copying_view(heap)
    lo, _ = heap.space.from_space  # after the flip: where the copies are
    middle = next(f for f in rec.recording if f.event is not None and f.event.kind == "scavenged")
    html = view(middle)
    assert f"scan {lo + 24:#x}" in html and f"free {lo + 48:#x}" in html  # a scanned, b copied
    assert "to-space" in html and "from-space" in html
    assert "scan 0x" not in view(list(rec.recording)[-1])  # after the flip: no collection in progress


def test_the_demo_ends_with_the_garbage_swept():
    import memlab.demos

    player = memlab.demos.demo("tracing")
    assert 10 <= len(player.recording) <= 40
    player.seek(len(player.recording) - 1)
    assert player.caption.endswith("done: pause of 7 work units; 48 bytes live; next collection above 1024 bytes")
    html = player.html
    assert "x: Node" in html and "y: Node" in html
    assert not any(f"{name}: Node" in html for name in "pqr")


def test_copying_in_stress_mode_keeps_a_growing_list_intact():
    heap = Heap("copying", semispace=512, stress=True)
    node = heap.type("Node", ["next", "int value"])
    with heap.scope("main") as s:
        for i in range(10):
            s.x = heap.new(node, name=f"n{i}", value=i, next=s.x if i else None)
        assert [p.marked for p in heap.history] == list(range(10))  # every collection copies the list so far
        values, cur = [], s.x
        while cur is not None:
            values.append(cur.value)
            cur = cur.next
        assert values == list(range(9, -1, -1))
        heap.check()
