"""The browser course's first page, and the README beside its notebooks: what runs here, and what needs the network."""

from __future__ import annotations

from html import escape
from pathlib import Path

FIRST_NOTEBOOK = "notebooks/00_the_simulated_machine.ipynb"

OFFLINE = [
    "every notebook, exercise and solution, memlab itself and every animation: they come from this site;",
    "the exercises' check cells, which give their feedback right here, in the browser;",
    "your edits, which your browser keeps (in its own storage, for this site only).",
]
ONLINE = (
    "matplotlib, and numpy under it, come from Pyodide's own CDN (cdn.jsdelivr.net) the first time a "
    "notebook imports it: they exist for the browser's Python only there. Offline, a notebook that plots "
    "stops at that import; the exercises and the notebooks that do not plot run whole."
)
MACHINE = (
    "A few cells need a real computer: glibc's own malloc, Valgrind, threads and child processes. "
    "In the browser they say so in one line and the notebook goes on; run the course on your "
    "machine (see the repository's README) to see them."
)


def readme(*, solutions: bool) -> str:
    """README.md at the top of the site's file browser."""
    lines = [
        "# memlab in your browser",
        "",
        "How memory is allocated and reclaimed, on a machine you can watch: the course runs here, in",
        "your browser, with Python compiled to WebAssembly (Pyodide). Nothing to install.",
        "",
        f"Start with `{FIRST_NOTEBOOK}` and work through the notebooks in order; each ends with the",
        "exercise that follows it, in `exercises/`" + (" (their solutions are in `solutions/`)." if solutions else "."),
        "",
        "## Works offline, once this page has loaded",
        "",
        *[f"* {line}" for line in OFFLINE],
        "",
        "## Needs the network",
        "",
        ONLINE,
        "",
        MACHINE,
        "",
    ]
    return "\n".join(lines)


def page(*, solutions: bool, pyodide: str, cdn: str) -> str:
    """The site's index.html: one click into notebook 00, and what works offline."""
    open_00 = f"lab/index.html?path={FIRST_NOTEBOOK}"
    offline = "".join(f"<li>{escape(line)}</li>" for line in OFFLINE)
    more = " and their solutions (<code>solutions/</code>)" if solutions else ""
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>memlab: how memory is allocated and reclaimed</title>
<!-- JupyterLite's pages read their settings from here; without config-utils.js this page stays put -->
<script id="jupyter-config-data" type="application/json" data-jupyter-lite-root=".">{{}}</script>
<style>
body {{ font: 17px/1.5 system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; color: #222; }}
a.start {{ display: inline-block; padding: .6rem 1.2rem; background: #0072B2; color: #fff; border-radius: .3rem;
  text-decoration: none; font-weight: 600; }}
code {{ font-size: 90%; }}
</style>
</head>
<body>
<h1>memlab</h1>
<p>How memory is allocated and reclaimed, on a machine you can watch: a course of notebooks that runs
right here, in your browser (JupyterLite, with Python compiled to WebAssembly by Pyodide {escape(pyodide)}).
Nothing to install.</p>
<p><a class="start" id="start" href="{escape(open_00)}">Open notebook 00: the simulated machine</a></p>
<p>Or <a href="lab/index.html">browse every notebook</a>: the course (<code>notebooks/</code>), the graded
exercises (<code>exercises/</code>){more}, and the real programs' traces (<code>traces/</code>).
The kernel takes about half a minute to start the first time.</p>
<h2>Works offline, once this page has loaded</h2>
<ul>{offline}</ul>
<h2>Needs the network</h2>
<p>{escape(ONLINE)} (<code>{escape(cdn)}</code>)</p>
<p>{escape(MACHINE)}</p>
</body>
</html>
"""


def write(site: Path, *, solutions: bool, pyodide: str, cdn: str) -> None:
    """Put the first page in place of JupyterLite's redirecting index.html; GitHub Pages serves files as they are."""
    (site / "index.html").write_text(page(solutions=solutions, pyodide=pyodide, cdn=cdn), encoding="utf-8")
    (site / ".nojekyll").write_text("")
