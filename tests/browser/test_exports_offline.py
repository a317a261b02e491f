"""Players with no kernel and no network: nbconvert's HTML export of every notebook, and the offline gallery.

Each page is opened from a file with every network request aborted (nbconvert's template asks
a CDN for MathJax and require.js; those requests fail, as in a hall without network). Every
player on the page must step, play, scrub and end on the committed final frame; the gallery
file must not even try to reach the network.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from driving import back_to, caption_of, forward_until_redrawn, plays, scrub, step_of, to_end
from test_notebooks_in_lab import drawn_texts, notebooks_with_players, static_frames, svg_texts

ROOT = Path(__file__).resolve().parents[2]


def play_every_player(offline, finals: list[str] | None, label: str, artifacts: Path) -> int:
    players = offline.page.locator(".memlab-player")
    offline.page.wait_for_function(
        "() => document.querySelectorAll('[data-memlab-player]:not([data-memlab-mounted])').length === 0"
    )
    count = players.count()
    for i in range(count):
        player = players.nth(i)
        player.scroll_into_view_if_needed()
        assert caption_of(player).startswith("Step 0 of "), f"{label} player {i}: {caption_of(player)!r}"
        forward_until_redrawn(offline.page, player)
        back_to(offline.page, player, 0)
        plays(offline.page, player)
        last = to_end(offline.page, player)
        middle = max(1, last // 2)
        assert scrub(offline.page, player, middle) == middle
        assert to_end(offline.page, player) == step_of(player) == last
        if finals is not None:
            assert drawn_texts(player) == svg_texts(finals[i]), f"{label} player {i}: not the committed final frame"
        if i == 0:
            player.screenshot(path=str(artifacts / f"offline_{label.replace('/', '_')}.png"))
    return count


@pytest.mark.parametrize("name", notebooks_with_players())
def test_an_exported_notebook_plays_every_animation_offline(offline, exports, artifacts, name):
    offline.open(exports[name])
    finals = static_frames(ROOT / name)
    assert play_every_player(offline, finals, name[:-6], Path(artifacts)) == len(finals)


def test_the_exported_gallery_plays_every_demo_and_asks_for_nothing(offline, gallery_file, artifacts):
    import memlab.demos

    offline.open(gallery_file)
    assert play_every_player(offline, None, "gallery", Path(artifacts)) == len(memlab.demos.topics())
    assert offline.requests == [], f"the gallery tried to reach the network: {offline.requests[:3]}"
