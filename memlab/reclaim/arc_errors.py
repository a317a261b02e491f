"""The runtime errors of Swift's ARC, and Objective-C's missing autorelease pool."""

from __future__ import annotations

from ..errors import UseAfterFree
from .types import ReclaimError


class ARCError(ReclaimError):
    """A Swift runtime error under ARC."""


class UnownedAccess(ARCError, UseAfterFree):
    """An unowned reference read after its object was deinitialized (Swift traps)."""


class NoAutoreleasePool(ARCError):
    """``autorelease`` with no pool in place (Objective-C just leaks and logs)."""
