"""The demo gallery as a web app under Voilà: every demo appears and steps in Chromium."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from driving import back_to, forward_until_redrawn

GALLERY = Path(__file__).resolve().parents[2] / "notebooks" / "90_demo_gallery.ipynb"


def topics() -> list[str]:
    """The demos the gallery shows, in its order."""
    cells = json.loads(GALLERY.read_text())["cells"]
    return re.findall(r'memlab\.demo\("(\w+)"\)', "".join("".join(c["source"]) for c in cells))


@pytest.mark.extended  # a Voila server of its own; the Lab sample and test_predict_and_motion drive the same player
def test_the_gallery_runs_under_voila(voila, page, artifacts):
    base, token = voila
    page.goto(f"{base}/?token={token}", timeout=120_000)
    players = page.locator(".memlab-player")
    page.wait_for_function(
        "n => document.querySelectorAll('.memlab-player').length >= n", arg=len(topics()), timeout=180_000
    )
    assert players.count() == len(topics())
    assert f'memlab.demo("{topics()[0]}")' not in page.locator("body").inner_text(), "Voilà must hide the code"
    for i in range(players.count()):
        player = players.nth(i)
        player.scroll_into_view_if_needed()
        player.locator(".memlab-caption", has_text="Step").wait_for(timeout=30_000)  # drawn lazily when scrolled to
        caption = player.locator(".memlab-caption")
        assert caption.inner_text().strip().startswith("Step 0 of ")
        forward_until_redrawn(page, player)
        back_to(page, player, 0)
        player.screenshot(path=str(Path(artifacts) / f"voila_{topics()[i]}.png"))
