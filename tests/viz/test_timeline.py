"""The ownership timeline: the program's lines, one lane per variable, moves, borrows, drops."""

import xml.etree.ElementTree as ET

import pytest

import memlab
from memlab.reclaim.ownership import Box, Ownership, OwnershipError, String, Vec, move, ref
from memlab.viz.timeline import lane_kind, ownership_view, timeline_svg

SVG = "{http://www.w3.org/2000/svg}"


def program():
    own = Ownership(memlab.allocator("bump", size=4096))
    with own.record() as rec:
        with own.scope() as s:
            s.let("a", String("first"))
            s.let("b", Box(7))
            s.let("c", move("a"))
            s.let("v", Vec([1, 2]), mut=True)
            s.let("r", ref("v"))
            s.push("v", 3)
            with pytest.raises(OwnershipError):
                s.use("r")
    return rec.recording


def texts(svg):
    return [t.text or "" for t in ET.fromstring(svg).iter(SVG + "text")]


def test_the_lines_and_the_lanes_are_drawn():
    svg = timeline_svg(program()[-1].snapshot)
    shown = texts(svg)
    for line in ("fn main() {", 'let a = String::from("first");', "let c = a;", "v.push(3);", "}"):
        assert line in [s.strip() for s in shown]
    assert [s for s in shown if s in ("a", "b", "c", "v", "r")] == ["a", "b", "c", "v", "r"]
    assert "E0502" in shown  # the refused line carries its error code


def test_drops_at_the_closing_brace_are_numbered_in_reverse_declaration_order():
    svg = timeline_svg(program()[-1].snapshot)
    found = [
        (t.text, float(t.get("x"))) for t in ET.fromstring(svg).iter(SVG + "text") if t.get("font-weight") == "bold"
    ]
    lane = {x: name for name, x in found if name in ("a", "b", "c", "v", "r")}  # headers sit on their lanes
    order = {n: lane.get(x - 9) for n, x in found if n in ("1", "2", "3", "4")}  # a number sits 9 px right
    assert [order[n] for n in "1234"] == ["r", "v", "c", "b"]  # `a` was moved out: nothing to drop


def test_a_move_is_an_arrow_and_a_moved_variable_a_dashed_line():
    svg = timeline_svg(program()[-1].snapshot)
    titles = [t.text for t in ET.fromstring(svg).iter(SVG + "title")]
    assert "moved" in titles and "& v" in titles
    assert 'stroke-dasharray="3 3"' in svg


def test_lane_kinds_and_the_view_with_the_heap_below():
    assert [lane_kind(t) for t in ("&mut Vec<i32>", "&i32", "Ref<i32>", "Rc<String>", "Box<i32>")] == [
        "mut",
        "shared",
        "guard",
        "rc",
        "owner",
    ]
    html = ownership_view(program()[-1])
    assert html.count("<svg") == 2  # timeline, then the heap map of the values' allocator
