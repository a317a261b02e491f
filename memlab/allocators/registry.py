"""Build any allocator by name: ``memlab.allocator("freelist:list=explicit,fit=best")``.

Each allocator module registers its class once with :func:`register`; the registry also keeps
the hints the property suite needs (which sizes make sense, whether frees must be LIFO).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import BadRequest
from .base import Allocator


@dataclass(frozen=True)
class Entry:
    """A registered allocator and how the property suite should exercise it."""

    name: str
    factory: Callable[..., Allocator]
    summary: str
    free_order: str = "any"  # "any", or "lifo" for the stack
    returns_to_empty: bool = True  # freeing everything makes it reclaimed()
    max_request: int = 512
    aligns: tuple[int | None, ...] = (None,)  # alignments the suite asks for (None: default)
    test_options: dict[str, Any] = field(default_factory=dict)


REGISTRY: dict[str, Entry] = {}


def register(name: str, **hints: Any) -> Callable[[type], type]:
    """Class decorator: make ``memlab.allocator(name, ...)`` build this class."""

    def decorate(cls: type) -> type:
        summary = (cls.__doc__ or name).strip().splitlines()[0]
        REGISTRY[name] = Entry(name, cls, summary, **hints)
        return cls

    return decorate


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
