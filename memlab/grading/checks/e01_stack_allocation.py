"""Exercise 01: a stack allocator, last in, first out (the x86-64 call stack; game-engine stacks).

The learner writes ``stack_alloc(stack, size, align)`` (round ``sp`` up, check the limit and
raise :class:`StackOverflow` naming the request, move ``sp``), ``stack_free(stack, address)``
(only the top block: ``sp`` goes back to where it was before that block, padding included; any
other block raises :class:`~memlab.errors.OutOfOrderFree` naming the top), and
``backtrace(stack)``: the frame records, innermost first, found by following the saved frame
pointers through the stack's bytes from ``fp`` (``rbp``), as a debugger does.
:class:`ExerciseStack` is memlab's :class:`~memlab.allocators.stack.Stack` calling them; memlab
keeps its list of blocks (its shadow table) itself.
"""

from __future__ import annotations

import re

from ...allocators.stack import StackOverflow
from ...errors import OutOfOrderFree
from ..questions import Cases, Exercise, Question
from .stack_kit import ExerciseStack


def _program(cases: Cases, fn, requests: list[tuple[int, int]]) -> ExerciseStack:
    """Run the requests on the learner's stack and on memlab's; every address and sp must agree."""
    mine, real = ExerciseStack(alloc=fn), ExerciseStack()
    for i, (size, align) in enumerate(requests):
        after = f"alloc({size}, align={align})" + (f" after {requests[:i]}" if i else " on an empty stack")
        b = real.alloc(size, align)
        try:
            a = mine.alloc(size, align)
        except StackOverflow:
            edge = f", exactly at the limit {real.limit:#x} (the first address past the stack)"
            edge = edge if b + size == real.limit else ""
            cases.expect(
                False, f"{after} raised StackOverflow, but the block fits at {b:#x}, ending at {b + size:#x}{edge}"
            )
        if a != b and isinstance(a, int) and a % align:
            cases.expect(False, f"{after} returned {a:#x}, which is not a multiple of {align}; expected {b:#x}")
        cases.expect(a == b, f"{after} returned {a:#x}; expected {b:#x}")
        cases.expect(mine.sp == real.sp, f"after {after} sp is {mine.sp:#x}; expected {real.sp:#x}, the block's end")
    return mine


def _overflow(cases: Cases, stack: ExerciseStack, size: int, align: int, why: str) -> None:
    sp = stack.sp
    _refused(
        cases,
        lambda: stack.alloc(size, align),
        StackOverflow,
        "memlab.allocators.stack",
        lambda text: re.search(rf"\b{size}\b", text),
        f"name the request ({size} bytes) so the reader knows what failed",
        lambda address: (
            f"alloc({size}, align={align}) with sp at {sp:#x} returned {address:#x}, a block ending at "
            f"{address + size:#x}, past the limit {stack.limit:#x} ({why}): raise StackOverflow"
        ),
    )
    cases.expect(stack.sp == sp, f"after the failed request sp is {stack.sp:#x}; expected {sp:#x}, unchanged")


def _refused(cases: Cases, call, error: type, module: str, names, hint: str, silent) -> None:
    """``call()`` must raise the stack's own ``error``, whose text ``names`` what failed."""
    try:
        result = call()
    except error as e:
        cases.expect(names(str(e)), f"the {error.__name__} says {e.message!r}: {hint}")
    except Exception as e:  # noqa: BLE001 - the learner may raise anything
        if isinstance(e, NotImplementedError):
            raise
        name = error.__name__
        own = f"a stack raises its own {name} (from {module} import {name})"
        cases.expect(False, f"raised {type(e).__name__}: {e}; {own}")
    else:
        cases.expect(False, silent(result))


def check_alloc(fns: dict) -> Cases:
    cases = Cases()
    fn = fns["stack_alloc"]
    with cases.case("allocations follow each other", 1):
        _program(cases, fn, [(8, 8), (24, 8), (16, 8)])
    with cases.case("sp is rounded up to the alignment first", 1):
        _program(cases, fn, [(3, 1), (16, 16), (1, 1), (8, 8), (5, 64)])
    with cases.case("a request that ends exactly at the limit fits", 1):
        stack = _program(cases, fn, [(200, 8), (56, 8)])
        cases.expect(stack.sp == stack.limit, f"sp is {stack.sp:#x}; expected the limit {stack.limit:#x}")
    with cases.case("one byte past the limit raises StackOverflow and changes nothing", 1):
        stack = _program(cases, fn, [(200, 8)])
        _overflow(cases, stack, 57, 8, "56 bytes are left")
    with cases.case("the alignment padding counts too", 1):
        stack = _program(cases, fn, [(250, 1)])
        _overflow(cases, stack, 4, 16, "4 bytes fit after sp, but not after sp is rounded up to 16")
    return cases


