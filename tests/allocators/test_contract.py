"""The property suite, run against every registered allocator.

A new allocator registered with ``memlab.register`` gets both tests below for free: a seeded
walk of 10,000 random operations, and a Hypothesis state machine that shrinks any failure.
"""

import pytest
from hypothesis import HealthCheck, settings

from memlab.allocators import REGISTRY
from memlab.contract import hints_for, random_walk, state_machine

NAMES = sorted(REGISTRY)


def factory(name):
    entry = REGISTRY[name]
    return lambda: entry.factory(**entry.test_options)


@pytest.mark.parametrize("name", NAMES)
def test_ten_thousand_random_operations(name):
    harness = random_walk(factory(name), ops=10_000, seed=2024, **hints_for(name))
    assert harness.steps >= 10_000
    assert harness.heap.stats().allocs > 0


@pytest.mark.parametrize("name", NAMES)
def test_hypothesis_state_machine(name):
    machine = state_machine(factory(name), **hints_for(name))
    machine.TestCase.settings = settings(
        max_examples=30,
        stateful_step_count=40,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    machine.TestCase().runTest()
