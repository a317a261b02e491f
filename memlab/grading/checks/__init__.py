"""One module per exercise, ``eNN_name.py`` after its notebook, each defining ``EXERCISE``; kits beside them.

Each exercise's module is that exercise's kit, public to its notebook: the learner's starting
heap, the demo players and the check. ``exercise("04")`` or
``exercise("04_coalescing_and_boundary_tags")`` finds an exercise; :data:`EXERCISES` lists them all.
"""

from __future__ import annotations

from ..questions import Exercise
from . import (
    arc_choose,
    arc_runtime,
    boundary_tags,
    compose_kit,
    e01_stack_allocation,
    e02_bump_arena_region,
    e03_free_lists_and_placement,
    e04_coalescing_and_boundary_tags,
    e05_segregated_fits,
    e06_buddy_allocation,
    e07_pools_and_object_pools,
    e08_slab_allocation,
    e09_pages_and_the_os,
    e10_thread_caching,
    e11_composing_allocators,
    e12_real_workloads,
    e13_manual_memory_and_its_bugs,
    e14_reference_counting,
    e15_arc_strong_weak_unowned,
    e16_cycle_collection,
    e17_ownership_and_borrowing,
    e18_tracing_garbage_collection,
    e20_pymalloc,
    e21_mimalloc,
    e22_generational_collection,
    e23_incremental_marking,
    graph_kit,
    stack_kit,
    tcmalloc_kit,
)

EXERCISES = (
    e01_stack_allocation.EXERCISE,
    e02_bump_arena_region.EXERCISE,
    e03_free_lists_and_placement.EXERCISE,
    e04_coalescing_and_boundary_tags.EXERCISE,
    e05_segregated_fits.EXERCISE,
    e06_buddy_allocation.EXERCISE,
    e07_pools_and_object_pools.EXERCISE,
    e08_slab_allocation.EXERCISE,
    e09_pages_and_the_os.EXERCISE,
    e10_thread_caching.EXERCISE,
    e11_composing_allocators.EXERCISE,
    e12_real_workloads.EXERCISE,
    e13_manual_memory_and_its_bugs.EXERCISE,
    e14_reference_counting.EXERCISE,
    e15_arc_strong_weak_unowned.EXERCISE,
    e16_cycle_collection.EXERCISE,
    e17_ownership_and_borrowing.EXERCISE,
    e18_tracing_garbage_collection.EXERCISE,
    e20_pymalloc.EXERCISE,
    e21_mimalloc.EXERCISE,
    e22_generational_collection.EXERCISE,
    e23_incremental_marking.EXERCISE,
)
"""Every exercise, in course order."""


def keys() -> list[str]:
    """The exercise names, in course order."""
    return [ex.key for ex in EXERCISES]


def exercise(name: str) -> Exercise:
    """The exercise called ``name``, or whose number is ``name`` (``"04"``)."""
    found = [ex for ex in EXERCISES if ex.key == name or ex.key[:2] == name[:2] and len(name) == 2]
    if not found:
        raise KeyError(f"no exercise called {name!r}; the exercises are: {', '.join(keys())}")
    return found[0]


__all__ = [
    "EXERCISES",
    "e01_stack_allocation",
    "e02_bump_arena_region",
    "e03_free_lists_and_placement",
    "e04_coalescing_and_boundary_tags",
    "e05_segregated_fits",
    "e06_buddy_allocation",
    "e07_pools_and_object_pools",
    "e08_slab_allocation",
    "e09_pages_and_the_os",
    "e10_thread_caching",
    "e11_composing_allocators",
    "e12_real_workloads",
    "e13_manual_memory_and_its_bugs",
    "e14_reference_counting",
    "e15_arc_strong_weak_unowned",
    "e16_cycle_collection",
    "e17_ownership_and_borrowing",
    "e18_tracing_garbage_collection",
    "e20_pymalloc",
    "e21_mimalloc",
    "e22_generational_collection",
    "e23_incremental_marking",
    "arc_choose",
    "arc_runtime",
    "boundary_tags",
    "compose_kit",
    "graph_kit",
    "stack_kit",
    "tcmalloc_kit",
    "exercise",
    "keys",
]
