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
from .rep import FREE, Trace

NATIVE = "glibc"
BUMP_CAP = 64 << 20
"""The largest buffer a replay gives a bump allocator (it never reuses, so it needs a lot)."""


def _wraps(name: str) -> bool:
    """Is ``name`` a wrapper (:mod:`memlab.compose`) that adds a behaviour to another allocator?"""
    factory = REGISTRY[name].factory
    mro = getattr(factory, "__mro__", ())
    return any(c.__name__ == "Wrapper" and c.__module__.endswith("compose.wrapper") for c in mro)


def _fits(name: str) -> bool:
    """Can a fresh ``name`` allocator hold blocks of 1, 100 and 4000 bytes, freed in any order?"""
    entry = REGISTRY[name]
    if entry.free_order != "any" or _wraps(name):
        return False
    try:
        heap = entry.factory(**_replay_options(name, {}, None))
        blocks = [heap.alloc(size) for size in (1, 100, 4000)]
        for address in blocks:
            heap.free(address)
    except Exception:
        return False
    return True


def general_purpose() -> list[str]:
    """Registered strategies that serve requests of any size in any order (fit for real traces).

    Wrappers (fallback, thread-safe, debug, ...) are left out: they replay the allocator they wrap.
    """
    return [name for name in sorted(REGISTRY) if _fits(name)]


def skipped() -> dict[str, str]:
    """Registered allocators a real trace cannot go through, with the reason."""
    out = {}
    for name in sorted(REGISTRY):
        if _wraps(name):
            out[name] = "wraps another allocator (memlab.compose): replay the allocator it wraps"
        elif REGISTRY[name].free_order != "any":
            out[name] = f"frees only in {REGISTRY[name].free_order} order; real programs free in any order"
        elif not _fits(name):
            out[name] = "serves fixed-size (or only small) blocks; a trace asks for many sizes"
    return out


def _replay_options(name: str, options: dict, trace: Trace | None) -> dict:
    """Options a replay adds so a fixed-capacity allocator can serve the whole trace.

    A bump allocator gets a buffer for every byte the trace requests (it never reuses, up to
    ``BUMP_CAP``); a buddy allocator gets a top order that holds the largest request. Options
    given in the spec win.
    """
    options = dict(options)
    sizes = [1 << 16] if trace is None else [size for kind, _, size in trace.ops if kind != FREE]
    if name == "bump" and "size" not in options and "buffer" not in options:
        need = sum(-(-size // 16) * 16 for size in sizes)
        options["size"] = min(BUMP_CAP, max(4096, -(-need // 4096) * 4096))
    if name == "buddy" and "max_order" not in options:
        options["max_order"] = min(30, max(12, (max(sizes, default=1) - 1).bit_length()))
    return options


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
