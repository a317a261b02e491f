"""The object-graph view: what a learner sees of a heap of objects, and the player over it."""

import re
import xml.etree.ElementTree as ET

from memlab.reclaim import Heap
from memlab.reclaim.snapshot import Edge, GraphSnapshot, Node, Variable
from memlab.viz.graph import graph_svg
from memlab.widgets.graph import animate_objects, graph_player

SVG = "{http://www.w3.org/2000/svg}"


def texts(svg: str) -> list[str]:
    return [t.text or "" for t in ET.fromstring(svg).iter(SVG + "text")]


def edges(svg: str) -> dict[str, dict[str, str]]:
    """Each reference arrow by its hover title ("a.next → b: strong") → its attributes."""
    found = {}
    for path in ET.fromstring(svg).iter(SVG + "path"):
        title = path.find(SVG + "title")
        if "ml-edge" in path.get("class", "") and title is not None:
            found[title.text] = path.attrib
    return found


def node_x(svg: str, name: str) -> float:
    for g in ET.fromstring(svg).iter(SVG + "g"):
        if g.get("data-name") == name:
            return float(g.find(SVG + "rect").get("x"))
    raise KeyError(name)


def arc_heap():
    heap = Heap("arc")
    t = heap.type("Node", ["next", "weak prev", "unowned owner"])
    return heap, t


def test_names_types_counts_and_states_are_written_in_the_boxes():
    heap, t = arc_heap()
    with heap.scope("main") as s:
        s.a = heap.new(t, name="alpha")
        s.a.next = heap.new(t, name="beta")
        s.a.next.prev = s.a
        shown = texts(graph_svg(heap.snapshot()))
    assert "alpha: Node" in shown and "beta: Node" in shown
    assert "strong 1  unowned 1  weak 1" in shown  # alpha: one weak reference, via a side table
    assert "strong 1  unowned 1" in shown
    assert "main" in shown and "a" in shown  # the scope and its variable


def test_reference_kinds_differ_by_dash_pattern_not_colour_alone():
    heap, t = arc_heap()
    with heap.scope("main") as s:
        s.a = heap.new(t, name="a")
        s.a.next = heap.new(t, name="b")
        s.a.next.prev = s.a
        s.a.next.owner = s.a
        s.var("w", s.a, kind="weak")
        svg = graph_svg(heap.snapshot())
    drawn = edges(svg)
    assert "stroke-dasharray" not in drawn["a.next → b: strong"]
    assert drawn["b.prev → a: weak"]["stroke-dasharray"] == "6 4"
    assert drawn["b.owner → a: unowned"]["stroke-dasharray"] == "1.5 3"
    assert drawn["main.w → a: weak"]["stroke-dasharray"] == "6 4"
    assert drawn["main.a → a: strong"]["class"] == "ml-edge ml-strong"
    shown = texts(svg)
    assert "prev (weak)" in shown and "owner (unowned)" in shown and "next" in shown


def test_layers_follow_distance_from_the_variables():
    heap = Heap("refcount")
    t = heap.type("Node", ["next"])
    with heap.scope("main") as s:
        s.head = heap.new(t, name="n0")
        s.head.next = heap.new(t, name="n1")
        s.head.next.next = heap.new(t, name="n2")
        svg = graph_svg(heap.snapshot())
        assert svg == graph_svg(heap.snapshot())  # deterministic
    assert node_x(svg, "n0") < node_x(svg, "n1") < node_x(svg, "n2")


def test_a_cycle_left_behind_by_reference_counting_is_marked_leaked():
    heap = Heap("refcount")
    t = heap.type("Node", ["next"])
    with heap.scope("main") as s:
        s.a = heap.new(t, name="a")
        s.a.next = heap.new(t, name="b")
        before = texts(graph_svg(heap.snapshot()))
        assert "leaked" not in " ".join(before)
        assert "strong" in before and "weak" not in before  # the legend lists only the kinds in use
        s.a.next.next = s.a
        s.a = None
    shown = texts(graph_svg(heap.snapshot()))
    assert "live · leaked" in shown  # both a and b, each with refcount 1
    assert shown.count("live · leaked") == 2
    assert "rc 1" in shown
    assert "leaked: no variable reaches it" in shown


