"""Lecture demos: one line per topic gives a large, scripted, captioned player."""

import json
import re
from pathlib import Path

import pytest

import memlab
from memlab.demos import PROJECTOR, topics
from memlab.widgets.player import Player

GALLERY = Path(__file__).resolve().parents[2] / "notebooks" / "90_demo_gallery.ipynb"


def test_there_is_a_demo_for_every_animated_topic():
    wanted = {"buddy", "coalescing", "cycles", "freelist", "ownership", "refcount", "slab", "tracing"}
    assert wanted <= set(topics())


@pytest.mark.parametrize("topic", topics())
def test_a_demo_is_projector_sized_and_says_every_step_in_words(topic):
    player = memlab.demo(topic)
    assert isinstance(player, Player)
    assert player.scale == PROJECTOR and player.title
    assert len(player.recording) >= 5, "a demo tells a story of several steps"
    captions = set()
    for i in range(len(player.recording)):
        player.seek(i)
        assert player.caption.startswith(f"Step {i} of "), player.caption
        assert len(player.caption.split(": ", 1)[1]) > 5, f"step {i} of {topic} is not described in words"
        captions.add(player.caption)
    assert len(captions) == len(player.recording)
    assert "<svg" in player.static_html()


def test_the_gallery_shows_every_demo_in_course_order():
    cells = json.loads(GALLERY.read_text())["cells"]
    shown = re.findall(r'memlab\.demo\("(\w+)"\)', "".join("".join(c["source"]) for c in cells))
    assert shown == topics()


def test_an_unknown_topic_names_the_ones_there_are():
    with pytest.raises(ValueError, match="no demo called 'heap'; the demos are: .*buddy"):
        memlab.demo("heap")


def test_demos_export_writes_one_offline_page_with_every_demo(tmp_path, capsys):
    from memlab.cli import main

    out = tmp_path / "gallery.html"
    assert main(["demos", "export", str(out), "--topic", "buddy", "--topic", "cycles"]) == 0
    html = out.read_text()
    assert html.count("data-memlab-player=''") == 2 and html.count('<script type="module">') == 1
    assert html.index("buddy: Buddy allocation") < html.index("cycles: ")
    assert "the buddies merged back into one 1024-byte block" in html, "each demo's final caption, as plain HTML"
    assert not re.search(r"""(src|href)=["']?https?:""", html), "nothing is fetched"
    assert "wrote" in capsys.readouterr().out


def test_demos_export_refuses_an_unknown_topic(tmp_path, capsys):
    from memlab.cli import main

    assert main(["demos", "export", str(tmp_path / "g.html"), "--topic", "nosuch"]) == 2
    assert "no demo called 'nosuch'; the demos are: stack," in capsys.readouterr().err
    assert not (tmp_path / "g.html").exists()


# -- the questions the demos of notebooks 20 to 23 ask: each answer is what the recording really does --


def test_the_pymalloc_demo_asks_for_the_pool_the_next_request_really_takes():
    from memlab.demos import pymalloc
    from memlab.viz import keys

    player = memlab.demo("pymalloc")
    rec = player.recording
    back, empty = player.predict
    freed = rec[back.step - 1].event  # the frame the question is asked on: a free in a full pool
    again = next(f.event for f in rec[back.step :] if f.event.kind == "alloc")
    assert freed.kind == "free" and again.address == freed.address  # the block just freed is reused
    assert back.answer == keys.pool(rec[-1].snapshot.pools[0].address) == keys.pool(0x3FF0000)
    assert keys.pool(0x3FF1000) in player.drawn(back.step - 1)  # the pool in usedpools is there to click too
    arena = rec[empty.step - 1].snapshot.arenas[0]
    request = next(f.event for f in rec[empty.step :] if f.event.kind == "alloc")
    assert empty.answer == keys.pool(arena.freepools[0]) == keys.pool(request.address & ~0xFFF)
    assert request.block_size == 112 and rec[empty.step - 1].snapshot.usedpools[6] == ()
    assert pymalloc.questions(rec) == list(player.predict)


