"""The grader's side of the trust boundary: stand-ins for the learner's functions.

A check is written as if it called the learner's code directly (``fns["coalesce"](heap, bp)``),
and in a learner's notebook it does. In ``memlab grade`` each ``fns[name]`` is a
:class:`LearnerProxy`: calling it pickles the arguments (every object they reach: a heap, its
simulated memory as the pages in use, its lists) and sends them to the learner's isolated process
(:mod:`.student`, confined by :mod:`.isolation`), which runs the learner's function on its own
copy. The answer comes back as plain data (:mod:`.plain`); it is checked completely, then the new
state is written into the grader's own objects, and the check goes on and judges them. So a heap
that memlab's code built in the grader is changed only the way the learner's function changed
its copy, and a callback from inside an allocator (``ExerciseBuddy`` calling the learner's
``split`` in ``_alloc``) goes through the same stand-in.

A :class:`Session` is one learner's process for one submission. Its tests (a question, a hidden
test) each get a wall-clock budget (:meth:`Session.test`). A call that runs past it, a process
that crashes or exits, an answer that is not plain data: each costs the case it happened in
(:class:`~.questions.Stopped`), the process is ended, and a fresh one (the definitions run again)
serves the next case, a few times at most. Definitions that cannot even start cost every test.
"""

from __future__ import annotations

import importlib
import io
import json
import marshal
import mmap
import pickle
import sys
import time
import types
from contextlib import contextmanager
from dataclasses import dataclass, field
from operator import itemgetter

from . import pages, plain, student
from .isolation import Child, Ended, Isolation, TimedOut
from .limits import Limits
from .questions import Stopped

STARTUP = 60.0
"""Seconds a learner's process may take to start, beyond its definitions' own time."""
MAX_RESTARTS = 4
"""Fresh processes a submission may need after its process ended (each costs a start-up)."""
KEPT_PRINTED = 2000
"""Characters of what the learner's code printed that the feedback shows."""


class LearnerProxy:
    """Stands in, in the grader, for the learner's function ``name``: calling it calls the real one
    in the learner's process, on a copy of the arguments, and brings back what it did."""

    __memlab_opaque__ = True

    def __init__(self, session: Session, name: str) -> None:
        self._session, self.name = session, name

    def __call__(self, *args, **kwargs):
        return self._session.call(self.name, args, kwargs)

    def __repr__(self) -> str:
        return f"<your function {self.name}>"

    def __reduce__(self):
        raise TypeError("a stand-in for the learner's function crosses only to the learner's process")


@dataclass
class TestRun:
    """One test's budget and what the learner's code printed during it."""

    __test__ = False  # not a pytest class

    seconds: float
    output: int
    deadline: float = 0.0
    spent: str = ""
    printed: str = ""
    size: int = 0

    def add_printed(self, text: str) -> None:
        self.size += len(text)
        if len(self.printed) < KEPT_PRINTED:
            self.printed += text[: KEPT_PRINTED - len(self.printed)]
        if self.size > self.output:
            self.spent = f"stopped: your code printed more than {self.output // 1024} KiB"
            raise Stopped(self.spent)


