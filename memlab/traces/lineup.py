"""Which allocators a real trace can go through, and how each is built for it.

A trace from a real program (malloclab's, or one recorded with ``memlab trace record``) asks for
blocks of many sizes and frees them in any order, so only general-purpose strategies take part:
not a stack (LIFO frees only), not fixed-size pools, not the wrappers of :mod:`memlab.compose`
(they replay the allocator they wrap). A fixed-capacity allocator is given room for the whole
trace, and ``"glibc"`` names the C library's own malloc, as in malloclab's driver, which runs the
same traces through libc for comparison. The other production allocators (``libjemalloc``,
``libmimalloc``, ``libtcmalloc``: :mod:`.production`) are built here too; where the replayer
cannot be built (no C compiler, not Linux), ``"glibc"`` falls back to the in-process replay of
:mod:`.native`.
"""

from __future__ import annotations

from ..allocators.registry import REGISTRY, allocator, parse_spec
from ..errors import BadRequest
from .native import NativeHeap
from .production import LIBRARIES as PRODUCTION
from .production import Production, ProductionUnavailable
from .rep import Trace

NATIVE = "glibc"


def general_purpose() -> list[str]:
    """Registered strategies that serve requests of any size in any order (fit for real traces).

    Wrappers (fallback, thread-safe, debug, ...) are left out: they replay the allocator they wrap.
    """
    return [name for name, e in sorted(REGISTRY.items()) if e.general_purpose and not e.wraps]


def skipped() -> dict[str, str]:
    """Registered allocators a real trace cannot go through, with the reason."""
    out = {}
    for name, e in sorted(REGISTRY.items()):
        if e.wraps:
            out[name] = "wraps another allocator (memlab.compose): replay the allocator it wraps"
        elif not e.general_purpose:
            out[name] = e.why_not
    return out


def _replay_options(name: str, options: dict, trace: Trace | None) -> dict:
    """Options a replay adds so a fixed-capacity allocator can serve the whole trace.

    Each registered allocator says what it needs (``Entry.replay_options``): a bump allocator a
    buffer for every byte the trace requests, a buddy allocator a top order that holds the largest
    request. Options given in the spec win.
    """
    needs = REGISTRY[name].replay_options
    if needs is None:
        return dict(options)
    sizes = [1 << 16] if trace is None else trace.requests()
    return needs(sizes, dict(options))


def build(spec: str, trace: Trace | None = None):
    """The allocator a spec names, configured for replaying ``trace``; ``"glibc"`` is the C library.

    A production allocator's name gives a :class:`~.production.Production`; its only option is
    ``lib=`` (the shared object to load), and ``glibc`` takes none.
    """
    name, options = parse_spec(spec)
    if name in PRODUCTION:
        return _production(spec, name, options)
    if name not in REGISTRY:
        known = ", ".join([*sorted(REGISTRY), *PRODUCTION])
        raise BadRequest(f"no allocator named {name!r}; known: {known}")
    return allocator(name, **_replay_options(name, options, trace))


def _production(spec: str, name: str, options: dict):
    if name == NATIVE:
        if options:
            raise BadRequest(f"allocator spec {spec!r}: glibc takes no options")
        try:
            return Production(name, label=spec)
        except ProductionUnavailable:
            return NativeHeap()  # no replayer here (no C compiler, not Linux): glibc in this process
    if set(options) - {"lib"}:
        raise BadRequest(f"allocator spec {spec!r}: {name} takes only lib=FILE (the shared object to load)")
    return Production(name, str(options["lib"]) if "lib" in options else None, label=spec)
