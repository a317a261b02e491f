"""Reclamation: an object model on the simulated heap, and the schemes that free its objects.

``Heap("refcount")``, ``Heap("arc")``, ``Heap("bacon-rajan")``, ``Heap("cpython")``,
``Heap("mark-sweep")``, ``Heap("copying")`` build a heap
of typed objects managed by that scheme (see :mod:`memlab.reclaim.objects` for the API).
Every scheme module is imported here, so that its name is registered.
"""

from .arc import ARC, ARCError, NoAutoreleasePool, UnownedAccess
from .copying import FORWARDED, Copying, SemiSpace
from .cpython_gc import CPythonGC, WeakRef
from .cycles import BaconRajan
from .objects import Heap, Obj, ScopeFrame
from .refcount import RefCounting
from .scheme import SCHEMES, Manual, Scheme, scheme
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

__all__ = [
    "FORWARDED",
    "CPythonGC",
    "WeakRef",
    "BaconRajan",
    "Copying",
    "MarkSweep",
    "Pause",
    "SemiSpace",
    "ARC",
    "ARCError",
    "NoAutoreleasePool",
    "UnownedAccess",
    "SCHEMES",
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
    "scheme",
]
