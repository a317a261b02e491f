"""Players without a kernel: the same player as self-contained HTML, for one output or a whole page.

:func:`embed` is a player's ``text/html`` fallback. It holds, in this order:

* the title, the caption of the final frame and the final frame itself as plain HTML and SVG,
  so a page that runs no script (GitHub strips scripts) still shows where the animation ends;
* the frames and questions as JSON in ``<script type="application/json" class="memlab-data">``;
* ``player.js`` itself inlined in a ``<script type="module">`` that turns the plain HTML into
  the player (nbconvert's HTML export, Jupyter Book, nbviewer, any browser from a file).

Nothing is fetched: no CDN, no network request. :func:`page` puts several players in one
offline HTML file, with ``player.js`` inlined once (``memlab demos export``).
"""

from __future__ import annotations

import json
from html import escape
from importlib.resources import files

SCRIPT = files(__package__).joinpath("player.js").read_text(encoding="utf-8")
"""The player, as JavaScript source (shipped with the package)."""

if "</script" in SCRIPT.lower():  # pragma: no cover - a guard for whoever edits player.js
    raise RuntimeError("player.js must not contain '</script', or it cannot be inlined in a page")


def data_json(data: dict) -> str:
    """``data`` as JSON that is safe inside a ``<script>`` element (no ``<`` at all)."""
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def module_script() -> str:
    """``player.js`` inlined, then started on every player of the page not yet started."""
    return f'<script type="module">{SCRIPT}\nmountAll(document);\n</script>'


def embed(data: dict, *, final: str, caption: str, title: str = "", script: bool = True) -> str:
    """One player as HTML: the final frame for pages without scripts, the player where scripts run.

    ``final`` is the last frame's HTML and ``caption`` its caption; with ``script=False`` the
    module is left out (a page that inlines it once, see :func:`page`).
    """
    head = f"<b class='memlab-title'>{escape(title)}</b><br>" if title else ""
    return (
        f"<div class='memlab-player memlab-static' data-memlab-player=''>{head}"
        f"<div class='memlab-caption'><i>{escape(caption)}</i></div>"
        f"<div class='memlab-view'>{final}</div>"
        f"<script type='application/json' class='memlab-data'>{data_json(data)}</script>"
        f"{module_script() if script else ''}</div>"
    )


def page(sections: list[tuple[str, str, str]], *, title: str) -> str:
    """A whole offline HTML page: ``(heading, prose, player HTML from embed(script=False))`` per section."""
    parts = []
    for i, (heading, prose, player) in enumerate(sections, 1):
        anchor = f"demo-{i}"
        parts.append(
            f"<section id='{anchor}'><h2>{escape(heading)}</h2>"
            f"{f'<p>{escape(prose)}</p>' if prose else ''}{player}</section>"
        )
    contents = "".join(f"<li><a href='#demo-{i}'>{escape(h)}</a></li>" for i, (h, _, _) in enumerate(sections, 1))
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<meta name='viewport' content='width=device-width, initial-scale=1'><title>{escape(title)}</title>"
        "<style>body{font-family:'DejaVu Sans',Arial,sans-serif;max-width:1400px;margin:0 auto;padding:12px 24px;"
        "color:#1A1A1A}section{margin:28px 0 48px}h2{border-bottom:1px solid #BBB}</style></head><body>"
        f"<h1>{escape(title)}</h1><p>Every animation plays here without Python and without a network: "
        "step with the buttons or the arrow keys, scrub with the slider, press play.</p>"
        f"<ol>{contents}</ol>{''.join(parts)}{module_script()}</body></html>"
    )


__all__ = ["SCRIPT", "data_json", "embed", "module_script", "page"]
