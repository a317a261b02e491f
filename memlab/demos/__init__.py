"""Lecture demos: one line per topic brings up a large, scripted player for a projector.

``memlab.demo("buddy")`` calls ``memlab.demos.buddy.demo(scale=...)``, which returns a
:class:`~memlab.widgets.Player` over a scripted scenario built around the surprise of that
topic's notebook. Each topic module also has a one-line ``TITLE``. :data:`TOPICS` names them all,
in course order; the topic modules are public (notebooks use their scenarios too).
"""

from __future__ import annotations

from . import (
    arc,
    arena,
    buddy,
    coalescing,
    compose,
    cycles,
    footers,
    freelist,
    generational,
    incremental,
    manual,
    mimalloc,
    ownership,
    pages,
    pool,
    pymalloc,
    refcount,
    segregated,
    slab,
    stack,
    tcmalloc,
    tracing,
    workloads,
)

PROJECTOR = 1.6  # how much larger than a notebook player a demo is drawn

TOPICS = {
    "stack": stack,
    "arena": arena,
    "freelist": freelist,
    "coalescing": coalescing,
    "footers": footers,
    "segregated": segregated,
    "buddy": buddy,
    "pool": pool,
    "slab": slab,
    "pages": pages,
    "tcmalloc": tcmalloc,
    "compose": compose,
    "workloads": workloads,
    "manual": manual,
    "refcount": refcount,
    "arc": arc,
    "cycles": cycles,
    "ownership": ownership,
    "tracing": tracing,
    "pymalloc": pymalloc,
    "mimalloc": mimalloc,
    "generational": generational,
    "incremental": incremental,
}
"""Every demo topic and its module, in the order of the course."""


def topics() -> list[str]:
    """The demo topics, in course order."""
    return list(TOPICS)


def demo(topic: str, *, scale: float = PROJECTOR):
    """A projector-sized player for ``topic`` (see :func:`topics`)."""
    if topic not in TOPICS:
        raise ValueError(f"no demo called {topic!r}; the demos are: {', '.join(TOPICS)}")
    return TOPICS[topic].demo(scale=scale)


__all__ = [
    "PROJECTOR",
    "TOPICS",
    "arc",
    "arena",
    "buddy",
    "coalescing",
    "compose",
    "cycles",
    "demo",
    "footers",
    "freelist",
    "generational",
    "incremental",
    "manual",
    "mimalloc",
    "ownership",
    "pages",
    "pool",
    "pymalloc",
    "refcount",
    "segregated",
    "slab",
    "stack",
    "tcmalloc",
    "topics",
    "tracing",
    "workloads",
]
