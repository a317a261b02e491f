"""The composing-allocators demo and the testing allocator's leak event, as a learner sees them."""

import pytest

import memlab.demos
from memlab.compose import ArrayList
from memlab.compose.testing import LeakFound, TestingAllocator
from memlab.manual import MemoryLeak


def test_the_demo_ends_on_the_leaked_block_of_the_failing_test():
    player = memlab.demos.demo("compose")
    player.seek(-1)
    assert 10 <= len(player.recording) <= 41
    event = player.frame.event
    assert isinstance(event, LeakFound) and event.size == 520
    assert player.caption.endswith(
        f"the 520-byte block at {event.address:#x} (allocated at step 7 in test_squares (test_lists.py:11)) "
        "was never freed: the test fails"
    )
    (leaked,) = [b for b in player.frame.snapshot.blocks if b.address <= event.address < b.end]
    assert leaked.state == "allocated" and f"{leaked.address:#x}" in player.html
    script = player.recording.script()
    assert "test_cubes passes: nothing is left allocated" in script
    assert script.count("was never freed") == 1


def test_a_recorded_leak_check_emits_one_event_per_leaked_block():
    gpa = TestingAllocator()
    kept = ArrayList(gpa)
    kept.append(1)
    a = gpa.alloc(24)
    with gpa.record() as rec, pytest.raises(MemoryLeak, match="leaked in 2 allocation"):
        gpa.deinit()
    leaks = [e for e in rec.recording.events if isinstance(e, LeakFound)]
    assert sorted((e.address, e.size) for e in leaks) == sorted([(kept.address, 64), (a, 24)])
    assert all("test_a_recorded_leak_check" in e.where for e in leaks)
