"""Players with no kernel and no network: nbconvert's HTML export of every notebook, and the offline gallery.

Each page is opened from a file with every network request aborted (nbconvert's template asks
a CDN for MathJax and require.js; those requests fail, as in a hall without network). Every
player on the page must step, play, scrub and end on the committed final frame; the gallery
file must not even try to reach the network.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from driving import back_to, check_driven, drive_all, forward_until_redrawn, plays
from test_notebooks_in_lab import notebooks_with_players, static_frames, svg_texts, tiered

ROOT = Path(__file__).resolve().parents[2]


def play_every_player(offline, finals: list[str] | None, label: str, artifacts: Path) -> int:
    """Once with Playwright's own clicks on the first player, then every player driven in the page."""
    page = offline.page
    page.wait_for_function("() => !document.querySelector('[data-memlab-player]:not([data-memlab-mounted])')")
    first = page.locator(".memlab-player").first
    first.scroll_into_view_if_needed()
    forward_until_redrawn(page, first)
    back_to(page, first, 0)
    plays(page, first)
    back_to(page, first, 0)
    first.screenshot(path=str(artifacts / f"offline_{label.replace('/', '_')}.png"))
    results = drive_all(page)
    check_driven(results, finals, label, svg_texts)
    return len(results)


@pytest.mark.parametrize("name", tiered(notebooks_with_players()))
def test_an_exported_notebook_plays_every_animation_offline(offline, exports, artifacts, name):
    offline.open(exports[name])
    finals = static_frames(ROOT / name)
    assert play_every_player(offline, finals, name[:-6], Path(artifacts)) == len(finals)


def test_the_exported_gallery_plays_every_demo_and_asks_for_nothing(offline, gallery_file, artifacts):
    import memlab.demos

    offline.open(gallery_file)
    assert play_every_player(offline, None, "gallery", Path(artifacts)) == len(memlab.demos.topics())
    assert offline.requests == [], f"the gallery tried to reach the network: {offline.requests[:3]}"
