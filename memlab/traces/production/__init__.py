"""The machine's production allocators (glibc, jemalloc, mimalloc, TCMalloc) on memlab's traces.

Each replays a trace natively, in a process of its own (``replayer.c``, built on first use), so
that no Python allocation lands in the heap being measured and the speed is the allocator's. Its
heap is measured by its own statistics and by the resident set (:mod:`.run` says how, and how
well the two agree), and the result is a :class:`ProductionResult`, a :class:`~..result.Result`
like every replay's::

    from memlab.traces import replay, shipped
    r = replay(shipped.load("sort"), "libjemalloc")
    r.utilization, r.heap_bytes, r.heap_bytes_rss, r.ns_per_op

The names (``glibc``, ``libjemalloc``, ``libmimalloc``, ``libtcmalloc``) and why they differ from
memlab's simulations are in :mod:`.libraries`. ``libmimalloc:lib=/path/to/libmimalloc.so`` loads
another build of a library. A library that is not installed raises :class:`ProductionUnavailable`
(``memlab replay`` skips it with one line); ``available(name)`` says in advance.

For comparisons with a simulated mimalloc, ``replay(trace, "libmimalloc").pages`` lists the real
mimalloc's pages per block size at the peak of live bytes (``mi_heap_visit_blocks`` on the
replay's private heap); ``Production("libmimalloc").replay(trace, census=i)`` counts them after
operation ``i`` instead.
"""

from .helper import ProductionUnavailable, replayer
from .libraries import LIBRARIES, Library, names
from .report import html_table, text_table
from .run import OVER, SLACK, PageClass, Production, ProductionResult, available, probe

__all__ = [
    "LIBRARIES",
    "OVER",
    "SLACK",
    "Library",
    "PageClass",
    "Production",
    "ProductionResult",
    "ProductionUnavailable",
    "available",
    "html_table",
    "names",
    "probe",
    "replayer",
    "text_table",
]
