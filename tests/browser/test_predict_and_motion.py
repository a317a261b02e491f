"""Predict mode answered right and wrong (live in JupyterLab and in an nbconvert export), and motion measured.

A small notebook, written by the test, shows one heap player with two questions: "click the
block the first request comes from" (answered wrong: the padding word) and "how many blocks are
allocated at the end" (answered right). Each answer must show its feedback in words and the
running score must count them.

Motion is measured mid-transition: the test pauses the player's own animations halfway and
reads where a persisting block is drawn, which must lie strictly between its start and its end.
Under ``prefers-reduced-motion`` the same step runs no animation and the block jumps.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from conftest import exported_html
from driving import FORWARD, caption_of, step_of, wait_step
from test_notebooks_in_lab import run_all

import memlab
from memlab.viz import keys
from memlab.widgets import heap_player

SOURCE = """\
import memlab
from memlab.viz import keys
from memlab.widgets import Ask, heap_player

heap = memlab.allocator("freelist", chunk=128)
with heap.record() as rec:
    a = heap.alloc(8)
    b = heap.alloc(8)
    heap.free(a)
free = next(blk for blk in rec.recording[0].snapshot.blocks if blk.state == "free")
last = len(rec.recording) - 1
allocated = sum(blk.state == "allocated" for blk in rec.recording[-1].snapshot.blocks)
heap_player(rec.recording, title="predict", predict=[
    Ask(step=1, question="Click the block the first request comes from.", answer=keys.block(free.address),
        why="the heap's only free block"),
    Ask(step=last, question="How many blocks are allocated at the end?", choices=["0", "1", "2"],
        answer=str(allocated), why="b is still allocated"),
])
"""


@pytest.fixture(scope="session")
def predict_notebook(course_copy, tmp_path_factory) -> tuple[str, Path]:
    """The notebook (path in the course copy, for JupyterLab) and its executed nbconvert export."""
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(SOURCE)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    NotebookClient(nb, kernel_name="python3", store_widget_state=False).execute()
    path = course_copy / "predict_check.ipynb"
    nbformat.write(nb, path)
    return path.name, exported_html(path, tmp_path_factory.mktemp("predict"))


def answer_wrong_then_right(page, player) -> None:
    feedback = player.locator(".memlab-feedback")
    player.locator(FORWARD).click()
    assert player.locator(".memlab-question").inner_text().startswith("Predict: Click the block")
    assert step_of(player) == 0, "the question is asked on the frame before the step"
    padding = player.locator(".memlab-view svg [data-key='b:0x1000']")
    padding.click()
    assert feedback.inner_text().startswith("✗ Not quite: the answer is 0x"), feedback.inner_text()
    assert "the heap's only free block" in feedback.inner_text()
    assert "memlab-wrong" in feedback.get_attribute("class")
    assert player.locator(".memlab-score").inner_text() == "predictions: 0 of 1 right"
    player.locator(".memlab-reveal").click()  # "continue"
    wait_step(page, player, 1)
    last = int(caption_of(player).split(" of ")[1].split(":")[0])
    player.locator("input.memlab-slider").evaluate(
        "(el, k) => { el.value = String(k); el.dispatchEvent(new Event('input', {bubbles: true})); }", last
    )
    assert step_of(player) == last - 1 and player.locator(".memlab-question").inner_text().endswith("at the end?")
    player.locator(".memlab-choice", has_text="1").click()
    assert feedback.inner_text() == "✓ Right. b is still allocated"
    assert "memlab-right" in feedback.get_attribute("class")
    assert player.locator(".memlab-score").inner_text() == "predictions: 1 of 2 right"
    player.locator(".memlab-reveal").click()
    wait_step(page, player, last)


def test_predict_mode_live_in_jupyterlab(lab, page, predict_notebook):
    base, token = lab
    run_all(page, base, token, predict_notebook[0])
    player = page.locator(".memlab-player").first
    player.locator(".memlab-caption").wait_for(timeout=30_000)
    answer_wrong_then_right(page, player)


def test_predict_mode_in_an_export(offline, predict_notebook):
    offline.open(predict_notebook[1])
    player = offline.page.locator(".memlab-player").first
    player.locator(".memlab-caption").wait_for()
    answer_wrong_then_right(offline.page, player)


def test_the_labels_of_an_answer_and_a_wrong_pick_next_to_it_do_not_overlap(offline, tmp_path):
    """pymalloc's arena row draws pools side by side: a wrong pick of the pool beside the answer."""
    from memlab.demos import pymalloc

    player = pymalloc.demo()
    ask = next(a for a in player.predict if "480-byte" in a.question)
    path = tmp_path / "pymalloc.html"
    path.write_text(f"<!DOCTYPE html><html><body>{player.static_html()}</body></html>", encoding="utf-8")
    offline.open(path)
    page = offline.page
    shown = page.locator(".memlab-player").first
    shown.locator("input.memlab-slider").evaluate(
        "(el, k) => { el.value = String(k); el.dispatchEvent(new Event('input', {bubbles: true})); }", ask.step
    )
    assert shown.locator(".memlab-question").inner_text().endswith("click the pool its block will come from.")
    answer = shown.locator(f".memlab-view svg [data-key='{ask.answer}']")
    ax = answer.evaluate(BOX)
    beside = [s for s in shown.locator(".memlab-clickable").all() if abs(s.evaluate(BOX)[0] - ax[0] - ax[2]) < 2]
    assert beside, "a clickable pool right after the answer"
    beside[0].click()
    assert shown.locator(".memlab-feedback").inner_text().startswith("✗ Not quite")
    labels = shown.locator(".memlab-view svg text.memlab-mark")
    assert sorted(labels.evaluate_all("els => els.map(e => e.textContent)")) == ["answer", "your pick"]
    (ax, ay, aw, ah), (bx, by, bw, bh) = (labels.nth(i).evaluate(BOX) for i in range(2))
    assert ax + aw <= bx or bx + bw <= ax or ay + ah <= by or by + bh <= ay, "the two labels overlap"


