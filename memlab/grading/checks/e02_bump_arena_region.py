"""Exercise 02: bump allocation, Zig's ``FixedBufferAllocator`` (the heart of every arena).

The learner writes ``bump_alloc(arena, size, align)`` (align the *address* up, check the
capacity, move ``end_index``) and ``bump_free(arena, address, size)`` (only the last
allocation gives its bytes back; any other free is a no-op, as in Zig). The buffer starts at
an address that is 8 but not 16 aligned, so aligning the offset instead of the address shows.
Then ``arena_alloc(arena, size, align)``: the same bump over Zig's ``ArenaAllocator``'s list of
chunks, taking a new chunk from the child allocator when the current one is full.
"""

from __future__ import annotations

from ...allocators.arena import NODE, Arena
from ...allocators.bump import Bump
from ...errors import OutOfMemory
from ...os import OS
from ..questions import Cases, Exercise, Question


class ExerciseBump(Bump):
    """A Bump over a 256-byte buffer at an address = 8 (mod 16), using the learner's functions."""

    def __init__(self, *, alloc=None, free=None, capacity: int = 256) -> None:
        os = OS(1 << 16)
        base = os.mmap(4096)
        self.learner_alloc, self.learner_free = alloc, free
        super().__init__(buffer=(base + 8, capacity), os=os)

    def _alloc(self, size: int, align: int) -> int:
        if self.learner_alloc is None:
            return super()._alloc(size, align)
        before = self.end_index
        try:
            return self.learner_alloc(self, size, align)
        except OutOfMemory:
            if self.end_index != before:
                raise AssertionError(
                    f"end_index moved from {before} to {self.end_index} although the request failed"
                ) from None
            raise

    def _free(self, address: int, size: int) -> None:
        if self.learner_free is None:
            return super()._free(address, size)
        self.learner_free(self, address, size)


class ExerciseArena(Arena):
    """memlab's Arena whose allocation is the learner's (never growing a chunk in place)."""

    def __init__(self, *, alloc=None) -> None:
        super().__init__("page")
        self.learner_alloc = alloc

    def current(self) -> tuple[int, int]:
        """(first usable address, usable bytes) of the current chunk; (0, 0) before the first."""
        if not self.chunks:
            return 0, 0
        chunk, length = self.chunks[-1]
        return chunk + NODE, length - NODE

    def new_chunk(self, minimum: int) -> None:
        """Take a new chunk of about 1.5 x (current chunk + minimum) bytes from the child; end_index = 0."""
        self._new_chunk(self.current()[1], minimum)

    def _alloc(self, size: int, align: int) -> int:
        if self.learner_alloc is not None:
            return self.learner_alloc(self, size, align)
        while True:  # the reference: Arena._alloc without growing a chunk in place
            buffer, capacity = self.current()
            address = (buffer + self.end_index + align - 1) & -align
            if address - buffer + size <= capacity:
                self.end_index = address - buffer + size
                return address
            self.new_chunk(size + align)


def _inside(cases: Cases, arena: ExerciseArena, address: object, size: int) -> None:
    if not isinstance(address, int):
        cases.expect(False, f"arena_alloc returned {address!r}, not an address")
    for chunk, length in arena.chunks:
        if chunk + NODE <= address < chunk + length:
            cases.expect(
                address + size <= chunk + length,
                f"the {size}-byte block at {address:#x} ends at {address + size:#x}, past the end of its chunk "
                f"({chunk + length:#x}): when a request does not fit, take a new chunk",
            )
            return
    cases.expect(False, f"arena_alloc returned {address:#x}, which is in no chunk (or inside a chunk's node)")


