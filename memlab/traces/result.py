"""What one replay measured: a :class:`Result`, with exactly the keys of ``KEYS`` as plain data.

The measurements are malloclab's and Johnstone and Wilson's, described in :mod:`.replay`. A
replay through one of the machine's production allocators (:mod:`.production`) gives a
:class:`~.production.run.ProductionResult`, the same measurements and a few more.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

KEYS = (
    "allocator",
    "trace",
    "ops",
    "peak_live_bytes",
    "heap_bytes",
    "utilization",
    "fragmentation",
    "ops_per_second",
    "errors",
)

SAMPLES = 200
"""Points of the footprint-over-time curve (and progress bar updates) per replay."""


@dataclass
class Result:
    """What one replay measured; :meth:`as_dict` has exactly the keys in ``KEYS``."""

    allocator: str
    trace: str
    ops: int
    peak_live_bytes: int
    heap_bytes: int
    utilization: float | None
    fragmentation: float | None
    ops_per_second: float
    errors: int
    messages: list[str] = field(default_factory=list, repr=False)
    stopped: str | None = None
    timeline: list[tuple[int, int, int]] = field(default_factory=list, repr=False)

    def as_dict(self) -> dict:
        data = asdict(self)
        return {key: data[key] for key in KEYS}
