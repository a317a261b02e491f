"""The player and the heap map: move the player, check what the view shows and what reaches the browser."""

import json
import re

import pytest

import memlab
from memlab.allocators.base import Block
from memlab.viz import heap_svg, hexdump_text, keys
from memlab.widgets import Ask, Player, animate, heap_player
from memlab.widgets.frames import decode, encode, pieces
from memlab.widgets.graph import graph_player
from memlab.widgets.page import SCRIPT, data_json


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


def test_scrubbing_in_the_browser_moves_the_player(player):
    """The browser reports a scrub by setting ``position``; Python's caption and view follow it."""
    player.position = 2
    assert "alloc 20 bytes" in player.caption and allocated_rects(player.html) == 2
    player.position = 99
    assert player.position == 4, "a position past the end is clamped"


def test_the_current_event_is_outlined(player):
    player.seek(2)
    assert 'stroke="#000000" stroke-width="2.5"' in player.html
    player.seek(0)
    assert 'stroke-width="2.5"' not in player.html


def test_a_displayed_player_is_a_widget_with_a_self_contained_player_beside_it(player):
    data, _ = player._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in data
    html = data["text/html"]
    # without scripts (GitHub), the final frame and its caption show as plain HTML
    before_script = html.split("<script", 1)[0]
    assert "<svg" in before_script and "Step 4 of 4" in before_script and "memlab-static" in before_script
    # where scripts run, the same player.js plays the frames carried beside it, fetching nothing
    assert SCRIPT in html and "mountAll(document)" in html
    assert not re.search(r"""(src|href)=["']?https?:|import\s*\(|fetch\(""", html), "no network request"
    carried = json.loads(re.search(r"class='memlab-data'>(.*?)</script>", html).group(1))
    assert carried["captions"][2].startswith("Step 2 of 4: alloc 20 bytes")
    assert decode(carried["frames"])[2] == player.drawn(2)
    assert player.data == carried, "the live widget and the static page carry the same frames"


def test_frames_are_sent_once_as_shared_pieces_and_edits():
    heap = memlab.allocator("freelist")
    with heap.record() as rec:
        blocks = [heap.alloc(16 + 8 * (i % 5)) for i in range(40)]
        for b in blocks[::2]:
            heap.free(b)
    p = heap_player(rec.recording)
    frames = [p.drawn(i) for i in range(len(rec.recording))]
    encoded = encode(frames)
    assert decode(encoded) == frames
    assert "".join(pieces(frames[7])) == frames[7]
    whole = sum(len(f) for f in frames)
    sent = len(data_json(encoded))
    assert sent < whole / 10, f"{sent} bytes sent for {whole} bytes of frames"


def test_the_embedded_json_cannot_close_its_script_element():
    text = data_json({"svg": "<svg></svg></script><script>alert(1)</script>"})
    assert "<" not in text and json.loads(text)["svg"].endswith("alert(1)</script>")
    assert "</script" not in SCRIPT.lower()


def test_views_mark_persisting_shapes_with_stable_keys_without_changing_the_picture():
    heap = memlab.allocator("freelist", chunk=128)
    with heap.record() as rec:
        a = heap.alloc(8)
        heap.free(a)
    drawn = [heap_svg(f.snapshot, event=f.event) for f in rec.recording]
    free_block = rec.recording[0].snapshot.blocks[-2]
    assert f'data-key="{keys.block(free_block.address)}" data-span="{free_block.address} {free_block.end}"' in drawn[0]
    split = drawn[1]
    assert f'data-key="{keys.block(a - 4)}"' in split and f'data-key="{keys.HIGHLIGHT}"' in split
    groups = re.findall(r'<g data-key="(b:[^"]+)"', split)
    assert sorted(groups) == sorted(keys.block(b.address) for b in rec.recording[1].snapshot.blocks), "one per block"
    assert split.count("<g ") == len(groups), "only the keyed groups are new in the drawing"


def test_predict_questions_travel_with_the_frames():
    heap = memlab.allocator("freelist", chunk=128)
    with heap.record() as rec:
        a = heap.alloc(8)
        heap.alloc(8)
        heap.free(a)
    first_free = rec.recording[0].snapshot.blocks[-2].address
    asks = [
        Ask(step=1, question="Which block does the first alloc come from?", answer=keys.block(first_free), why="w"),
        Ask(step=3, question="How many bytes are freed?", choices=["8", "16"], answer="16", why="a 16-byte block"),
    ]
    p = heap_player(rec.recording, predict=asks)
    carried = p.frames_data()["asks"]
    assert [q["kind"] for q in carried] == ["click", "choose"]
    assert carried[0]["answers"] == [keys.block(first_free)] and not carried[0]["several"]
    assert Ask(step=2, question="q", answer=["o:1", "o:2"], why="w").several


@pytest.mark.parametrize(
    "ask, problem",
    [
        (Ask(step=9, question="q", choices=["a", "b"], answer="a", why="w"), "not a step of this recording"),
        (Ask(step=1, question="q", choices=["a", "b"], answer="c", why="w"), "not one of the choices"),
        (Ask(step=1, question="q", answer="b:0x9999", why="w"), "no shape 'b:0x9999' is drawn in frame 0"),
        (Ask(step=1, question="q", choices=["a", "b"], answer="a", why=" "), "needs its words and a reason"),
    ],
)
def test_a_question_that_cannot_be_answered_is_refused_naming_its_step(ask, problem):
    heap = memlab.allocator("bump", size=64)
    with heap.record() as rec:
        heap.alloc(8)
        heap.alloc(8)
    with pytest.raises(memlab.BadRequest, match=problem) as raised:
        heap_player(rec.recording, predict=[ask])
    assert raised.value.step == ask.step


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


def test_a_click_every_question_may_have_no_answer_if_it_names_the_shapes_to_click():
    from memlab.reclaim import Heap

    heap = Heap("refcount")
    node = heap.type("Node", ["next"])
    with heap.record() as rec:
        with heap.scope("main") as main:
            main.x = heap.new(node, name="x")
            main.y = heap.new(node, name="y")
            main.x.next, main.y.next = main.y, main.x
    end = rec.recording.find("decref")
    ring = [keys.obj(end.snapshot.node(n).id) for n in "xy"]
    none = Ask(step=end.index, question="Click every object freed.", answer=[], among=ring, why="a cycle")
    carried = graph_player(rec.recording, predict=[none]).frames_data()["asks"][0]
    assert carried["answers"] == [] and carried["among"] == ring and carried["several"]
    with pytest.raises(memlab.BadRequest, match="needs the shapes to click"):
        graph_player(rec.recording, predict=[Ask(step=end.index, question="q", answer=[], why="w")])
    with pytest.raises(memlab.BadRequest, match="is not one of the shapes to click"):
        graph_player(rec.recording, predict=[Ask(step=end.index, question="q", answer=["o:9"], among=ring, why="w")])


def test_a_recording_finds_the_step_a_question_asks_about():
    heap = memlab.allocator("bump", size=64)
    with heap.record() as rec:
        a = heap.alloc(8)
        heap.alloc(8)
        heap.free(a)
    assert rec.recording.find("alloc", nth=2).index == 2
    assert rec.recording.find("free", address=a).event.address == a
    with pytest.raises(LookupError, match="no alloc event number 3 in this recording: it has 2"):
        rec.recording.find("alloc", nth=3)


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
