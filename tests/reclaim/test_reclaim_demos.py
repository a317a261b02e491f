"""Lecture demos for reference counting, ARC and ownership: each ends where its surprise is."""

import memlab.demos
from memlab.widgets.player import Player


def last(topic):
    player = memlab.demos.demo(topic)
    assert isinstance(player, Player) and 10 <= len(player.recording) <= 41
    player.seek(-1)
    return player


def test_refcount_demo_ends_with_a_leaked_cycle():
    player = last("refcount")
    assert player.caption.endswith("leave scope main: drop y, x")
    assert player.html.count(">live · leaked<") == 2  # x and y, each still at rc 1
    assert player.html.count(">rc 1<") == 2
    assert "a: Node" not in player.html  # the list a → b → c was freed by the cascade
    script = player.recording.script()
    assert script.index("free c") < script.index("free b") < script.index("free a")
    topics = memlab.demos.topics()
    assert "zoom:1.6" in player.html
    assert topics.index("manual") + 1 == topics.index("refcount") == topics.index("arc") - 1  # notebook 14's


def test_arc_demo_ends_with_john_freed_and_the_weak_tenant_left_pointing_at_a_side_table():
    player = last("arc")
    assert player.caption.endswith("free john: 40 bytes at 0x10000 go back to the allocator")
    assert "swift_retain(unit4A)" in player.recording.script()  # inserted, not written by the program
    assert ">john: Person<" in player.html and ">freed<" in player.html
    assert ">unit4A: Apartment<" in player.html and ">strong 1  unowned 1<" in player.html
    assert "tenant (weak)" in player.html
    assert "leaked" not in player.html  # a freed object is not a leak


def test_ownership_demo_ends_after_the_drops_at_the_closing_brace():
    player = last("ownership")
    assert player.caption.endswith("free the 4-byte heap block of `b` at 0x10008")
    assert "E0502" in player.html
    drops = [f.event.describe() for f in player.recording if f.event and f.event.describe().startswith("drop `")]
    assert drops == ["drop `v` (Vec<i32>)", "drop `c` (String)", "drop `b` (Box<i32>)"]
