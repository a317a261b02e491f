"""The property suite must be able to fail: deliberately broken allocators are caught.

Each class below is one named mutation of a correct allocator; the last ones are the defects an
adversarial pass found, which the suite once let through.
"""

import importlib.util
import inspect

import pytest

import memlab
from memlab import register
from memlab.allocators.bump import Bump
from memlab.allocators.freelist import fast, heap
from memlab.contract import ContractViolation, hints_for, random_walk, state_machine


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
    from memlab.allocators.registry import REGISTRY, entry

    class Mine(Bump):
        """A bump allocator registered by a test."""

    register(entry("test-only-bump", Mine))
    try:
        assert isinstance(memlab.allocator("test-only-bump", size=128), Mine)
        assert REGISTRY["test-only-bump"].summary == "A bump allocator registered by a test."
    finally:
        del REGISTRY["test-only-bump"]


# -- the defects the suite once let through ----------------------------------------------------------


class StaleLiveBytes(Bump):
    """stats().live_bytes no longer follows an in-place realloc (the shadow table does)."""

    def _set_size(self, address, size):
        old, since = self._live[address]
        self._live[address] = (size, since)


class CallocMultipliesFirst(Bump):
    """calloc(-2, -8) hands out 16 bytes: it multiplies before it checks."""

    def calloc(self, count, size):
        address = self.alloc(count * size)
        self.memory.fill(address, count * size)
        return address


class CountsFailedReallocs(Bump):
    """A realloc that runs out of memory still adds 1 to stats().reallocs."""

    def realloc(self, address, new_size):
        try:
            return super().realloc(address, new_size)
        except memlab.OutOfMemory:
            self._counts["reallocs"] += 1
            raise


class IgnoresLargeAlignments(Bump):
    """Honours alignments up to 64 bytes and silently ignores larger ones, as objectpool did."""

    def _alloc(self, size, align):
        return super()._alloc(size, min(align, 64))


@pytest.mark.parametrize(
    "cls,symptom",
    [
        (StaleLiveBytes, r"stats\(\).live_bytes is \d+, but the program counted"),
        (CallocMultipliesFirst, r"misuse \(calloc\) raised no error"),
        (CountsFailedReallocs, r"realloc\(0x[0-9a-f]+, \d+\) raised OutOfMemory but changed stats\(\)"),
        (IgnoresLargeAlignments, r"not aligned to (128|256|512|1024|2048|4096|8192|16384|32768|65536)"),
    ],
)
def test_the_suite_catches_the_defects_it_once_let_through(cls, symptom):
    with pytest.raises(ContractViolation, match=symptom):
        random_walk(lambda: cls(size=1 << 14), ops=3_000, seed=7, **dict(HINTS, free_order="any"))


def mutant_fast_path(old: str, new: str):
    """The free list's accelerator module, built from its source with one line changed."""
    source = inspect.getsource(fast)
    assert source.count(old) == 1, f"the mutation's target {old!r} is not in {fast.__file__} once"
    spec = importlib.util.spec_from_loader(fast.__name__, loader=None)
    module = importlib.util.module_from_spec(spec)
    module.__package__ = fast.__package__
    exec(compile(source.replace(old, new), fast.__file__, "exec"), module.__dict__)
    module.COMPILED = None  # the closures, not the C twin
    return module


def test_the_suite_catches_an_explicit_list_fast_path_that_never_merges_left(monkeypatch):
    mutant = mutant_fast_path("if not prev & ALLOC:  # cases 3 and 4", "if False:  # cases 3 and 4")
    monkeypatch.setattr(heap, "fast", mutant)
    build = lambda: memlab.allocator("freelist:list=explicit,limit=49152,chunk=1024,accelerator=python")  # noqa: E731
    with pytest.raises(ContractViolation, match="coalescing missed them"):
        random_walk(build, ops=2_000, seed=7, **hints_for("freelist"))
    monkeypatch.setattr(heap, "fast", fast)
    random_walk(build, ops=2_000, seed=7, **hints_for("freelist"))  # the unchanged module passes
