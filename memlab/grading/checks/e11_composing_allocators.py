"""Exercise 11: two composed allocators, after Zig's ``std.heap.stackFallback`` and ``std.testing.allocator``.

The learner writes ``fallback_alloc(fb, size, align)`` and ``fallback_free(fb, address)`` (a
fixed buffer first, another allocator when it is full; each block freed to its owner, decided by
address like Zig's ``ownsPtr``), and ``checked_alloc``, ``checked_free`` and ``deinit`` (a testing
allocator that fails when blocks are still live at the end). :class:`ExerciseFallback` and
:class:`ExerciseTesting` are memlab wrappers calling them; the checks read which child holds
each block.
"""

from __future__ import annotations

from ...errors import InvalidFree, OutOfMemory
from ...manual.errors import MemoryLeak
from ..questions import Cases, Exercise, Question
from .compose_kit import ExerciseFallback, ExerciseTesting


def _where(fb: ExerciseFallback, address: int) -> str:
    if address in fb.fixed.live():
        return "the buffer"
    if address in fb.fallback.live():
        return "the fallback heap"
    return "neither child"


def _five(fb: ExerciseFallback, cases: Cases) -> list[int]:
    """Five 40-byte requests: three fit the 128-byte buffer, two go to the fallback heap."""
    got = []
    for i in range(5):
        try:
            got.append(fb.alloc(40))
        except OutOfMemory as e:
            left = fb.fixed.capacity - fb.fixed.end_index
            cases.expect(
                False,
                f"request {i + 1} (40 bytes) raised OutOfMemory ({e}); the buffer has {left} bytes left, "
                "so catch OutOfMemory from fb.fixed and ask fb.fallback",
            )
    return got


def check_fallback_alloc(fns: dict) -> Cases:
    cases = Cases()
    with cases.case("small requests come from the buffer first", 1):
        fb = ExerciseFallback(alloc=fns["fallback_alloc"])
        a = fb.alloc(40)
        cases.expect(
            a in fb.fixed.live(),
            f"alloc(40) returned {a:#x}, from {_where(fb, a)}; the 128-byte buffer at {fb.fixed.start:#x} was "
            "empty: try fb.fixed first, it costs only a pointer bump",
        )
    with cases.case("when the buffer is full, the fallback serves", 1):
        fb = ExerciseFallback(alloc=fns["fallback_alloc"])
        got = _five(fb, cases)
        where = [_where(fb, a) for a in got]
        want = ["the buffer"] * 3 + ["the fallback heap"] * 2
        cases.expect(where == want, f"five 40-byte requests came from {where}; expected {want}")
    with cases.case("a request larger than the buffer skips it; small ones still fit after", 1):
        fb = ExerciseFallback(alloc=fns["fallback_alloc"])
        big, small = fb.alloc(200), fb.alloc(16)
        cases.expect(big in fb.fallback.live(), f"alloc(200) returned {big:#x}, from {_where(fb, big)}")
        cases.expect(
            small in fb.fixed.live(),
            f"alloc(16) after it returned {small:#x}, from {_where(fb, small)}; the buffer is still empty",
        )
    with cases.case("when both are full, OutOfMemory reaches the caller", 1):
        fb = ExerciseFallback(fallback="bump:size=256", alloc=fns["fallback_alloc"])
        try:
            address = fb.alloc(1000)
        except OutOfMemory:
            address = None
        cases.expect(address is None, f"alloc(1000) returned {address!r}; neither child has 1000 bytes")
        cases.expect(not fb.live(), "a failed alloc must leave no block behind")
    return cases


def check_fallback_free(fns: dict) -> Cases:
    cases = Cases()

    def five() -> tuple[ExerciseFallback, list[int]]:
        fb = ExerciseFallback(free=fns["fallback_free"])
        return fb, [fb.alloc(40) for _ in range(5)]  # memlab's own alloc: 3 in the buffer, 2 in the heap

    with cases.case("a fallback block goes back to the fallback heap", 1):
        fb, p = five()
        try:
            fb.free(p[4])
            fb.free(p[3])
        except InvalidFree as e:
            cases.expect(False, f"free({p[4]:#x}) went to the wrong child: {e}")
        cases.expect(fb.fallback.reclaimed(), f"after freeing {p[4]:#x} and {p[3]:#x} the fallback heap holds them")
    with cases.case("a buffer block goes back to the buffer", 1):
        fb, p = five()
        try:
            fb.free(p[2])
        except InvalidFree as e:
            cases.expect(False, f"free({p[2]:#x}), a block of the buffer, went to the fallback heap: {e}")
        cases.expect(
            fb.fixed.end_index == 80,
            f"after freeing the buffer's last block {p[2]:#x}, fb.fixed.end_index is {fb.fixed.end_index}; "
            "expected 80: the buffer frees its last block by moving its index back",
        )
    with cases.case("the owner is decided by address, not by trying", 1):
        fb, p = five()
        fb.free(p[3])
        fb.free(p[0])
        foreign = ", ".join(hex(x) for x in fb.fixed.foreign)
        cases.expect(
            not foreign,
            f"you asked the buffer to free {foreign}, a block of the fallback heap (in Zig, undefined behaviour): "
            "the buffer owns exactly fb.fixed.start <= address < fb.fixed.start + fb.fixed.capacity",
        )
        fb.check()
    return cases


