"""Every notebook with players (the course's and the exercises' solutions), run in JupyterLab in Chromium.

For each notebook that shows a player, the test opens it and runs all cells. While the kernel
runs, every player steps forward (until its picture changes) and back, with Playwright's clicks.
Then the kernel is shut down, and every player must still step, play and scrub to its end (driven
inside the page, pressing the same buttons): the player lives in the browser. At the end each
player must draw the same final frame (the same words in its SVG) as the committed notebook's
static picture, which the recording produced. A screenshot of each notebook's first player is
saved under test-artifacts/browser/.
"""

from __future__ import annotations

import json
import re
import time
import urllib.request
from html import unescape
from pathlib import Path

import pytest
from driving import back_to, caption_of, check_driven, drive_all, forward_until_redrawn

ROOT = Path(__file__).resolve().parents[2]

WIDGET = "application/vnd.jupyter.widget-view+json"


def static_frames(path: Path) -> list[str]:
    """The committed final frame of each player in a notebook, in display order (its plain HTML part)."""
    nb = json.loads(path.read_text())
    outputs = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])]
    html = ["".join(o["data"].get("text/html", "")) for o in outputs if WIDGET in o.get("data", {})]
    return [h.split("<script", 1)[0] for h in html if "memlab-static" in h]


def expected_errors(path: Path) -> int:
    """How many error and stderr outputs the committed notebook shows (cells that raise on purpose)."""
    cells = json.loads(path.read_text())["cells"]
    outputs = [o for c in cells if c["cell_type"] == "code" for o in c.get("outputs", [])]
    return sum(o.get("output_type") == "error" or o.get("name") == "stderr" for o in outputs)


def notebooks_with_players() -> list[str]:
    """The course's notebooks and the exercises' solutions that show players, as paths from the root."""
    found = [*sorted((ROOT / "notebooks").glob("*.ipynb")), *sorted((ROOT / "solutions").glob("*.ipynb"))]
    return [str(p.relative_to(ROOT)) for p in found if static_frames(p)]


EVERY_RUN = (
    "notebooks/04_coalescing_and_boundary_tags.ipynb",  # heap players with predict mode
    "notebooks/16_cycle_collection.ipynb",  # graph players
    "solutions/06_buddy_allocation.ipynb",  # a solution's player of the learner's code
)
"""The notebooks the everyday run opens; the others run with ``pytest -m extended``."""


def tiered(names: list[str]) -> list:
    """``names`` as parameters, those outside :data:`EVERY_RUN` marked ``extended``."""
    return [pytest.param(n, marks=() if n in EVERY_RUN else pytest.mark.extended) for n in names]


def svg_texts(html: str) -> list[str]:
    """The words drawn in an SVG, in order (labels, addresses, sizes)."""
    return [unescape(t).strip() for t in re.findall(r"<text[^>]*>(.*?)</text>", html, flags=re.S)]


def sessions_of(base: str, token: str, name: str) -> list[dict]:
    with urllib.request.urlopen(f"{base}/api/sessions?token={token}") as r:
        return [s for s in json.load(r) if s["path"] == name]


def wait_for_idle_kernel(base: str, token: str, name: str, seconds: float = 60) -> None:
    """Poll the server until the notebook's kernel has started and is idle."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if any(s["kernel"]["execution_state"] == "idle" for s in sessions_of(base, token, name)):
            return
        time.sleep(0.2)
    raise AssertionError(f"no idle kernel for {name} within {seconds} s")


def run_all(page, base: str, token: str, name: str) -> None:
    workspace = re.sub(r"\W", "", name)  # a workspace of its own: no tabs restored from other tests
    page.goto(f"{base}/lab/workspaces/{workspace}/tree/{name}?reset&token={token}")
    page.wait_for_selector(".jp-Notebook", timeout=90_000)
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator, .jp-Toolbar", timeout=30_000)
    wait_for_idle_kernel(base, token, name)
    # the committed prompts show numbers already: clear them, so that a number means "ran now"
    page.locator(".lm-MenuBar-itemLabel", has_text="Edit").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Clear Outputs of All Cells").first.click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')].every(e => !/\\d/.test(e.textContent))",
        timeout=30_000,
    )
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
    page.wait_for_function(
        """() => { const cells = [...document.querySelectorAll('.jp-CodeCell')]
                     .filter(c => (c.querySelector('.cm-content') || {}).textContent?.trim());
                  const p = cells.map(c => c.querySelector('.jp-InputPrompt').textContent);
                  return p.length > 0 && p.every(t => !t.includes('*') && /\\d/.test(t)); }""",
        timeout=240_000,
    )


def shut_down_kernel(base: str, token: str, name: str) -> None:
    """Shut the notebook's kernel down through the server's REST API, and wait until it is gone."""
    sessions = sessions_of(base, token, name)
    assert sessions, f"no kernel runs {name}"
    for s in sessions:
        request = urllib.request.Request(f"{base}/api/sessions/{s['id']}?token={token}", method="DELETE")
        urllib.request.urlopen(request).close()
    with urllib.request.urlopen(f"{base}/api/kernels?token={token}") as r:
        alive = {k["id"] for k in json.load(r)}
    assert not alive & {s["kernel"]["id"] for s in sessions}, "the kernel is still running"


@pytest.mark.parametrize("name", tiered(notebooks_with_players()))
def test_players_animate_in_jupyterlab_with_and_without_a_kernel(lab, page, artifacts, name):
    base, token = lab
    finals = static_frames(ROOT / name)
    run_all(page, base, token, name)
    players = page.locator(".memlab-player")
    page.wait_for_function(
        "n => document.querySelectorAll('.memlab-player .memlab-caption').length >= n", arg=len(finals), timeout=60_000
    )
    assert players.count() == len(finals), f"{name}: {players.count()} players drawn, {len(finals)} committed"
    for i in range(players.count()):  # with the kernel running
        player = players.nth(i)
        player.scroll_into_view_if_needed()
        assert caption_of(player).startswith("Step 0 of "), caption_of(player)
        view = player.locator(".memlab-view")
        drawn = view.inner_html()
        forward_until_redrawn(page, player)
        back_to(page, player, 0)
        assert view.inner_html() == drawn, f"player {i} in {name}: back did not restore the frame"
    shut_down_kernel(base, token, name)
    players.first.screenshot(path=str(Path(artifacts) / f"{name[:-6].replace('/', '_')}.png"))
    results = drive_all(page)  # the kernel is gone: every player still steps, plays and scrubs to its end
    check_driven(results, finals, name, svg_texts)
    errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    shown = errors.all_inner_texts()
    assert len(shown) == expected_errors(ROOT / name), f"{name}: unexpected errors: {shown}"
