"""The property suite: random programs against any allocator, checking the contract at every step.

:class:`Harness` plays the program: it allocates (with ``alloc`` and ``calloc``, now and then at a
large power-of-two alignment), writes a distinct byte pattern into every block, frees, reallocs and
resizes, and now and then tries something wrong (a free of a wild pointer, a double free, a
zero-byte request, ``calloc`` of two negative numbers). It keeps its own account of what it did,
and after every step it checks that

* ``check()`` passes and the allocator's shadow table agrees with the program's;
* ``stats()`` agrees with the program's count: live bytes, live blocks, the peak, and the
  counters (see :class:`~memlab.allocators.blocks.Stats`);
* no two live blocks overlap and every address has the alignment asked for;
* every live block still holds the bytes the program wrote (nothing lost or overwritten), and a
  block from ``calloc`` starts zeroed;
* an operation that raised a memlab error left the layout, the bytes and the statistics exactly as
  they were (counting the failure, if memory ran out);

and at the end, after freeing everything, that the allocator is back to its empty state.

Drive it with :func:`random_walk` (seeded, a fixed number of steps) or with Hypothesis via
:func:`state_machine`, which shrinks a failure to a short program. Both run on a learner's own
allocator too: pass any zero-argument factory. :func:`variants` lists the configurations of a
registered allocator the suite runs (see :attr:`~memlab.allocators.registry.Entry.variants`).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, replace

from .allocators.base import ALLOCATED, Allocator
from .errors import BadAlignment, BadRequest, BadSize, MemlabError, OutOfMemory, TooLarge, short_traceback

LARGE_ALIGNS = tuple(1 << k for k in range(6, 17))
"""The large alignments every allocator is asked for: 64 bytes to 64 KiB (an aligned block or BadAlignment)."""

WHOLE_STATE_BYTES = 4 << 20
"""Up to this many bytes of heap, a failed operation is compared byte for byte over the whole heap."""

COUNTERS = ("live_bytes", "live_blocks", "peak_live_bytes", "allocs", "frees", "reallocs", "failures")


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
        # the program's own account, which stats() must agree with
        self.counts = dict.fromkeys(COUNTERS, 0)
        start = heap.stats()
        for name in COUNTERS:
            self.counts[name] = getattr(start, name)

    # -- failing -----------------------------------------------------------------------------
    def fail(self, message: str) -> None:
        raise ContractViolation(f"{type(self.heap).__name__}, program step {self.steps}: {message}")

    def _state(self) -> tuple:
        """Everything a failed operation must leave as it was: layout, bytes, statistics."""
        heap = self.heap
        blocks = tuple(heap.layout())
        start = min((b.address for b in blocks), default=0)
        end = max((b.end for b in blocks), default=0)
        if end - start <= WHOLE_STATE_BYTES:
            data = heap.memory.read(start, end - start) if end > start else b""
        else:  # a heap spread over more memory: the blocks' own bytes, one read per run of adjacent blocks
            runs: list[list[int]] = []
            for b in sorted(blocks, key=lambda b: b.address):
                if runs and b.address <= runs[-1][1]:
                    runs[-1][1] = max(runs[-1][1], b.end)
                else:
                    runs.append([b.address, b.end])
            data = b"".join(heap.memory.read(lo, hi - lo) for lo, hi in runs)
        return blocks, data, heap.stats()

    def _guarded(self, what: str, action: Callable[[], object], expected: tuple[type, ...]):
        """Run ``action``; if it raises one of ``expected``, require that nothing changed but the failure count."""
        before = self._state()
        try:
            return action()
        except expected as e:
            if not isinstance(e, MemlabError) or e.step is None:
                self.fail(f"{what} raised {type(e).__name__} without a step number: {e}")
            out_of_memory = isinstance(e, OutOfMemory)
            blocks, data, stats = self._state()
            if (blocks, data) != before[:2]:
                self.fail(f"{what} raised {type(e).__name__} but changed the heap: {e}")
            expected = replace(before[2], failures=before[2].failures + out_of_memory, syscalls=stats.syscalls)
            if stats != expected:  # a refused system call still counts as one, as a kernel's would
                self.fail(f"{what} raised {type(e).__name__} but changed stats() from {before[2]} to {stats}: {e}")
            self.counts["failures"] += out_of_memory
            return e

    # -- the program's own account -----------------------------------------------------------------
    def _added(self, size: int) -> None:
        c = self.counts
        c["allocs"] += 1
        c["live_blocks"] += 1
        c["live_bytes"] += size
        c["peak_live_bytes"] = max(c["peak_live_bytes"], c["live_bytes"])

    def _removed(self, size: int) -> None:
        c = self.counts
        c["frees"] += 1
        c["live_blocks"] -= 1
        c["live_bytes"] -= size

    # -- the operations ------------------------------------------------------------------------
    def alloc(self, size: int, align: int | None, refusals: tuple[type, ...] = (OutOfMemory, BadAlignment)) -> None:
        what = f"alloc({size}, {align})"
        result = self._guarded(what, lambda: self.heap.alloc(size, align), refusals)
        if not isinstance(result, Exception):
            self._keep(result, size, align or self.heap.default_align, what)

    def aligned(self, size: int, align: int) -> None:
        """A large power-of-two alignment: an aligned block or BadAlignment; or OutOfMemory, or TooLarge
        when the padding the alignment needs makes the request larger than any block there is."""
        self.alloc(size, align, (OutOfMemory, BadAlignment, TooLarge))

    def calloc(self, count: int, size: int) -> None:
        what = f"calloc({count}, {size})"
        result = self._guarded(what, lambda: self.heap.calloc(count, size), (OutOfMemory,))
        if isinstance(result, Exception):
            return
        if self.heap.memory.read(result, count * size) != bytes(count * size):
            self.fail(f"{what} returned {result:#x}, whose {count * size} bytes are not all zero")
        self._keep(result, count * size, self.heap.default_align, what)

    def _keep(self, address: int, size: int, align: int, what: str) -> None:
        if address % align:
            self.fail(f"{what} returned {address:#x}, not aligned to {align}")
        data = self.rng.randbytes(size)
        self.heap.memory.write(address, data)
        self.blocks.append(_Live(address, size, align, data))
        self._added(size)

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
        self._removed(block.size)

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
        c = self.counts
        c["reallocs"] += 1
        if result != block.address:  # it moved: for a moment, the old block and the new one were both live
            c["peak_live_bytes"] = max(c["peak_live_bytes"], c["live_bytes"] + new_size)
            c["allocs"] += 1
            c["frees"] += 1
        c["live_bytes"] += new_size - block.size
        c["peak_live_bytes"] = max(c["peak_live_bytes"], c["live_bytes"])
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
            c = self.counts
            c["live_bytes"] += new_size - block.size
            c["peak_live_bytes"] = max(c["peak_live_bytes"], c["live_bytes"])
        elif self._state() != before:
            self.fail(f"resize({block.address:#x}, {new_size}) said no but changed the heap or its stats()")

    def misuse(self) -> None:
        """Something wrong on purpose: it must raise a typed error and change nothing."""
        kind = self.rng.choice(["wild", "double", "interior", "zero", "negative", "align", "calloc"])
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
        elif kind == "calloc":  # two negatives multiply into a positive size: both must be checked first
            action = lambda: heap.calloc(-self.rng.randrange(1, 9), -8)  # noqa: E731
        else:
            action = lambda: heap.alloc(0)  # noqa: E731
        result = self._guarded(f"misuse ({kind})", action, (MemlabError,))
        if not isinstance(result, MemlabError):
            self.fail(f"misuse ({kind}) raised no error")
        if kind in ("zero", "negative", "align", "calloc") and not isinstance(result, BadRequest):
            self.fail(f"misuse ({kind}) raised {type(result).__name__}, not a BadRequest")
        if kind == "calloc" and not isinstance(result, BadSize):
            self.fail(f"misuse (calloc) raised {type(result).__name__}, not a BadSize")

    # -- checking ------------------------------------------------------------------------------
    def verify(self, *, all_bytes: bool = False) -> None:
        self.steps += 1
        heap = self.heap
        try:
            heap.check()
        except MemlabError as e:
            self.fail(f"check() failed: {e}")
        shadow = heap._live
        if len(shadow) != len(self.blocks) or any(shadow.get(b.address, (0,))[0] != b.size for b in self.blocks):
            expected = {b.address: b.size for b in self.blocks}
            self.fail(f"the allocator's live blocks {heap.live()} differ from the program's {expected}")
        stats = heap.stats()
        for name, expected in self.counts.items():
            if getattr(stats, name) != expected:
                self.fail(f"stats().{name} is {getattr(stats, name)}, but the program counted {expected}: {stats}")
        if not 0 <= stats.footprint <= stats.peak_footprint:
            self.fail(f"stats() footprint {stats.footprint} is negative or above its peak {stats.peak_footprint}")
        ordered = sorted(self.blocks, key=lambda b: b.address)
        for a, b in zip(ordered, ordered[1:]):
            if a.address + a.size > b.address:
                self.fail(f"live blocks overlap: {a.address:#x}+{a.size} and {b.address:#x}")
        for block in self.blocks if all_bytes else self.blocks[-3:]:
            self._intact(block)

    def step(self) -> None:
        """One random operation followed by the checks."""
        rng = self.rng
        r = rng.random()
        size = rng.randint(1, self.max_request)
        if r < 0.40 or not self.blocks:
            self.alloc(size, rng.choice(self.aligns))
        elif r < 0.45:
            count = rng.randint(1, 8)
            self.calloc(count, max(1, size // count))
        elif r < 0.75:
            self.free()
        elif r < 0.83:
            self.realloc(size)
        elif r < 0.90:
            self.resize(size)
        elif r < 0.93:
            self.aligned(size, rng.choice(LARGE_ALIGNS))
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


def variants(name: str) -> list[tuple[dict, Callable[[], Allocator]]]:
    """Each configuration the suite runs for a registered allocator: (its options, a factory).

    The options are the entry's ``test_options`` with one of its :attr:`~memlab.allocators.registry.Entry.variants`
    on top; the first variant is the allocator's default configuration.
    """
    from .allocators.registry import REGISTRY

    entry = REGISTRY[name]
    out = []
    for variant in entry.variants:
        options = {**entry.test_options, **variant}
        out.append((variant, lambda options=options: entry.factory(**options)))
    return out


def state_machine(factory: Callable[[], Allocator], **hints):
    """A Hypothesis ``RuleBasedStateMachine`` class over the same harness (needs hypothesis)."""
    from hypothesis import strategies as st
    from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

    largest = hints.get("max_request", 512)

    class AllocatorMachine(RuleBasedStateMachine):
        @initialize(seed=st.integers(0, 2**32 - 1))
        def start(self, seed):
            self.harness = Harness(factory(), seed=seed, **hints)

        @rule(size=st.integers(1, largest), pick=st.integers(0, 7))
        def alloc(self, size, pick):
            aligns = hints.get("aligns", (None,))
            self.harness.alloc(size, aligns[pick % len(aligns)])

        @rule(count=st.integers(1, 8), size=st.integers(1, largest))
        def calloc(self, count, size):
            self.harness.calloc(count, max(1, size // count))

        @rule(size=st.integers(1, largest), align=st.sampled_from(LARGE_ALIGNS))
        def aligned(self, size, align):
            self.harness.aligned(size, align)

        @precondition(lambda self: self.harness.blocks)
        @rule()
        def free(self):
            self.harness.free()

        @precondition(lambda self: self.harness.blocks)
        @rule(size=st.integers(1, largest))
        def realloc(self, size):
            self.harness.realloc(size)

        @precondition(lambda self: self.harness.blocks)
        @rule(size=st.integers(1, largest))
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
