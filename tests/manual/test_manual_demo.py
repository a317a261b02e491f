"""The manual-memory demo: a use after free reads someone else's data, then is caught."""

import re

from memlab.demos import demo
from memlab.demos.manual import debug, plain
from memlab.manual.debug import BugCaught


def test_on_a_plain_heap_the_stale_pointer_reads_the_new_owners_data():
    recording = plain()
    script = recording.script()
    assert 'name = malloc(16) gets the same block, 0x1010; strcpy(name, "alice")' in script
    assert recording[-1].event.describe() == (
        "reading the stale password pointer gives 'alice': someone else's data, and no error"
    )
    assert recording[-1].snapshot.read(0x1010, 8) == b"alice\x002\x00", "the tail of 'hunter2' is still there"


def test_under_the_debug_allocator_the_block_is_quarantined_and_the_read_caught():
    recording = debug()
    caught = [f.event for f in recording if isinstance(f.event, BugCaught)]
    assert [(e.bug, e.address) for e in caught] == [("heap-use-after-free", 0x1020)]
    last = recording[-1]
    assert last.event.describe().startswith("reading password is caught: heap-use-after-free: READ of size 1 at 0x1020")
    states = {b.address: (b.state, b.label) for b in last.snapshot.blocks}
    assert states[0x100C] == ("dead", "quarantined"), "the freed block waits, so name got another one"
    assert last.snapshot.read(0x1020, 16) == b"\xaa" * 16, "freed memory is filled with 0xAA"


def test_the_demo_plays_both_runs_and_ends_on_the_report():
    player = demo("manual")
    assert 10 <= len(player.recording) <= 40
    player.seek(-1)
    assert "reading password is caught: heap-use-after-free" in player.caption
    assert "<svg" in player.html and "quarantined" in player.html
    text = re.sub(r"<[^>]+>", "", player.html)
    assert "00001050  fafafafa fafafafa 616c6963 6500bebe" in text, "'alice' in its new block"