@dataclass
class Session:
    """One learner's process for one submission: start it, run tests, end it."""

    code: list[tuple[int, str]]
    names: list[str]
    limits: Limits
    isolation: Isolation
    user: int | None = None
    cpu_seconds: float = 600.0
    child: Child | None = None
    defined: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    broken: str = ""
    restarts: int = 0
    calls: int = 0
    run: TestRun | None = None
    printed_at_start: str = ""

    # -- the process
    def open(self) -> None:
        """Start the learner's process and run the definitions; ``broken`` says why if they cannot."""
        if not self.broken and self.child is None:
            self._start(first=True)

    def _start(self, first: bool = False) -> float:
        began = time.monotonic()
        self.child = Child(self.isolation, self.user, self.limits, self.cpu_seconds)
        orders = {**self.child.orders, "cells": self.code, "names": self.names}
        deadline = began + STARTUP + self.limits.seconds
        try:
            self.child.send(pickle.dumps(orders), deadline)
            ready = self._ready(self.child.receive(deadline, plain.MAX_STR * 4))
        except TimedOut:
            self._fail(
                f"your notebook's definitions did not finish within {self.limits.seconds:g} s "
                "(a loop in a class body, a default argument or a constant?)"
            )
        except (Ended, plain.BadAnswer) as e:
            self._fail(f"your notebook's definitions could not run: {e}")
        if isinstance(ready[0], str):  # a stop reason, not the names
            self._fail(f"while your notebook's definitions ran, {self._stop_text(ready)}")
        if first:
            self.defined, self.notes, printed = ready
            self.printed_at_start = printed
        return time.monotonic() - began

    def _fail(self, reason: str):
        self.broken = reason
        self.end()
        raise Stopped(reason)

    def _ready(self, frame: bytes):
        """The first answer: the defined names, notes and printed text, or a stop; strictly read."""
        try:
            message = json.loads(frame.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise plain.BadAnswer("a first answer that is not JSON") from None
        if type(message) is not dict or message.get("id") != 0 or type(message.get("printed", "")) is not str:
            raise plain.BadAnswer("a first answer of the wrong shape")
        if "stop" in message:
            return plain._Reader._stop(message["stop"])
        ready = message.get("ready")
        if type(ready) is not dict or set(ready) != {"names", "notes"}:
            raise plain.BadAnswer("a first answer of the wrong shape")
        names, notes = ready["names"], ready["notes"]
        if type(names) is not list or any(type(n) is not str or n not in self.names for n in names):
            raise plain.BadAnswer("names the exercise does not ask for")
        if type(notes) is not list or len(notes) > 50 or any(type(n) is not str for n in notes):
            raise plain.BadAnswer("notes that are not text")
        return names, [n[:1000] for n in notes], message.get("printed", "")[:KEPT_PRINTED]

    def end(self) -> None:
        """End the learner's process and everything it started."""
        if self.child is not None:
            self.child.end()
            self.child = None

    close = end

    # -- tests
    def namespace(self) -> dict:
        """Stand-ins for the learner's functions that are defined (missing ones stay missing)."""
        return {name: LearnerProxy(self, name) for name in self.defined}

    @contextmanager
    def test(self, seconds: float | None = None):
        """One test's budget: the wall-clock seconds its calls may take, and its printed text."""
        run = TestRun(seconds or self.limits.seconds, self.limits.output)
        run.deadline = time.monotonic() + run.seconds
        self.run = run
        try:
            yield run
        finally:
            self.run = None

    def call(self, name: str, args: tuple, kwargs: dict):
        """Run the learner's ``name`` on a copy of the arguments; bring its changes and result back."""
        run = self.run
        if run is None:
            raise RuntimeError("the learner's code is called only inside a test")
        if self.broken:
            raise Stopped(self.broken)
        if run.spent:
            raise Stopped(f"not run: {run.spent}")
        if self.child is None:
            if self.restarts >= MAX_RESTARTS:
                raise Stopped(f"not run: your code ended its process {self.restarts + 1} times")
            self.restarts += 1
            run.deadline += self._start()
        self.calls += 1
        try:
            payload, objects, positions = pack(args, kwargs)
        except Exception as e:  # noqa: BLE001 - something the grader cannot send: its fault, not the learner's
            raise Stopped(f"the grader could not send this case's objects to your code ({type(e).__name__})") from None
        request = pickle.dumps({"id": self.calls, "name": name, "table": positions, "args": payload})
        try:
            self.child.send(request, run.deadline)
            frame = self.child.receive(run.deadline, plain.MAX_FRAME)
        except TimedOut:
            self.end()
            run.spent = f"stopped after {run.seconds:g} s: your code never finished (an endless loop?)"
            raise Stopped(run.spent) from None
        except Ended as e:
            self.end()
            raise Stopped(str(e)) from None
        except BaseException:  # the grader's own alarm, for one: the process is mid-call, so it goes
            self.end()
            raise
        if self.child.flood:  # it flooded its output on the way to this answer: the answer does not count
            reason = self.child.reason()
            self.end()
            raise Stopped(reason)
        try:
            answer = plain.decode(frame, objects, self.calls)
        except plain.BadAnswer as e:
            self.end()
            raise Stopped(f"your code's process answered with something that is not plain data ({e})") from None
        if answer.stop:
            self.end()  # it ends itself after saying why; make sure of it before anything can raise
        run.add_printed(answer.printed)
        if answer.stop:
            raise Stopped(self._stop_text(answer.stop))
        if answer.bad is not None:
            raise Stopped(f"your function's answer cannot be graded: {answer.bad}")
        try:
            answer.apply()
        except Exception as e:  # noqa: BLE001 - nothing should fail here; if it does, this case fails
            raise Stopped(f"the grader could not take what your code changed ({type(e).__name__})") from None
        if answer.raised is not None:
            raise answer.raised
        return answer.result

    def _stop_text(self, stop: tuple) -> str:
        if stop[0] == "exit":
            return f"your code ended the grader's process (exit status {stop[1]})"
        if stop[0] == "output":
            return f"stopped: your code printed more than {self.limits.output // 1024} KiB"
        return "stopped: your code interrupted itself (KeyboardInterrupt, GeneratorExit or the like)"


# -- what crosses to the learner's process --------------------------------------------------------

_FINE: set[type] = set()


class _Pickler(pickle.Pickler):
    """Pickles a call's arguments for the learner's process: simulated memory as its pages in use,
    the stand-ins as the learner's own functions, and what cannot travel as a placeholder."""

    def reducer_override(self, obj):
        t = type(obj)
        if t in _FINE:
            return NotImplemented
        if t is LearnerProxy:
            return (student.learner_function, (obj.name,))
        if t is mmap.mmap:
            return (pages.rebuild, (len(obj), pages.used(obj)))
        if t is memoryview:
            if isinstance(obj.obj, mmap.mmap) and obj.ndim == 1 and obj.nbytes == len(obj.obj):
                return (pages.view, (obj.obj, obj.format))
            return _held("a memoryview")
        if t is types.FunctionType:
            return NotImplemented if _findable(obj) else _by_value(obj)
        if t is type:
            return NotImplemented if _findable(obj) else _held(f"{obj.__qualname__}")
        if t is types.ModuleType:
            return (
                (importlib.import_module, (obj.__name__,))
                if sys.modules.get(obj.__name__) is obj
                else _held("a module")
            )
        if isinstance(obj, (types.BuiltinMethodType, types.MethodWrapperType)):
            owner = getattr(obj, "__self__", None)
            if owner is None or isinstance(owner, (types.ModuleType, type)) or _reducible(owner):
                return NotImplemented
            return _held(f"{type(owner).__name__}.{obj.__name__}")
        if t.__flags__ & (1 << 9) and not _findable(t):  # an object of a class made on the fly
            return _held(f"a {t.__name__} object")
        if not _reducible(obj):
            return _held(f"a {t.__name__} object")
        if t.__module__.startswith("memlab.") and t.__reduce_ex__ is object.__reduce_ex__:
            _FINE.add(t)
        return NotImplemented


def _held(what: str):
    return (student.placeholder, (what,))


def _by_value(fn: types.FunctionType):
    """A function that cannot be found by name (a check's lambda): its code, sent by value, with its
    closure and the globals it uses, so that what it changes (a list it appends to) comes back."""
    module = sys.modules.get(fn.__globals__.get("__name__") or "")
    own = module is not None and module.__dict__ is fn.__globals__
    names = _global_names(fn.__code__)
    state = {
        "cells": [_contents(cell) for cell in fn.__closure__ or ()],
        "globals": None if own else {n: fn.__globals__[n] for n in names if n in fn.__globals__},
        "defaults": fn.__defaults__,
        "kwdefaults": fn.__kwdefaults__,
        "qualname": fn.__qualname__,
        "module": fn.__module__,
        "dict": fn.__dict__ or None,
    }
    args = (marshal.dumps(fn.__code__), module.__name__ if own else None, fn.__name__, len(fn.__closure__ or ()))
    return (student.rebuild_function, args, state, None, None, student.fill_function)


def _contents(cell):
    try:
        return cell.cell_contents
    except ValueError:
        return student._EMPTY


def _global_names(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _global_names(const)
    return names


def _findable(obj) -> bool:
    module = sys.modules.get(getattr(obj, "__module__", None) or "")
    found: object = module
    for part in getattr(obj, "__qualname__", "<?>").split("."):
        if part == "<locals>" or found is None:
            return False
        found = getattr(found, part, None)
    return found is obj


def _reducible(obj) -> bool:
    try:
        obj.__reduce_ex__(5)
    except Exception:  # noqa: BLE001 - whatever cannot be pickled stays behind
        return False
    return True


def pack(args: tuple, kwargs: dict) -> tuple[bytes, list, list[int]]:
    """The pickled (args, kwargs), the objects with state they reach, and those objects' pickle memo numbers."""
    buffer = io.BytesIO()
    pickler = _Pickler(buffer, protocol=5)
    pickler.dump((args, kwargs))
    found = sorted(pickler.memo.copy().values(), key=itemgetter(0))
    kinds = [plain.kind_of(obj) for _, obj in found]
    state_dicts = {
        id(obj.__dict__) for (_, obj), kind in zip(found, kinds) if kind == "obj" and type(obj).__dictoffset__
    }
    objects, positions = [], []
    for (number, obj), kind in zip(found, kinds):
        if kind is not None and id(obj) not in state_dicts:
            objects.append(obj)
            positions.append(number)
    return buffer.getvalue(), objects, positions
