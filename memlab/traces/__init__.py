"""Allocation traces: malloclab ``.rep`` files, real programs recorded with Valgrind, synthetic
generators after Wilson et al., and replay through any allocator with malloclab's and
Johnstone and Wilson's measurements.

``replay(trace, "freelist:list=explicit,fit=best")`` gives one :class:`Result`;
``replay_all(traces, specs)`` a list; ``shipped.load("sort")`` one of the shipped real traces;
``survival(trace)`` how soon its blocks die (the generational hypothesis).
The machine's production allocators (``"glibc"``, ``"libjemalloc"``, ``"libmimalloc"``,
``"libtcmalloc"``) replay natively in processes of their own: :mod:`.production`.
``record_python(code)`` records what the real CPython asks of its own allocator while running
``code`` (:mod:`.cpython`), and ``cpython.load("dicts")`` one of the shipped recordings;
``mipages.compare(trace)`` puts the real libmimalloc's pages beside memlab's mimalloc's.
"""

from . import cpython, mipages, production, shipped
from .cpython import PythonRecording, RecorderUnavailable, record_python
from .generators import GENERATORS, generate, suite
from .lifetimes import Survival, lifetimes, survival
from .rep import ALLOC, FREE, REALLOC, Trace, TraceError, format_rep, from_ops, parse_rep, read_rep, write_rep
from .replay import KEYS, Result, build, general_purpose, replay, replay_all
from .report import as_json, html_table, text_table
from .stats import describe, live_curve, size_profile
from .valgrind import Process, parse_log, read_log, record

__all__ = [
    "ALLOC",
    "FREE",
    "GENERATORS",
    "KEYS",
    "REALLOC",
    "Process",
    "PythonRecording",
    "RecorderUnavailable",
    "Result",
    "Survival",
    "Trace",
    "TraceError",
    "as_json",
    "build",
    "cpython",
    "describe",
    "format_rep",
    "from_ops",
    "general_purpose",
    "generate",
    "mipages",
    "html_table",
    "lifetimes",
    "live_curve",
    "parse_log",
    "parse_rep",
    "production",
    "read_log",
    "read_rep",
    "record",
    "record_python",
    "replay",
    "replay_all",
    "shipped",
    "size_profile",
    "suite",
    "survival",
    "text_table",
    "write_rep",
]