# -- motion ----------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def split_page(tmp_path_factory) -> tuple[Path, str, str, int]:
    """A page with one heap player whose step ``k`` splits the free block; the keys of both halves."""
    heap = memlab.allocator("freelist", chunk=128)
    with heap.record() as rec:
        heap.alloc(8)
    k = next(f.index for f in rec.recording if f.event is not None and f.event.kind == "split")
    split = rec.recording[k].event
    player = heap_player(rec.recording, title="split")
    path = tmp_path_factory.mktemp("motion") / "split.html"
    path.write_text(f"<!DOCTYPE html><html><body>{player.static_html()}</body></html>", encoding="utf-8")
    return path, keys.block(split.address), keys.block(split.address + split.first), k


BOX = "el => { const r = el.getBoundingClientRect(); return [r.x, r.y, r.width, r.height]; }"


def to_step_before(page, player, k: int) -> None:
    for step in range(1, k):
        player.locator(FORWARD).click()
        wait_step(page, player, step)


def test_a_split_glides_mid_transition(offline, split_page):
    path, whole, rest, k = split_page
    offline.open(path)
    page = offline.page
    player = page.locator(".memlab-player").first
    to_step_before(page, player, k)
    page.evaluate("() => document.getAnimations().forEach(a => a.finish())")
    shape = player.locator(f"svg [data-key='{whole}']")
    start = shape.evaluate(BOX)
    player.locator(FORWARD).click()
    wait_step(page, player, k)
    timings = page.evaluate("() => document.getAnimations().map(a => a.effect.getTiming().duration)")
    assert timings and all(300 <= t <= 500 for t in timings), timings
    half = page.evaluate(
        """([whole, rest]) => { const anims = document.getAnimations(); anims.forEach(a => { a.pause();
             a.currentTime = a.effect.getTiming().duration / 2; });
             const box = k => { const r = document.querySelector(`svg [data-key='${k}']`).getBoundingClientRect();
                                return [r.x, r.y, r.width, r.height]; };
             const out = [box(whole), box(rest)]; anims.forEach(a => a.finish()); return out; }""",
        [whole, rest],
    )
    end, rest_end = shape.evaluate(BOX), player.locator(f"svg [data-key='{rest}']").evaluate(BOX)
    assert end[2] < start[2], "the block that was split is narrower afterwards"
    assert end[2] < half[0][2] < start[2], f"mid-transition width {half[0][2]} not between {start[2]} and {end[2]}"
    assert start[0] <= half[1][0] < rest_end[0], "the new half divides out of the old block, moving right"


def test_under_reduced_motion_a_split_jumps(offline_reduced, split_page):
    path, whole, _, k = split_page
    offline_reduced.open(path)
    page = offline_reduced.page
    assert page.evaluate("() => matchMedia('(prefers-reduced-motion: reduce)').matches")
    player = page.locator(".memlab-player").first
    to_step_before(page, player, k)
    start = player.locator(f"svg [data-key='{whole}']").evaluate(BOX)
    player.locator(FORWARD).click()
    wait_step(page, player, k)
    assert page.evaluate("() => document.getAnimations().length") == 0
    drawn = player.locator(f"svg [data-key='{whole}']").evaluate(BOX)
    assert drawn[2] < start[2], "the block is drawn at its new width at once"