def test_a_reference_to_itself_in_the_last_column_stays_inside_the_picture():
    heap, t = arc_heap()
    with heap.scope("main") as s:
        s.a = heap.new(t, name="a")
        s.a.next = heap.new(t, name="b")
        s.a.next.next = heap.new(t, name="c")  # the third column: the last that fits in 760 pixels
        c = s.a.next.next
        c.next, c.prev = c, c
        svg = graph_svg(heap.snapshot())
    root = ET.fromstring(svg)
    _, _, view_w, view_h = map(float, root.get("viewBox").split())
    box_x, box_w = node_x(svg, "c"), 166
    assert box_x + box_w > view_w - 10, "c's box reaches the right edge of the picture"
    drawn = edges(svg)
    loop_titles = ("c.next → c: strong", "c.prev → c: weak")
    for title in loop_titles:
        xy = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", drawn[title]["d"])]
        xs, ys = xy[0::2], xy[1::2]
        assert all(0 <= x <= view_w for x in xs) and all(0 <= y <= view_h for y in ys), (title, xy)
        assert all(box_x <= x <= box_x + box_w for x in xs), "the loop stays above its own box"
    starts = {drawn[title]["d"].split("C")[0] for title in loop_titles}
    assert len(starts) == 2, "two references to itself are drawn side by side, not on top of each other"
    drawn_in_order = list(root.iter())
    loops = [e for e in drawn_in_order if e.tag == SVG + "title" and e.text in loop_titles]
    labels = [drawn_in_order[drawn_in_order.index(e) + 1] for e in loops]  # the text after the path's title
    assert sorted(label.text for label in labels) == ["next", "prev (weak)"]
    for label in labels:  # a label runs from the hoop towards the box's middle, never off the page
        x, anchor = float(label.get("x")), label.get("text-anchor")
        assert (anchor == "end" and box_x < x <= view_w) or (anchor == "start" and box_x <= x < box_x + box_w)


def test_a_collector_calls_them_unreachable_and_colours_show_as_words_and_patterns():
    snap = GraphSnapshot(
        "bacon-rajan",
        7,
        (
            Node(1, "p", "Node", 0x100, 32, "live", (("rc", 1),), "purple", ("buffered",)),
            Node(2, "g", "Node", 0x120, 32, "live", (("rc", 0),), "gray"),
            Node(3, "w", "Node", 0x140, 32, "live", (("rc", 0),), "white"),
            Node(4, "k", "Node", 0x160, 32, "live", (("rc", 2),), "black"),
        ),
        (Edge(1, 2, "next"), Edge(2, 3, "next"), Edge(3, 1, "next")),
        (Variable("main", "x", "strong", 4),),
    )
    svg = graph_svg(snap)
    shown = texts(svg)
    assert "purple · unreachable" in shown and "buffered" in shown
    assert "gray · unreachable" in shown and "white · unreachable" in shown
    assert "black" in shown
    for colour in ("purple", "gray", "white"):
        assert f'fill="url(#ml-g-{colour})"' in svg  # a pattern, not a hue only
        assert colour in shown  # and in the legend


def test_freed_and_deinited_objects_are_drawn_differently_from_live_ones():
    snap = GraphSnapshot(
        "arc",
        3,
        (
            Node(1, "cust", "Customer", 0x100, 32, "deinited", (("strong", 0), ("unowned", 1))),
            Node(2, "gone", "Node", 0x140, 32, "freed", ()),
            Node(3, "card", "CreditCard", 0x180, 32, "live", (("strong", 1), ("unowned", 1))),
        ),
        (Edge(3, 1, "customer", "unowned"),),
        (Variable("main", "c", "strong", 3),),
    )
    svg = graph_svg(snap)
    shown = texts(svg)
    assert "deinited" in shown and "freed" in shown and "memory given back" in shown
    states = {g.get("data-name"): g.get("class") for g in ET.fromstring(svg).iter(SVG + "g") if g.get("data-name")}
    assert states == {"cust": "ml-node ml-deinited", "gone": "ml-node ml-freed", "card": "ml-node ml-live"}
    assert 'fill="url(#ml-hatch)"' in svg and 'fill="url(#ml-cross)"' in svg


def test_the_object_an_event_names_is_outlined():
    heap = Heap("refcount")
    t = heap.type("Node", ["next"])
    with heap.scope("main") as s:
        s.a = heap.new(t, name="a")
        with heap.record() as rec:
            s.a.next = heap.new(t, name="b")
    frame = next(f for f in rec.recording if f.event is not None and getattr(f.event, "obj", "") == "b")
    plain = graph_svg(frame.snapshot)
    marked = graph_svg(frame.snapshot, event=frame.event)
    assert 'stroke-width="2.8"' in marked and 'stroke-width="2.8"' not in plain


