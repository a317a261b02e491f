"""The property suite, run against every variant of every registered allocator.

A registered allocator gets all three tests below for free. Its entry names the options that
change its algorithm (``varies``); the suite runs few configurations that between them hold every
value and every pair of values (a covering array), each with a seeded random walk. The default
configurations of a few allocators also get a long walk, and every allocator a Hypothesis state
machine that shrinks any failure to a short program.
"""

import pytest
from hypothesis import HealthCheck, settings

from memlab.allocators import REGISTRY
from memlab.allocators.covering import covers
from memlab.contract import hints_for, random_walk, state_machine, variants

NAMES = sorted(REGISTRY)
CASES = [(name, i) for name in NAMES for i in range(len(REGISTRY[name].variants))]
WALK = 1_500
"""Operations of the walk each variant gets."""
LONG = ("freelist", "buddy", "tcmalloc")
"""The allocators whose default configuration also gets a 10,000-operation walk."""


def case_id(case) -> str:
    name, i = case
    variant = REGISTRY[name].variants[i]
    return f"{name}-" + ",".join(f"{k}={v}" for k, v in variant.items()) if variant else name


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_random_walk_on_every_variant(case):
    name, i = case
    variant, factory = variants(name)[i]
    harness = random_walk(factory, ops=WALK, seed=2024 + i, **hints_for(name))
    assert harness.steps >= WALK
    assert harness.heap.stats().allocs > 0


@pytest.mark.extended
@pytest.mark.parametrize("name", LONG)
def test_ten_thousand_random_operations(name):
    _, factory = variants(name)[0]
    harness = random_walk(factory, ops=10_000, seed=2024, **hints_for(name))
    assert harness.steps >= 10_000


@pytest.mark.parametrize("name", NAMES)
def test_hypothesis_state_machine(name):
    _, factory = variants(name)[0]
    machine = state_machine(factory, **hints_for(name))
    machine.TestCase.settings = settings(
        max_examples=20,
        stateful_step_count=40,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    machine.TestCase().runTest()


@pytest.mark.parametrize("name", NAMES)
def test_the_variants_hold_every_value_and_every_pair_of_values(name):
    entry = REGISTRY[name]
    assert covers(entry.variants, entry.varies, entry.accepts) == []
    assert all(entry.accepts(v) for v in entry.variants)


def test_the_free_list_variants_run_both_accelerated_paths_and_the_readable_one():
    from memlab.allocators.freelist import fast

    paths = {v["accelerator"] for v in REGISTRY["freelist"].variants}
    assert paths == ({"off", "python", "c"} if fast.COMPILED is not None else {"off", "python"})
    built = {f().accelerator for _, f in variants("freelist")}
    assert built == paths
