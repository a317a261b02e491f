"""The player and the heap map: move the player, check what the view shows."""

import re

import pytest

import memlab
from memlab.allocators.base import Block
from memlab.viz import heap_svg, hexdump_text
from memlab.widgets import Player, animate, heap_player


def program(heap):
    a = heap.alloc(3)
    b = heap.alloc(20)
    heap.memory.write(b, b"B" * 20)
    heap.free(b)
    heap.free(a)


@pytest.fixture
def player():
    return animate(memlab.allocator("bump", size=64), program, title="bump")


def allocated_rects(svg):
    """Allocated blocks drawn (each has a hover title naming its requested size)."""
    return len(re.findall(r'fill="#0072B2"[^>]*><title>0x[0-9a-f]+: \d+-byte block, \d+ requested', svg))


def test_player_steps_forward_and_back_and_the_view_follows(player):
    assert player.position == 0 and player.caption == "Step 0 of 4: the initial state"
    assert allocated_rects(player.html) == 0
    player.step_forward()
    assert player.caption.startswith("Step 1 of 4: alloc 3 bytes at 0x")
    assert allocated_rects(player.html) == 1
    player.step_forward()
    assert allocated_rects(player.html) == 2
    player.step_back()
    assert player.position == 1 and allocated_rects(player.html) == 1
    player.seek(-1)
    assert player.caption.startswith("Step 4 of 4: free the 3-byte block")
    assert player.step_forward().index == 4, "stepping past the end stays at the end"


def test_scrubbing_the_slider_redraws(player):
    player._slider.value = 2
    assert "alloc 20 bytes" in player.caption and allocated_rects(player.html) == 2


def test_the_current_event_is_outlined(player):
    player.seek(2)
    assert 'stroke="#000000" stroke-width="2.5"' in player.html
    player.seek(0)
    assert 'stroke-width="2.5"' not in player.html


def test_a_displayed_player_leaves_a_static_final_frame(player):
    bundle = player._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert "application/vnd.jupyter.widget-view+json" in data
    assert "<svg" in data["text/html"] and "Step 4 of 4" in data["text/html"]


def test_heap_map_draws_headers_footers_and_a_legend():
    blocks = [
        Block(0, 16, "metadata"),
        Block(16, 32, "allocated", header=4, footer=4, requested=20),
        Block(48, 48, "free", header=4, footer=4),
    ]
    svg = heap_svg(blocks, width=400)
    assert svg.count('fill="url(#ml-dots)"') >= 5, "one metadata block + two headers + two footers"
    assert "0x10: 32-byte block, 20 requested" in svg
    assert ">allocated<" in svg and ">free<" in svg and ">metadata<" in svg
    assert 'aria-label="heap map of 3 blocks, 96 bytes"' in svg


def test_heap_map_legend_calls_dead_bytes_unusable_and_the_tooltip_says_why():
    heap = memlab.allocator("page")
    heap.alloc(40)
    svg = heap_svg(heap.snapshot(), width=400)
    assert ">unusable<" in svg
    assert "rest of the last page, mapped but unused" in svg  # the tail is never freed, so not "until reset"
    assert "until reset" not in svg


def test_hexdump_marks_the_bytes_a_step_changed():
    heap = memlab.allocator("bump", size=32)
    with heap.record() as rec:
        a = heap.alloc(4)
        heap.memory.write(a, b"\x01\x02\x03\x04")
        heap.alloc(4)
    before, after = rec.recording[1].snapshot, rec.recording[2].snapshot
    text = hexdump_text(after, previous=before, length=16)
    assert text.splitlines()[0].endswith("01 02 03 04 00 00 00 00 00 00 00 00 00 00 00 00")
    assert text.splitlines()[1].strip() == "^^ ^^ ^^ ^^"


def test_player_takes_any_view():
    heap = memlab.allocator("bump", size=32)
    with heap.record() as rec:
        heap.alloc(8)
    p = Player(rec.recording, lambda f: f"<p>{f.snapshot.stats.live_bytes} live</p>")
    p.seek(1)
    assert p.html == "<p>8 live</p>"
    with pytest.raises(ValueError):
        Player(memlab.Recording([]))
    assert heap_player(rec.recording, scale=2).html.startswith('<div style="zoom:2">')


def _recorded(source, program):
    with source.record() as rec:
        program(source)
    return rec.recording


def _churn(heap):
    a = heap.alloc(24)
    b = heap.alloc(40)
    heap.free(a)
    heap.free(b)


@pytest.mark.parametrize(
    "spec, expected",
    [
        ("buddy", lambda rec: memlab.viz.tree_view()),
        ("slab", lambda rec: memlab.viz.slab_view()),
        ("magazine", lambda rec: memlab.viz.magazine_view()),
        ("tcmalloc", lambda rec: memlab.viz.tcmalloc_view()),
        ("stack", lambda rec: lambda f: memlab.viz.stack_svg(f.snapshot, event=f.event)),
        ("pool", lambda rec: lambda f: memlab.viz.pool_svg(f.snapshot, event=f.event)),
        ("freelist", lambda rec: memlab.widgets.heap_view(rec)),
        ("bump", lambda rec: memlab.widgets.heap_view(rec)),
    ],
)
def test_a_recording_plays_itself_with_the_view_of_its_kind_of_snapshot(spec, expected):
    import memlab.viz
    import memlab.widgets

    heap = memlab.allocator(spec, **memlab.REGISTRY[spec].test_options)
    if spec == "stack":
        recording = _recorded(heap, lambda h: h.free(h.alloc(24)))
    else:
        recording = _recorded(heap, _churn)
    player = recording.play()
    view = expected(recording)
    player.seek(-1)
    assert player.html == view(recording[-1])
    assert player.caption.startswith(f"Step {len(recording) - 1} of {len(recording) - 1}: ")
    assert recording.kinds().count("free") in (1, 2)


def test_object_graphs_and_rust_programs_play_themselves_too():
    import memlab.widgets
    from memlab.reclaim import Heap
    from memlab.reclaim.ownership import Box, Ownership

    heap = Heap("refcount")
    T = heap.type("T", ["next"])
    with heap.record() as rec:
        with heap.scope("main") as s:
            s.a = heap.new(T, name="a")
    player = rec.recording.play()
    assert player.html == memlab.widgets.graph_view(rec.recording)(rec.recording[0])

    own = Ownership(memlab.allocator("bump", size=4096))
    with own.record() as rec:
        with own.scope() as s:
            s.let("b", Box(5))
    player = rec.recording.play(position=-1)
    assert player.html == memlab.viz.ownership_view(rec.recording[-1])
