"""Events, recorders and recordings: stepping forwards and backwards through snapshots."""

import memlab
from memlab.events import Alloc, Coalesce, Cursor, Free, Note, Recorder, Recording, Split, record


def make():
    return memlab.allocator("bump", size=64)


def test_events_describe_themselves_in_words():
    assert Split(3, 0x40, 128, 48, 80).describe() == "split 128-byte free block at 0x40 into 48 + 80"
    assert Coalesce(4, 0x40, 48, (16, 32), case=3).describe() == (
        "case 3: coalesce 16 + 32 into one 48-byte free block at 0x40"
    )
    assert Alloc(1, 0x10, 3).kind == "alloc"


def test_a_recording_has_the_initial_state_then_one_frame_per_event():
    heap = make()
    with Recorder(heap) as rec:
        a = heap.alloc(3)
        b = heap.alloc(3)
        heap.free(b)
    recording = rec.recording
    assert len(recording) == 4
    assert recording[0].event is None and recording[0].describe() == "the initial state"
    assert recording.kinds() == ["alloc", "alloc", "free"]
    assert recording.events[2] == Free(3, b, 3)
    assert [s.stats.live_blocks for s in recording.snapshots()] == [0, 1, 2, 1]
    assert recording.script().splitlines()[0] == f"  1. alloc 3 bytes at {a:#x}"


def test_an_allocator_notes_a_line_of_commentary_at_its_current_step_and_changes_nothing_else():
    heap = make()
    heap.note("nothing recorded yet")  # no recorder: nothing happens
    with Recorder(heap) as rec:
        a = heap.alloc(3)
        before = heap.stats()
        heap.note(f"one block at {a:#x}")
    assert rec.recording.events[-1] == Note(heap.step, f"one block at {a:#x}")
    assert rec.recording[-1].describe().endswith(f"one block at {a:#x}")
    assert heap.stats() == before and len(rec.recording) == 3


def test_a_cursor_steps_both_ways_and_stops_at_the_ends():
    heap = make()
    recording = record(heap, lambda: [heap.alloc(8) for _ in range(3)])
    cursor = Cursor(recording)
    assert cursor.back().index == 0
    assert cursor.forward(2).index == 2
    assert cursor.back().index == 1
    assert cursor.forward(99).index == 3 and cursor.at_end
    assert cursor.seek(-2).index == 2
    assert [f.index for f in Cursor(recording, 1)] == [1, 2, 3]


def test_nothing_is_recorded_without_a_recorder_and_recorders_nest():
    heap = make()
    heap.alloc(8)
    assert heap.recorder is None
    with Recorder(heap, snapshots=False) as outer:
        with Recorder(heap) as inner:
            heap.alloc(8)
        heap.alloc(8)
    assert heap.recorder is None
    assert outer.recording.kinds() == ["alloc", "alloc"]
    assert inner.recording.kinds() == ["alloc"]
    assert outer.recording[1].snapshot is None


def test_snapshots_keep_the_bytes_of_small_heaps():
    heap = make()
    with heap.record() as rec:
        a = heap.alloc(4)
        heap.memory.write(a, b"abcd")
        heap.alloc(4)
    last = rec.recording[-1].snapshot
    assert last.read(a, 4) == b"abcd"
    assert rec.recording[1].snapshot.read(a, 4) == bytes(4), "the snapshot was taken before the write"
    assert isinstance(rec.recording, Recording)
