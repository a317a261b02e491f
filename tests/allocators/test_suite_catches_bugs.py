"""The property suite must be able to fail: deliberately broken allocators are caught."""

import pytest

from memlab import register
from memlab.allocators.registry import entry
from memlab.allocators.bump import Bump
from memlab.contract import ContractViolation, random_walk, state_machine


class Overlapping(Bump):
    """Hands out every second block on top of the previous one."""

    def _alloc(self, size, align):
        address = super()._alloc(size, align)
        if self.step % 2 == 0 and self._live:
            return max(self._live)
        return address


class Scribbling(Bump):
    """A stray write: freeing a block flips the first byte of the lowest other live block."""

    def _free(self, address, size):
        super()._free(address, size)
        others = [a for a in self._live if a != address]
        if others:
            victim = min(others)
            self.memory.write(victim, bytes([self.memory.read(victim, 1)[0] ^ 0xFF]))


class Misaligned(Bump):
    """Ignores the alignment asked for."""

    def _alloc(self, size, align):
        return super()._alloc(size, 1)


class HalfDone(Bump):
    """Raises OutOfMemory after moving the bump pointer: state changed on error."""

    def _alloc(self, size, align):
        if size > 200:
            self.end_index += 8
            raise self._oom()
        return super()._alloc(size, align)

    def _oom(self):
        from memlab import OutOfMemory

        return OutOfMemory("no room")


class NeverEmpty(Bump):
    """Never returns to its empty state."""

    def reclaimed(self):
        return False


class AlwaysEmpty(Bump):
    """The same, but claiming the empty state once nothing is live."""

    def reclaimed(self):
        return not self._live


HINTS = {"free_order": "lifo", "max_request": 256, "aligns": (None, 16), "returns_to_empty": False}


@pytest.mark.parametrize(
    "cls,symptom",
    [
        (Overlapping, "overlap|shadow|live blocks|lost its contents|check"),
        (Scribbling, "lost its contents|check"),
        (Misaligned, "not aligned"),
        (HalfDone, "changed the heap"),
        (NeverEmpty, "empty state"),
    ],
)
def test_random_walk_catches_a_broken_allocator(cls, symptom):
    hints = dict(HINTS, returns_to_empty=cls is NeverEmpty)
    with pytest.raises(ContractViolation, match=symptom):
        random_walk(lambda: cls(size=1 << 14), ops=2_000, seed=7, **hints)


def test_hypothesis_machine_catches_a_broken_allocator():
    from hypothesis import HealthCheck, settings

    machine = state_machine(lambda: Scribbling(size=1 << 14), **HINTS)
    machine.TestCase.settings = settings(
        max_examples=50, deadline=None, suppress_health_check=list(HealthCheck), report_multiple_bugs=False
    )
    with pytest.raises(ContractViolation):
        machine.TestCase().runTest()


def test_the_correct_allocators_pass_the_same_walk():
    harness = random_walk(lambda: Bump(size=1 << 14), ops=2_000, seed=7, **HINTS)
    assert harness.steps > 2_000
    random_walk(lambda: AlwaysEmpty(size=1 << 14), ops=2_000, seed=7, **dict(HINTS, returns_to_empty=True))


def test_registering_adds_an_allocator_to_the_registry():
    from memlab.allocators.registry import REGISTRY

    class Mine(Bump):
        """A bump allocator registered by a test."""

    register(entry("test-only-bump", Mine))

    try:
        import memlab

        assert isinstance(memlab.allocator("test-only-bump", size=128), Mine)
        assert REGISTRY["test-only-bump"].summary == "A bump allocator registered by a test."
    finally:
        del REGISTRY["test-only-bump"]