def check_free(fns: dict) -> Cases:
    cases = Cases()
    fn = fns["stack_free"]
    with cases.case("freeing the top moves sp back", 1):
        stack = ExerciseStack(free=fn)
        a, b = stack.alloc(8, 8), stack.alloc(16, 8)
        stack.free(b)
        cases.expect(stack.sp == a + 8, f"after free({b:#x}) sp is {stack.sp:#x}; expected {a + 8:#x}, the end of a")
        stack.free(a)
        cases.expect(stack.sp == stack.base, f"after freeing both sp is {stack.sp:#x}; expected {stack.base:#x}")
        stack.check()
    with cases.case("the padding before the block goes back too", 1):
        stack = ExerciseStack(free=fn)
        stack.alloc(3, 1)
        b = stack.alloc(16, 16)
        stack.free(b)
        want = stack.base + 3
        cases.expect(
            stack.sp == want,
            f"after free({b:#x}) sp is {stack.sp:#x}; expected {want:#x}, where sp was before that alloc "
            "(stack.top().sp_before): the alignment padding below the block is given back with it",
        )
    with cases.case("freeing below the top raises OutOfOrderFree naming the top, and changes nothing", 1):
        stack = ExerciseStack(free=fn)
        a, b = stack.alloc(8, 8), stack.alloc(16, 8)
        sp = stack.sp
        _refused(
            cases,
            lambda: stack.free(a),
            OutOfOrderFree,
            "memlab.errors",
            lambda text: f"{b:#x}" in text,
            f"name the block on top, {b:#x}, the one to free first",
            lambda _: (
                f"free({a:#x}) returned silently, with {b:#x} on top (sp is now {stack.sp:#x}): a stack "
                "cannot free below its top, so raise OutOfOrderFree"
            ),
        )
        cases.expect(stack.sp == sp, f"after the refused free sp is {stack.sp:#x}; expected {sp:#x}, unchanged")
    return cases


def _frames(stack: ExerciseStack) -> list[int]:
    stack.push_frame("main")
    stack.alloc(3, 1)
    stack.push_frame("parse")
    stack.alloc(16, 16)
    stack.push_frame("next_token")
    stack.alloc(8, 8)
    return [f.address for f in reversed(stack.frames)]


def check_backtrace(fns: dict) -> Cases:
    cases = Cases()
    fn = fns["backtrace"]
    with cases.case("the frame records, innermost first", 1):
        stack = ExerciseStack()
        got = _listed(fn(stack))
        cases.expect(got == [], f"with no frame, backtrace returned {got!r}; expected [] (stack.fp is 0)")
        want = _frames(stack)
        got = _listed(fn(stack))
        cases.expect(
            got == want,
            f"with three frames backtrace returned {_hex(got)}; expected {_hex(want)}: start at stack.fp and "
            "follow the saved frame pointers until 0",
        )
    with cases.case("the walk reads the bytes: a smashed saved frame pointer ends it", 1):
        stack = ExerciseStack()
        inner, middle, _ = _frames(stack)
        stack.memory.write_word(middle, 0)  # a buffer overflow wrote zeros over parse's record
        got = _listed(fn(stack))
        cases.expect(
            got == [inner, middle],
            f"after the record at {middle:#x} was overwritten with 0, backtrace returned {_hex(got)}; expected "
            f"{_hex([inner, middle])}: a debugger knows only what the bytes say, so read each saved frame pointer "
            "with stack.memory.read_word",
        )
    return cases


def _listed(got: object) -> object:
    return list(got) if isinstance(got, (list, tuple)) else got


def _hex(addresses: object) -> object:
    if isinstance(addresses, list) and all(isinstance(a, int) for a in addresses):
        return [hex(a) for a in addresses]
    return addresses


def demo(stack_alloc, stack_free):
    """Allocations with alignments 1, 16 and 8, frees from the top, a refused free, a frame."""
    from ...events import Note
    from ...viz.stack import stack_with_bytes
    from ...widgets import Player

    stack = ExerciseStack(alloc=stack_alloc, free=stack_free, size=96)
    with stack.record() as rec:
        a = stack.alloc(3, 1)
        b = stack.alloc(16, 16)
        stack.memory.write(b, b"hello, stack!!!!")
        stack.free(b)
        b = stack.alloc(8, 8)
        try:
            stack.free(a)
        except OutOfOrderFree as e:
            stack._emit(Note(stack.step, f"refused: {e.message}"))
        with stack.frame("f"):
            stack.alloc(24, 8)
    recording = rec.recording

    def view(frame):
        previous = recording[frame.index - 1].snapshot if frame.index else None
        return stack_with_bytes(frame.snapshot, previous=previous, event=frame.event)

    return Player(recording, view, title="Your stack")


EXERCISE = Exercise(
    "01_stack_allocation",
    "Stack allocation: one pointer, last in, first out",
    (
        Question("stack_alloc", "allocating: align, check the limit, move sp", ("stack_alloc",), 5, check_alloc),
        Question("stack_free", "freeing the top, and only the top", ("stack_free",), 3, check_free),
        Question("backtrace", "walking the saved frame pointers", ("backtrace",), 2, check_backtrace),
    ),
)
