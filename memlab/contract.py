"""The property suite: random programs against any allocator, checking the contract at every step.

:class:`Harness` plays the program: it allocates, writes a distinct byte pattern into every
block, frees, reallocs and resizes, and now and then tries something wrong (a free of a wild
pointer, a double free, a zero-byte request). After every step it checks that

* ``check()`` passes and the allocator's shadow table agrees with the program's;
* no two live blocks overlap and every address has the alignment asked for;
* every live block still holds the bytes the program wrote (nothing lost or overwritten);
* an operation that raised a memlab error left the layout and the bytes exactly as they were;

and at the end, after freeing everything, that the allocator is back to its empty state.

Drive it with :func:`random_walk` (seeded, a fixed number of steps) or with Hypothesis via
:func:`state_machine`, which shrinks a failure to a short program. Both run on a learner's own
allocator too: pass any zero-argument factory.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from .allocators.base import ALLOCATED, Allocator
from .errors import BadAlignment, BadRequest, MemlabError, OutOfMemory, short_traceback


class ContractViolation(AssertionError):
    """The allocator broke the contract; the message says how and at which step."""

    _render_traceback_ = short_traceback


@dataclass
class _Live:
    address: int
    size: int
    align: int
    data: bytes


class Harness:
    """One random program against one allocator; see the module docstring."""

    def __init__(
        self,
        heap: Allocator,
        *,
        seed: int = 0,
        free_order: str = "any",
        returns_to_empty: bool = True,
        max_request: int = 512,
        aligns: tuple[int | None, ...] = (None,),
    ) -> None:
        self.heap = heap
        self.rng = random.Random(seed)
        self.free_order = free_order
        self.returns_to_empty = returns_to_empty
        self.max_request = max_request
        self.aligns = aligns
        self.blocks: list[_Live] = []  # in allocation order, so the last is the LIFO top
        self.steps = 0

    # -- failing -----------------------------------------------------------------------------
    def fail(self, message: str) -> None:
        raise ContractViolation(f"{type(self.heap).__name__}, program step {self.steps}: {message}")

    def _state(self) -> tuple:
        snap = self.heap.snapshot()
        contents = tuple(self.heap.memory.read(b.address, b.size) for b in self.blocks)
        return snap.blocks, snap.data, contents

    def _guarded(self, what: str, action: Callable[[], object], expected: tuple[type, ...]):
        """Run ``action``; if it raises one of ``expected``, require that nothing changed."""
        before = self._state()
        try:
            return action()
        except expected as e:
            if not isinstance(e, MemlabError) or e.step is None:
                self.fail(f"{what} raised {type(e).__name__} without a step number: {e}")
            if self._state() != before:
                self.fail(f"{what} raised {type(e).__name__} but changed the heap: {e}")
            return e

    # -- the operations ------------------------------------------------------------------------
    def alloc(self, size: int, align: int | None) -> None:
        result = self._guarded(
            f"alloc({size}, {align})", lambda: self.heap.alloc(size, align), (OutOfMemory, BadAlignment)
        )
        if isinstance(result, Exception):
            return
        effective = align or self.heap.default_align
        if result % effective:
            self.fail(f"alloc({size}, {align}) returned {result:#x}, not aligned to {effective}")
        data = self.rng.randbytes(size)
        self.heap.memory.write(result, data)
        self.blocks.append(_Live(result, size, effective, data))

    def _pick(self) -> int:
        lifo = self.free_order == "lifo" or self.rng.random() < 0.3
        return len(self.blocks) - 1 if lifo else self.rng.randrange(len(self.blocks))

    def _intact(self, block: _Live, n: int | None = None) -> None:
        n = block.size if n is None else n
        if self.heap.memory.read(block.address, n) != block.data[:n]:
            self.fail(f"the {block.size}-byte block at {block.address:#x} lost its contents")

    def free(self) -> None:
        if not self.blocks:
            return
        block = self.blocks.pop(self._pick())
        self._intact(block)
        self.heap.free(block.address)

    def realloc(self, new_size: int) -> None:
        if not self.blocks or self.free_order == "lifo":
            return
        i = self._pick()
        block = self.blocks[i]
        self._intact(block)
        result = self._guarded(
            f"realloc({block.address:#x}, {new_size})",
            lambda: self.heap.realloc(block.address, new_size),
            (OutOfMemory,),
        )
        if isinstance(result, Exception):
            return
        keep = min(block.size, new_size)
        if self.heap.memory.read(result, keep) != block.data[:keep]:
            self.fail(f"realloc to {result:#x} did not carry the first {keep} bytes over")
        align = block.align if result == block.address else self.heap.default_align
        if result % align:
            self.fail(f"realloc returned {result:#x}, not aligned to {align}")
        data = self.rng.randbytes(new_size)
        self.heap.memory.write(result, data)
        self.blocks[i] = _Live(result, new_size, align, data)

    def resize(self, new_size: int) -> None:
        if not self.blocks:
            return
        i = self._pick()
        block = self.blocks[i]
        before = self._state()
        if self.heap.resize(block.address, new_size):
            data = block.data[:new_size] + self.rng.randbytes(max(0, new_size - block.size))
            self.heap.memory.write(block.address, data)
            self.blocks[i] = _Live(block.address, new_size, block.align, data)
        elif self._state() != before:
            self.fail(f"resize({block.address:#x}, {new_size}) said no but changed the heap")

    def misuse(self) -> None:
        """Something wrong on purpose: it must raise a typed error and change nothing."""
        kind = self.rng.choice(["wild", "double", "interior", "zero", "negative", "align"])
        heap = self.heap
        if kind == "wild":
            address = self.rng.randrange(1, heap.memory.size)
            if any(b.address == address for b in self.blocks):
                return
            action = lambda: heap.free(address)  # noqa: E731
        elif kind == "double" and heap._freed:
            address = next(iter(heap._freed))
            action = lambda: heap.free(address)  # noqa: E731
        elif kind == "interior" and any(b.size > 1 for b in self.blocks):
            block = next(b for b in self.blocks if b.size > 1)
            action = lambda: heap.free(block.address + 1)  # noqa: E731
        elif kind == "negative":
            action = lambda: heap.alloc(-self.rng.randrange(1, 100))  # noqa: E731
        elif kind == "align":
            action = lambda: heap.alloc(8, 3)  # noqa: E731
        else:
            action = lambda: heap.alloc(0)  # noqa: E731
        result = self._guarded(f"misuse ({kind})", action, (MemlabError,))
        if not isinstance(result, MemlabError):
            self.fail(f"misuse ({kind}) raised no error")
        if kind in ("zero", "negative", "align") and not isinstance(result, BadRequest):
            self.fail(f"misuse ({kind}) raised {type(result).__name__}, not a BadRequest")

    # -- checking ------------------------------------------------------------------------------
    def verify(self, *, all_bytes: bool = False) -> None:
        self.steps += 1
        try:
            self.heap.check()
        except MemlabError as e:
            self.fail(f"check() failed: {e}")
        expected = {b.address: b.size for b in self.blocks}
        if self.heap.live() != expected:
            self.fail(f"the allocator's live blocks {self.heap.live()} differ from the program's {expected}")
        ordered = sorted(self.blocks, key=lambda b: b.address)
        for a, b in zip(ordered, ordered[1:]):
            if a.address + a.size > b.address:
                self.fail(f"live blocks overlap: {a.address:#x}+{a.size} and {b.address:#x}")
        for block in self.blocks if all_bytes else self.blocks[-3:]:
            self._intact(block)

    def step(self) -> None:
        """One random operation followed by the checks."""
        r = self.rng.random()
        size = self.rng.randint(1, self.max_request)
        if r < 0.45 or not self.blocks:
            self.alloc(size, self.rng.choice(self.aligns))
        elif r < 0.80:
            self.free()
        elif r < 0.88:
            self.realloc(size)
        elif r < 0.95:
            self.resize(size)
        else:
            self.misuse()
        self.verify(all_bytes=self.steps % 50 == 0)

    def finish(self) -> None:
        """Free everything (in an allowed order) and require the empty state."""
        self.verify(all_bytes=True)
        while self.blocks:
            self.free()
        self.verify(all_bytes=True)
        if any(b.state == ALLOCATED for b in self.heap.layout()):
            self.fail("blocks are still allocated after everything was freed")
        if self.returns_to_empty and not self.heap.reclaimed():
            self.fail("freeing everything did not return the allocator to its empty state")


def random_walk(factory: Callable[[], Allocator], ops: int = 10_000, seed: int = 0, **hints) -> Harness:
    """Run ``ops`` random operations on ``factory()`` and finish; raise ContractViolation if broken."""
    harness = Harness(factory(), seed=seed, **hints)
    for _ in range(ops):
        harness.step()
    harness.finish()
    return harness


def hints_for(name: str) -> dict:
    """The registry's property-suite hints for a registered allocator."""
    from .allocators.registry import REGISTRY

    entry = REGISTRY[name]
    return {
        "free_order": entry.free_order,
        "returns_to_empty": entry.returns_to_empty,
        "max_request": entry.max_request,
        "aligns": entry.aligns,
    }


