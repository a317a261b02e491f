"""``memlab demos export FILE``: every lecture demo in one offline HTML file.

For a lecture hall without network or Python: the file holds every demo's frames, its
predict-mode questions and the player's JavaScript once, and fetches nothing. Open it in any
browser; each demo plays, steps, scrubs and asks as it does in a notebook.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import BadRequest
from ..widgets.page import embed, page
from . import PROJECTOR, TOPICS
from . import demo as build

TITLE = "memlab: the lecture demos"


def gallery(chosen: list[str] | None = None, *, scale: float = PROJECTOR) -> str:
    """The HTML of the gallery: one section per demo topic (all of them, in course order, by default)."""
    chosen = chosen or list(TOPICS)
    unknown = [t for t in chosen if t not in TOPICS]
    if unknown:
        raise BadRequest(f"no demo called {unknown[0]!r}; the demos are: {', '.join(TOPICS)}")
    sections = []
    for topic in chosen:
        player = build(topic, scale=scale)
        summary = (TOPICS[topic].__doc__ or "").strip().splitlines()[0].removeprefix("Lecture demo: ")
        final = player.recording[-1]
        html = embed(
            player.frames_data(), final=player.drawn(final.index), caption=player.describe(final), script=False
        )
        sections.append((f"{topic}: {player.title}", summary, html))
    return page(sections, title=TITLE)


def demos_export_command(parser: argparse.ArgumentParser):
    """write every lecture demo into one offline HTML file.

    Write FILE (e.g. gallery.html): every demo of memlab.demo(topic), with its predict-mode
    questions, playable in any browser with no Python and no network.
    """
    parser.add_argument("file", metavar="FILE", help="the HTML file to write")
    parser.add_argument("--topic", action="append", metavar="TOPIC", help="only this demo (repeat for several)")
    parser.add_argument("--scale", type=float, default=PROJECTOR, help=f"how large to draw (default {PROJECTOR})")

    def run(args: argparse.Namespace) -> int:
        html = gallery(args.topic, scale=args.scale)
        out = Path(args.file)
        out.write_text(html, encoding="utf-8")
        count = len(args.topic or TOPICS)
        print(f"wrote {out}: {count} demos, {len(html.encode()) / 1e6:.1f} MB, no network needed to play them")
        return 0

    return run
