"""Every notebook with players (the course's and the exercises' solutions), run in JupyterLab in Chromium.

For each notebook that shows a player, the test opens it, runs all cells, and on every player
presses forward, back and play, checking that the caption moves to the right step and that the
drawn view changes with it; then it steps to the end and checks that the browser draws the same
final frame (the same words in the SVG) as the committed notebook's static picture, which the
recording produced. A screenshot of each player is saved under test-artifacts/browser/.
"""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path

import pytest
from driving import FORWARD, back_to, forward_until_redrawn, press, step_of

ROOT = Path(__file__).resolve().parents[2]

WIDGET = "application/vnd.jupyter.widget-view+json"


def static_frames(path: Path) -> list[str]:
    """The committed final frame of each player in a notebook, in display order."""
    nb = json.loads(path.read_text())
    outputs = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])]
    html = ["".join(o["data"].get("text/html", "")) for o in outputs if WIDGET in o.get("data", {})]
    return [h for h in html if "memlab-static" in h]


def expected_errors(path: Path) -> int:
    """How many error and stderr outputs the committed notebook shows (cells that raise on purpose)."""
    cells = json.loads(path.read_text())["cells"]
    outputs = [o for c in cells if c["cell_type"] == "code" for o in c.get("outputs", [])]
    return sum(o.get("output_type") == "error" or o.get("name") == "stderr" for o in outputs)


def notebooks_with_players() -> list[str]:
    """The course's notebooks and the exercises' solutions that show players, as paths from the root."""
    found = [*sorted((ROOT / "notebooks").glob("*.ipynb")), *sorted((ROOT / "solutions").glob("*.ipynb"))]
    return [str(p.relative_to(ROOT)) for p in found if static_frames(p)]


def svg_texts(html: str) -> list[str]:
    """The words drawn in an SVG, in order (labels, addresses, sizes)."""
    return [unescape(t).strip() for t in re.findall(r"<text[^>]*>(.*?)</text>", html, flags=re.S)]


def run_all(page, base: str, token: str, name: str) -> None:
    workspace = re.sub(r"\W", "", name)  # a workspace of its own: no tabs restored from other tests
    page.goto(f"{base}/lab/workspaces/{workspace}/tree/{name}?reset&token={token}")
    page.wait_for_selector(".jp-Notebook", timeout=90_000)
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator, .jp-Toolbar", timeout=30_000)
    page.wait_for_timeout(1500)
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
    # wait until every code cell has run: no cell is queued ("[*]") any more
    page.wait_for_function(
        """() => { const p = [...document.querySelectorAll('.jp-InputPrompt')].map(e => e.textContent);
                  return p.length > 0 && p.every(t => !t.includes('*')) && p.some(t => /\\d/.test(t)); }""",
        timeout=240_000,
    )


@pytest.mark.parametrize("name", notebooks_with_players())
def test_players_animate_in_jupyterlab(lab, page, artifacts, name):
    base, token = lab
    run_all(page, base, token, name)
    players = page.locator(".memlab-player")
    players.first.wait_for(timeout=60_000)
    count = players.count()
    assert count >= 1
    errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    for i in range(count):
        player = players.nth(i)
        player.scroll_into_view_if_needed()
        player.locator(".memlab-caption", has_text="Step").wait_for(timeout=30_000)  # drawn lazily when scrolled to
        caption = player.locator(".memlab-caption")
        view = player.locator(".memlab-view")
        start, drawn = step_of(player), view.inner_html()
        forward_until_redrawn(page, player)
        back_to(page, player, start)
        assert view.inner_html() == drawn, f"player {i} in {name}: back did not restore the frame"
        player.locator(".widget-play button").first.click()  # play
        page.wait_for_function(
            "([el, s]) => parseInt(el.innerText.trim().split(' ')[1]) > s",
            arg=[caption.element_handle(), start],
            timeout=20_000,
        )
        player.locator(".widget-play button").nth(1).click()  # stop: back to step 0
        page.wait_for_function("el => el.innerText.trim().startsWith('Step 0 ')", arg=caption.element_handle())
        last = int(re.match(r"Step \d+ of (\d+)", caption.inner_text().strip()).group(1))
        for step in range(1, last + 1):
            press(page, player, FORWARD, step)
        final = static_frames(ROOT / name)[i]
        drawn = [t.strip() for t in view.locator("text").all_text_contents()]
        assert drawn, f"player {i} in {name}: the final frame draws no words"
        assert drawn == svg_texts(final), f"player {i} in {name}: the final frame differs from the recording's"
        player.screenshot(path=str(Path(artifacts) / f"{name[:-6].replace('/', '_')}_player{i}.png"))
    shown = errors.all_inner_texts()
    assert len(shown) == expected_errors(ROOT / name), f"{name}: unexpected errors: {shown}"
