"""A progress bar for long replays: text on a terminal's stderr, a drawn bar in a notebook.

It stays invisible for the first ``delay`` seconds, so short replays print nothing, and it is
silent when stderr is not a terminal (logs, pipes, tests). In a notebook the bar is a small SVG
redrawn in place through a display handle, so a saved notebook keeps its final state (a widget
would show nothing without a kernel).
"""

from __future__ import annotations

import sys
import time
from html import escape
from typing import TextIO

WIDTH = 30


def in_notebook() -> bool:
    """True inside a Jupyter kernel (where a widget can be displayed)."""
    shell = sys.modules.get("IPython")
    if shell is None:
        return False
    ip = shell.get_ipython()
    return ip is not None and type(ip).__name__ == "ZMQInteractiveShell"


def bar(done: int, total: int, width: int = WIDTH) -> str:
    """``[#########.....................]  30%`` for ``done`` of ``total``."""
    fraction = done / total if total else 1.0
    full = int(fraction * width)
    return f"[{'#' * full}{'.' * (width - full)}] {fraction:4.0%}"


class Progress:
    """``with Progress(n, "replay") as p: ... p.update(done)``; shows up only on long work."""

    def __init__(
        self, total: int, label: str = "", *, delay: float = 0.5, mode: str = "auto", stream: TextIO | None = None
    ) -> None:
        self.total, self.label, self.delay = total, label, delay
        self.stream = stream if stream is not None else sys.stderr
        if mode == "auto":
            mode = "notebook" if in_notebook() else ("terminal" if _isatty(self.stream) else "off")
        if mode not in ("notebook", "terminal", "off"):
            raise ValueError(f"progress mode {mode!r}: expected auto, notebook, terminal or off")
        self.mode = mode
        self.done = 0
        self._start = time.perf_counter()
        self._last = 0.0
        self._handle = None
        self._shown = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def update(self, done: int) -> None:
        """Record that ``done`` units of ``total`` are finished; redraw at most ten times a second."""
        self.done = done
        if self.mode == "off":
            return
        now = time.perf_counter()
        if now - self._start < self.delay or now - self._last < 0.1:
            return
        self._last = now
        self._draw()

    def close(self) -> None:
        """Draw the final state (if the bar was ever shown) and end the line."""
        if self._shown:
            self._draw()
            if self.mode == "terminal":
                self.stream.write("\n")
                self.stream.flush()

    def text(self) -> str:
        """The bar as one line of text."""
        label = f"{self.label} " if self.label else ""
        return f"{label}{bar(self.done, self.total)} {self.done:,}/{self.total:,} ops"

    def html(self) -> str:
        """The bar as an SVG with its text, for a notebook."""
        fraction = self.done / self.total if self.total else 1.0
        width = 240
        bar_svg = (
            f'<svg width="{width}" height="12" role="img" aria-label="{fraction:.0%} done">'
            f'<rect width="{width}" height="12" fill="#F0F0F0" stroke="#999999"/>'
            f'<rect width="{fraction * width:.1f}" height="12" fill="#0072B2"/></svg>'
        )
        return f"<div>{bar_svg} <code>{escape(self.text())}</code></div>"

    def _draw(self) -> None:
        if self.mode == "terminal":
            self.stream.write("\r" + self.text())
            self.stream.flush()
        else:
            self._handle = _show(self, self._handle)
        self._shown = True


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _show(progress: Progress, handle):
    """Display the bar (or redraw it in place); text on stdout if IPython is missing."""
    try:
        from IPython.display import HTML, display
    except ImportError:
        progress.mode, progress.stream = "terminal", sys.stdout
        return None
    if handle is None:
        return display(HTML(progress.html()), display_id=True)
    handle.update(HTML(progress.html()))
    return handle