def check_arena(fns: dict) -> Cases:
    cases = Cases()
    requests = [(24, 8), (5, 1), (40, 16), (100, 8), (300, 64), (8, 8), (1000, 8), (16, 16)]
    mine, real = ExerciseArena(alloc=fns["arena_alloc"]), ExerciseArena()
    got, want = [], []
    with cases.case("the first allocation takes a chunk", 1):
        got.append(mine.alloc(*requests[0]))
        want.append(real.alloc(*requests[0]))
        cases.expect(
            len(mine.chunks) == 1, f"after the first alloc the arena has {len(mine.chunks)} chunks; expected 1"
        )
        cases.expect(
            got == want, f"alloc{requests[0]} returned {got[0]:#x}; expected {want[0]:#x}, just after the node"
        )
    with cases.case("allocations bump through the chunk, aligned", 1):
        for r in requests[1:4]:
            got.append(mine.alloc(*r))
            want.append(real.alloc(*r))
            _inside(cases, mine, got[-1], r[0])
            cases.expect(got[-1] == want[-1], f"alloc{r} returned {got[-1]:#x}; expected {want[-1]:#x}")
    with cases.case("a request that does not fit takes a new chunk", 1):
        for r in requests[4:]:
            got.append(mine.alloc(*r))
            want.append(real.alloc(*r))
            _inside(cases, mine, got[-1], r[0])
            cases.expect(got[-1] == want[-1], f"alloc{r} returned {got[-1]:#x}; expected {want[-1]:#x}")
        cases.expect(
            [length for _, length in mine.chunks] == [length for _, length in real.chunks],
            f"chunks of {[n for _, n in mine.chunks]} bytes; expected {[n for _, n in real.chunks]}",
        )
        mine.check()
    return cases


def check_alloc(fns: dict) -> Cases:
    cases = Cases()

    def run(requests):
        mine, real = ExerciseBump(alloc=fns["bump_alloc"]), ExerciseBump()
        for size, align in requests:
            a, b = mine.alloc(size, align), real.alloc(size, align)
            cases.expect(
                a == b,
                f"alloc({size}, align={align}) after {requests[: requests.index((size, align))]} returned "
                + (f"{a:#x} ({a:#x} % {align} == {a % align})" if isinstance(a, int) else repr(a))
                + f"; expected {b:#x}",
            )
        cases.expect(mine.end_index == real.end_index, f"end_index is {mine.end_index}; expected {real.end_index}")

    with cases.case("allocations follow each other", 1):
        run([(8, 8), (24, 8), (16, 8)])
    with cases.case("the address is aligned, not the offset", 1):
        run([(3, 1), (16, 16)])
    with cases.case("large alignments leave padding", 1):
        run([(8, 8), (10, 64), (1, 1), (4, 4)])
    with cases.case("a request that does not fit raises OutOfMemory and changes nothing", 1):
        heap = ExerciseBump(alloc=fns["bump_alloc"])
        heap.alloc(200, 8)
        try:
            heap.alloc(64, 8)
        except OutOfMemory:
            pass
        else:
            cases.expect(False, "alloc(64) with 56 bytes left should raise OutOfMemory")
        cases.expect(heap.end_index == 200, f"after the failed request end_index is {heap.end_index}; expected 200")
    return cases


def check_free(fns: dict) -> Cases:
    cases = Cases()
    with cases.case("freeing the last allocation gives its bytes back", 1):
        heap = ExerciseBump(free=fns["bump_free"])
        heap.alloc(16, 8)
        b = heap.alloc(32, 8)
        heap.free(b)
        cases.expect(heap.end_index == 16, f"after freeing the last block end_index is {heap.end_index}; expected 16")
    with cases.case("freeing any other block changes nothing", 1):
        heap = ExerciseBump(free=fns["bump_free"])
        a = heap.alloc(16, 8)
        heap.alloc(32, 8)
        heap.free(a)
        cases.expect(
            heap.end_index == 48,
            f"after freeing the first of two blocks end_index is {heap.end_index}; expected 48 (a no-op)",
        )
    return cases


def demo(bump_alloc, bump_free):
    """Three allocations with different alignments, a free of the last one, then a reset."""
    from ...widgets import heap_player

    heap = ExerciseBump(alloc=bump_alloc, free=bump_free)
    with heap.record() as rec:
        heap.alloc(3, 1)
        heap.alloc(16, 16)
        c = heap.alloc(40, 64)
        heap.free(c)
        heap.alloc(8, 8)
        heap.reset()
    return heap_player(rec.recording, title="Your bump allocator", hexdump=False)


EXERCISE = Exercise(
    "02_bump_arena_region",
    "Bump allocation",
    (
        Question("bump_alloc", "bumping with alignment", ("bump_alloc",), 4, check_alloc),
        Question("bump_free", "freeing the last allocation", ("bump_free",), 2, check_free),
        Question("arena_alloc", "an arena: bumping over a list of chunks", ("arena_alloc",), 3, check_arena),
    ),
)
