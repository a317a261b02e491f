"""Pure drawing: snapshots in, SVG or HTML strings out. No widgets and no algorithms here.

Each view draws one kind of snapshot: a heap map of any allocator (:func:`heap_svg`), its bytes
(:func:`hexdump_html`), and a picture for each family: boundary tags, buddy trees, pools, slabs
and magazines, TCMalloc's ends, pymalloc's arenas and pools, mimalloc's pages and their three
free lists, a stack with its frames, an object graph, a collector's phases, and an ownership
timeline. The ``*_view`` functions make a view for a :class:`~memlab.widgets.Player` out of a
recording.
"""

from .buddy import buddy_tree_svg, buddyinfo, tree_view
from .collect import collector_svg, collector_view, copying_view, semispace_svg
from .generations import generational_view, old_generation_svg
from .graph import graph_svg
from .heapmap import heap_svg
from .hexdump import hexdump_html, hexdump_text
from .magazine import magazine_svg, magazine_view
from .mimalloc import mimalloc_svg, mimalloc_view
from .pool import objectpool_svg, pool_svg
from .pymalloc import pymalloc_svg, pymalloc_view
from .slab import slab_svg, slab_view
from .stack import stack_svg, stack_with_bytes
from .tags import tags_html, tags_text, tags_view
from .tcmalloc import tcmalloc_svg, tcmalloc_view
from .timeline import ownership_view, timeline_svg

__all__ = [
    "buddy_tree_svg",
    "buddyinfo",
    "collector_svg",
    "collector_view",
    "copying_view",
    "generational_view",
    "graph_svg",
    "heap_svg",
    "hexdump_html",
    "hexdump_text",
    "magazine_svg",
    "magazine_view",
    "mimalloc_svg",
    "mimalloc_view",
    "objectpool_svg",
    "old_generation_svg",
    "ownership_view",
    "pool_svg",
    "pymalloc_svg",
    "pymalloc_view",
    "semispace_svg",
    "slab_svg",
    "slab_view",
    "stack_svg",
    "stack_with_bytes",
    "tags_html",
    "tags_text",
    "tags_view",
    "tcmalloc_svg",
    "tcmalloc_view",
    "timeline_svg",
    "tree_view",
]
