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
