"""Reclamation: an object model on the simulated heap, and the schemes that free its objects.

``Heap("refcount")``, ``Heap("arc")``, ``Heap("bacon-rajan")``, ``Heap("cpython")``,
``Heap("mark-sweep")``, ``Heap("copying")``, ``Heap("generational")``, ``Heap("incremental")``
build a heap of typed objects managed by that scheme (see :mod:`memlab.reclaim.objects` for the
API). :data:`SCHEMES_IN_ORDER` names every scheme, in the order of the course; Rust's ownership
model, which needs no scheme, is :mod:`.ownership`.
"""

from . import mutators
from .arc import ARC, ARCError, NoAutoreleasePool, UnownedAccess
from .copying import FORWARDED, Copying, SemiSpace
from .cpython_gc import CPythonGC, WeakRef
from .cycles import BaconRajan
from .generational import Generational
from .incremental import Incremental
from .objects import Heap, Obj, ScopeFrame
from .refcount import RefCounting
from .scheme import SCHEMES, Manual, Scheme, register
from .snapshot import Edge, GraphSnapshot, Node, Variable
from .tracing import MarkSweep, Pause
from .types import (
    BadField,
    CollectionInProgress,
    DeadObject,
    DoubleRelease,
    ObjType,
    ReclaimError,
    RetainOfFreed,
    ScopeError,
)

SCHEMES_IN_ORDER = (
    Manual,
    RefCounting,
    ARC,
    BaconRajan,
    CPythonGC,
    MarkSweep,
    Copying,
    Generational,
    Incremental,
)
"""Every reclamation scheme; ``Heap(cls.name)`` builds each."""

register(*SCHEMES_IN_ORDER)

__all__ = [
    "mutators",
    "FORWARDED",
    "CPythonGC",
    "WeakRef",
    "BaconRajan",
    "Copying",
    "Generational",
    "Incremental",
    "MarkSweep",
    "Pause",
    "SemiSpace",
    "ARC",
    "ARCError",
    "NoAutoreleasePool",
    "UnownedAccess",
    "SCHEMES",
    "SCHEMES_IN_ORDER",
    "BadField",
    "CollectionInProgress",
    "DeadObject",
    "DoubleRelease",
    "Edge",
    "ScopeFrame",
    "GraphSnapshot",
    "Heap",
    "Manual",
    "Node",
    "Obj",
    "ObjType",
    "ReclaimError",
    "RefCounting",
    "RetainOfFreed",
    "Scheme",
    "ScopeError",
    "Variable",
    "register",
]