def _testing(fns: dict) -> ExerciseTesting:
    return ExerciseTesting(alloc=fns["checked_alloc"], free=fns["checked_free"], deinit=fns["deinit"])


def _leak_report(t: ExerciseTesting, cases: Cases) -> str:
    """Run deinit; the case fails unless it raises MemoryLeak. Returns the message."""
    leaks = ", ".join(f"{n} bytes at {a:#x} (step {s})" for a, (n, s) in sorted(t._live.items()))
    try:
        t.deinit()
    except MemoryLeak as e:
        return str(e)
    except NotImplementedError:
        raise
    except Exception as e:  # noqa: BLE001 - the learner's code may raise anything
        cases.expect(False, f"deinit raised {type(e).__name__} ({e}); raise MemoryLeak(message) for a leak")
    cases.expect(False, f"deinit() returned quietly, but {leaks} never came back: a test that leaks must fail")
    return ""


def check_testing(fns: dict) -> Cases:
    cases = Cases()
    with cases.case("blocks come from the child and go back to it", 1):
        t = _testing(fns)
        a = t.alloc(24)
        cases.expect(t.child.live().get(a) == 24, f"alloc(24) returned {a:#x}, which t.child did not allocate")
        t.free(a)
        cases.expect(a not in t.child.live(), f"after free({a:#x}) the child still holds the block: pass it on")
    with cases.case("a test that frees everything passes", 1):
        t = _testing(fns)
        a, b = t.alloc(24), t.alloc(100)
        t.free(a)
        t.free(t.realloc(b, 200))  # realloc: a new block, then the old one freed
        try:
            t.deinit()
        except MemoryLeak as e:
            why = "checked_free must delete the block from t.blocks"
            cases.expect(False, f"deinit raised MemoryLeak ({e}) though every block was freed: {why}")
    with cases.case("a test that leaks fails, naming the block", 1):
        t = _testing(fns)
        a = t.alloc(24)
        t.free(t.alloc(8))
        message = _leak_report(t, cases)
        cases.expect(
            f"24 bytes at {a:#x}" in message, f"the report says {message!r}; it should name '24 bytes at {a:#x}'"
        )
    with cases.case("every leak is named, in address order, with the step that allocated it", 1):
        t = _testing(fns)
        t.alloc(16)
        y = t.alloc(48)
        t.alloc(32)
        t.free(y)
        t.alloc(48)  # step 5, probably at y's old address: the report must say step 5
        lines, found = _leak_report(t, cases).splitlines(), []
        for address, (size, step) in sorted(t._live.items()):
            want = f"{size} bytes at {address:#x}, allocated at step {step}"
            hits = [i for i, line in enumerate(lines) if want in line]
            cases.expect(hits, f"no line of the report says '{want}'; it says {lines}")
            found.append(hits[0])
        cases.expect(found == sorted(found), f"the report lists the leaks as {lines}: sort them by address")
    return cases


def demo(fallback_alloc, fallback_free):
    """A 128-byte buffer in front of a free-list heap: five requests of 40 bytes, then three frees."""
    from ...widgets import animate

    fb = ExerciseFallback(alloc=fallback_alloc, free=fallback_free)

    def program(h):
        blocks = [h.alloc(40) for _ in range(5)]
        h.free(blocks[4])
        h.free(blocks[3])
        h.free(blocks[2])

    return animate(fb, program, title="Your stackFallback(128, freelist)")


EXERCISE = Exercise(
    "11_composing_allocators",
    "Composing allocators: a fallback and a test that fails on a leak",
    (
        Question("fallback_alloc", "the buffer first, then the fallback", ("fallback_alloc",), 4, check_fallback_alloc),
        Question("fallback_free", "each block back to its owner", ("fallback_free",), 3, check_fallback_free),
        Question(
            "testing", "a test that fails on a leak", ("checked_alloc", "checked_free", "deinit"), 4, check_testing
        ),
    ),
)