def state_machine(factory: Callable[[], Allocator], **hints):
    """A Hypothesis ``RuleBasedStateMachine`` class over the same harness (needs hypothesis)."""
    from hypothesis import strategies as st
    from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

    class AllocatorMachine(RuleBasedStateMachine):
        @initialize(seed=st.integers(0, 2**32 - 1))
        def start(self, seed):
            self.harness = Harness(factory(), seed=seed, **hints)

        @rule(size=st.integers(1, hints.get("max_request", 512)), pick=st.integers(0, 7))
        def alloc(self, size, pick):
            aligns = hints.get("aligns", (None,))
            self.harness.alloc(size, aligns[pick % len(aligns)])

        @precondition(lambda self: self.harness.blocks)
        @rule()
        def free(self):
            self.harness.free()

        @precondition(lambda self: self.harness.blocks)
        @rule(size=st.integers(1, hints.get("max_request", 512)))
        def realloc(self, size):
            self.harness.realloc(size)

        @precondition(lambda self: self.harness.blocks)
        @rule(size=st.integers(1, hints.get("max_request", 512)))
        def resize(self, size):
            self.harness.resize(size)

        @rule()
        def misuse(self):
            self.harness.misuse()

        @invariant()
        def contract_holds(self):
            if hasattr(self, "harness"):
                self.harness.verify()

        def teardown(self):
            if hasattr(self, "harness"):
                self.harness.finish()

    AllocatorMachine.__name__ = f"{getattr(factory, '__name__', 'Allocator')}Machine"
    return AllocatorMachine
