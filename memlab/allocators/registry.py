"""Build any allocator by name: ``memlab.allocator("freelist:list=explicit,fit=best")``.

The registry holds one :class:`Entry` per name: the class, a one-line summary, and what the
layers above need to know about it without trying it out:

* the trace layer: whether it is *general purpose* (serves requests of any size, freed in any
  order, so a real program's trace can go through it), whether it *wraps* another allocator,
  and the options a replay adds so that a fixed-capacity allocator holds the whole trace;
* the property suite: the sizes, alignments and free order that make sense, the options to test
  it with, whether freeing everything brings it back to its empty state, and its *variants*: the
  options that change the algorithm, with every value each takes, from which the suite runs few
  configurations that hold every value and every pair of values (:mod:`.covering`).

Entries are listed explicitly where their classes live (:mod:`memlab.allocators` names every
strategy, :mod:`memlab.compose` its wrappers) and added with :func:`register`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from ..errors import BadRequest
from .base import Allocator
from .covering import pairwise

ReplayOptions = Callable[[Sequence[int], dict[str, Any]], dict[str, Any]]
"""Given the request sizes of a trace and the spec's options, the options to replay all of it with."""


@dataclass(frozen=True)
class Entry:
    """A registered allocator, and what the trace layer and the property suite need to know of it."""

    name: str
    factory: Callable[..., Allocator]
    summary: str
    general_purpose: bool = True  # any size, freed in any order: a real trace can go through it
    wraps: bool = False  # adds one behaviour to another allocator, which a replay should use instead
    replay_options: ReplayOptions | None = None
    why_not: str = ""  # for a strategy that is not general purpose: why a trace cannot use it
    free_order: str = "any"  # "any", or "lifo" for the stack
    returns_to_empty: bool = True  # freeing everything makes it reclaimed()
    max_request: int = 512
    aligns: tuple[int | None, ...] = (None,)  # alignments the suite asks for (None: default)
    test_options: dict[str, Any] = field(default_factory=dict)
    varies: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    """The options that change the algorithm, each with every value it takes (the default first)."""

    @cached_property
    def variants(self) -> tuple[dict[str, Any], ...]:
        """The configurations the property suite runs, on top of ``test_options``: every value of every
        option in ``varies`` and every pair of values meet in one of them; the first is the default.

        Only combinations the constructor accepts count (some options exclude others, and a C fast path
        exists only where it was built), so the constructor is asked, once for each combination."""
        return pairwise(self.varies, self.accepts)

    def accepts(self, options: dict[str, Any]) -> bool:
        """True if the allocator can be built with ``options`` on top of ``test_options``."""
        try:
            self.factory(**{**self.test_options, **options})
        except BadRequest:
            return False
        return True


def entry(name: str, factory: Callable[..., Allocator], **hints: Any) -> Entry:
    """An :class:`Entry` for ``factory``, its summary the first line of its docstring."""
    summary = (factory.__doc__ or name).strip().splitlines()[0]
    return Entry(name, factory, summary, **hints)


REGISTRY: dict[str, Entry] = {}


def register(*entries: Entry) -> None:
    """Make ``memlab.allocator(entry.name, ...)`` build each entry's class."""
    for e in entries:
        if e.name in REGISTRY and REGISTRY[e.name].factory is not e.factory:
            raise BadRequest(f"the allocator name {e.name!r} is taken by {REGISTRY[e.name].factory.__name__}")
        REGISTRY[e.name] = e


def _value(text: str) -> Any:
    lowered = text.lower()
    if lowered in ("true", "yes", "on"):
        return True
    if lowered in ("false", "no", "off"):
        return False
    try:
        return int(text, 0)
    except ValueError:
        return text


def parse_spec(spec: str) -> tuple[str, dict[str, Any]]:
    """``"freelist:list=explicit,fit=best"`` -> ``("freelist", {"list": "explicit", "fit": "best"})``."""
    name, _, rest = spec.partition(":")
    options: dict[str, Any] = {}
    for item in filter(None, (part.strip() for part in rest.split(","))):
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            raise BadRequest(f"allocator spec {spec!r}: option {item!r} is not key=value")
        options[key.strip()] = _value(value.strip())
    return name.strip(), options


def allocator(spec: str, **options: Any) -> Allocator:
    """Build an allocator from a registry name or spec, with keyword options on top."""
    name, parsed = parse_spec(spec)
    if name not in REGISTRY:
        known = ", ".join(sorted(REGISTRY))
        raise BadRequest(f"no allocator named {name!r}; known: {known}")
    parsed.update(options)
    try:
        return REGISTRY[name].factory(**parsed)
    except TypeError as e:
        raise BadRequest(f"allocator {name!r}: {e}") from None


def names() -> list[str]:
    """The registered names, sorted."""
    return sorted(REGISTRY)
