"""Pure drawing: snapshots in, SVG or HTML strings out. No widgets and no algorithms here."""

from .heapmap import heap_svg
from .hexdump import hexdump_html, hexdump_text

__all__ = ["heap_svg", "hexdump_html", "hexdump_text"]