def test_the_mimalloc_demo_asks_when_remote_frees_come_back_and_which_block_comes_first():
    from memlab.demos import mimalloc
    from memlab.viz import keys

    player = memlab.demo("mimalloc")
    rec = player.recording
    when, which = player.predict
    remote = {f.event.address for f in rec if f.event is not None and f.event.kind == "free" and f.event.thread == 2}
    collect = rec.find("collect").index
    before = [f.event.address for f in rec[when.step : collect] if f.event.kind == "alloc"]
    assert before and not remote & set(before)  # no alloc reuses them until the page collects
    assert when.answer == mimalloc.WHEN_EMPTY and list(when.choices) == [mimalloc.NEXT_MALLOC, mimalloc.WHEN_EMPTY]
    page = rec[which.step - 1].snapshot.pages[0]
    assert page.free == () and len(page.thread_free) == 1  # asked when free is empty
    got = next(f.event.address for f in rec[collect:] if f.event.kind == "alloc")
    assert which.answer == keys.block(got) == keys.block(page.thread_free[0])
    assert "0x3c10980" in which.why  # the block on the delayed list, and where it goes


def test_the_generational_demo_asks_for_the_young_object_the_remembered_set_keeps():
    from memlab.viz import keys

    player = memlab.demo("generational")
    rec = player.recording
    (ask,) = player.predict
    before = {n.name: n for n in rec[ask.step - 1].snapshot.nodes}
    after = {n.name: n for n in rec[-1].snapshot.nodes if n.state == "live"}
    assert "session" in after and "tmp1" not in after and "tmp2" not in after  # the flip left them behind
    assert ask.answer == [keys.obj(after["session"].id)]
    assert sorted(ask.among) == sorted(keys.obj(before[n].id) for n in ("tmp1", "tmp2", "session"))
    assert rec[ask.step].describe().startswith("roots:")
    assert "remembered set" in ask.why and "tmp1 and tmp2 are left behind" in ask.why


def test_the_generational_question_works_on_a_collection_without_a_remembered_set():
    from memlab.demos import generational
    from memlab.reclaim import Heap
    from memlab.viz import generational_view, keys

    heap = Heap("generational", nursery=120, promote_age=2)
    node = heap.type("Node", ["session", "int value"])
    s = heap.scope("main")
    s.config = heap.new(node, name="config")
    with heap.record() as rec:
        for i in range(5):
            with heap.scope("request"):
                heap.new(node, name=f"tmp{i}")
    (ask,) = generational.questions(rec.recording)
    assert ask.answer == [keys.obj(s.config.id)] and len(ask.among) == 5
    assert ask.why.startswith("config is reached from main.config.")
    Player(rec.recording, generational_view(heap), predict=[ask])  # its answer is drawn in the frame it is asked on


def test_the_incremental_demo_asks_for_the_live_object_the_sweep_really_frees():
    from memlab.demos import incremental
    from memlab.viz import keys

    player = memlab.demo("incremental")
    rec = player.recording
    (ask,) = player.predict
    nodes = {n.name: n for n in rec[-1].snapshot.nodes}
    assert nodes["c"].state == "freed" and nodes["a"].state == nodes["b"].state == "live"
    assert ask.answer == [keys.obj(nodes["c"].id)] and len(ask.among) == 3
    assert "b.left = nil" in ask.why and "a is black" in ask.why
    heap = incremental.scenario(barrier="dijkstra")  # the same program under a barrier frees nothing
    s = heap.frames[-1]
    with heap.record() as rec:
        s.a.right = s.a.left.left
        s.a.left.left = None
        while heap.stage != "idle":
            heap.increment()
    (guarded,) = incremental.questions(rec.recording)
    assert guarded.answer == [] and len(guarded.among) == 3 and guarded.why.startswith("None")