def test_names_are_escaped_and_the_svg_stays_well_formed():
    heap = Heap("refcount")
    t = heap.type("Node", ["next"])
    with heap.scope("main") as s:
        s.a = heap.new(t, name='<a & "b">')
        svg = graph_svg(heap.snapshot(), caption="x < y")
    assert '<a & "b">: Node' in texts(svg)  # parsed back: it was escaped
    assert "x < y" in texts(svg)


def test_a_hundred_objects_all_appear():
    heap = Heap("arc", allocator="bump:size=1048576")
    t = heap.type("T", ["left", "right", "weak up"])
    with heap.scope("main") as s:
        s.root = heap.new(t, name="n0")
        objs = [s.root]
        for i in range(1, 100):
            o = heap.new(t, name=f"n{i}")
            setattr(objs[(i - 1) // 2], "left" if i % 2 else "right", o)
            o.up = objs[(i - 1) // 2]
            objs.append(o)
        svg = graph_svg(heap.snapshot())
    names = [g.get("data-name") for g in ET.fromstring(svg).iter(SVG + "g") if g.get("data-name")]
    assert sorted(names) == sorted(f"n{i}" for i in range(100))
    assert len(edges(svg)) == 99 * 2 + 1  # left/right + up for each child, and the variable
    boxes = [
        (float(r.get("x")), float(r.get("y")))
        for g in ET.fromstring(svg).iter(SVG + "g")
        if g.get("data-name")
        for r in [g.find(SVG + "rect")]
    ]
    assert len(set(boxes)) == 100  # no two boxes on top of each other
    assert int(re.search(r'width="(\d+)"', svg).group(1)) == 760


def test_graph_player_steps_through_a_cascade():
    heap = Heap("refcount")
    t = heap.type("Node", ["next"])

    def program(h):
        with h.scope("main") as s:
            s.a = h.new(t, name="a")
            s.a.next = h.new(t, name="b")

    player = animate_objects(heap, program, title="cascade")
    assert "a: Node" not in player.html  # frame 0: before the program
    player.seek(2)
    assert "a: Node" in player.html and "main" in player.html
    player.seek(-1)
    assert player.caption == "Step 9 of 9: leave scope main: drop a"
    script = player.recording.script()
    assert "free a" in script and "free b" in script
    assert "a: Node" not in player.html  # both are gone at the end
    player.seek(3)
    assert "Step 3 of" in player.caption
    again = graph_player(player.recording, caption="hello")
    assert "hello" in again.html


def box_of(svg: str, name: str):
    for g in ET.fromstring(svg).iter(SVG + "g"):
        if g.get("data-name") == name:
            r = g.find(SVG + "rect")
            return float(r.get("x")), float(r.get("y"))
    return None


def test_in_a_player_every_object_keeps_its_place_through_a_cascade():
    heap = Heap("refcount")
    t = heap.type("Node", ["next"])
    main = heap.scope("main")
    with heap.record() as rec:
        main.head = heap.new(t, name="n0")
        main.head.next = heap.new(t, name="n1")
        main.head.next.next = heap.new(t, name="n2")
        main.head = None
    player = graph_player(rec.recording)
    places = {name: set() for name in ("n0", "n1", "n2")}
    states = set()
    for i in range(len(rec.recording)):
        player.seek(i)
        for name in places:
            if box_of(player.html, name) is not None:
                places[name].add(box_of(player.html, name))
        states |= {n.state for n in rec.recording[i].snapshot.nodes}
    assert all(len(p) == 1 for p in places.values())  # no box ever moves
    assert len({p.pop()[0] for p in places.values()}) == 3  # three columns: n0, n1, n2
    assert "deiniting" in states  # frames where the references are already gone
    alone = graph_svg(rec.recording[-3].snapshot)  # without the layout, n1 falls back to the first column
    assert box_of(alone, "n1")[0] == box_of(graph_svg(rec.recording[4].snapshot), "n0")[0]


def test_objects_torn_down_by_a_cascade_are_not_called_leaked():
    heap = Heap("refcount")
    t = heap.type("Node", ["next"])
    main = heap.scope("main")
    with heap.record() as rec:
        main.a = heap.new(t, name="a")
        main.a.next = heap.new(t, name="b")
        main.a = None
    middle = next(f for f in rec.recording if f.event is not None and f.describe().startswith("decref b"))
    shown = texts(graph_svg(middle.snapshot))
    assert "rc 0" in shown and not any("leaked" in s for s in shown)
