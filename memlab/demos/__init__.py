"""Lecture demos: one line per topic brings up a large, scripted player for a projector.

``memlab.demo("buddy")`` imports ``memlab.demos.buddy`` and calls its ``demo(scale=...)``,
which returns a :class:`~memlab.widgets.player.Player` over a scripted scenario. Each demo
module also has a one-line ``TITLE``. ``topics()`` lists what is available.
"""

from __future__ import annotations

import importlib
import pkgutil

PROJECTOR = 1.6  # how much larger than a notebook player a demo is drawn


def topics() -> list[str]:
    """The demo topics, in course order where the module sets ``ORDER``."""
    found = []
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        if callable(getattr(module, "demo", None)):  # not the module of the ``demos export`` command
            found.append((getattr(module, "ORDER", 99), info.name))
    return [name for _, name in sorted(found)]


def demo(topic: str, *, scale: float = PROJECTOR):
    """A projector-sized player for ``topic`` (see :func:`topics`)."""
    names = topics()
    if topic not in names:
        raise ValueError(f"no demo called {topic!r}; the demos are: {', '.join(names)}")
    module = importlib.import_module(f"{__name__}.{topic}")
    return module.demo(scale=scale)


__all__ = ["PROJECTOR", "demo", "topics"]
