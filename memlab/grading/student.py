"""The learner's side of the grading boundary: the isolated process that runs one notebook's code.

``memlab grade`` starts this process for a submission (:mod:`.isolation` says how it is confined)
and talks to it over two pipes it owns: frames of a 4-byte length and a pickle go in (the grader
is trusted here), frames of a 4-byte length and JSON plain data come out (:mod:`.plain`). The
process never sees the submission's path: it gets the code cells' text.

1. It reads its orders, and confines itself before any of the learner's code runs: standard input
   becomes ``/dev/null``, every other inherited file is closed, then (by the isolation in use) it
   drops to a user of its own (and, without bubblewrap, first moves into an empty root directory
   with ``chroot`` after importing what it needs), forbids itself new privileges, sets its resource
   limits (:class:`~.limits.Limits`) and caps what Python prints.
2. It runs the notebook's definitions (:func:`~.notebook.define_cells`) and says which of the
   functions the exercise needs are defined.
3. Then, for each call: it unpickles the arguments (its own copy), calls the learner's function,
   and answers with the result or the exception and what changed in the arguments. It never keeps
   an object from one call to the next.
"""

from __future__ import annotations

import io
import os
import pickle
import struct
import sys

HEADER = struct.Struct(">I")

STDLIB = (
    "array",
    "bisect",
    "collections",
    "copy",
    "dataclasses",
    "decimal",
    "enum",
    "fractions",
    "functools",
    "heapq",
    "itertools",
    "math",
    "numbers",
    "operator",
    "pprint",
    "random",
    "re",
    "statistics",
    "string",
    "struct",
    "textwrap",
    "typing",
)
"""Standard modules imported before an empty root is entered (without bubblewrap nothing else can be)."""


def read_frame(fd: int, limit: int = 1 << 31) -> bytes | None:
    """One frame from ``fd``; None at the end of the pipe."""
    head = _read_exactly(fd, HEADER.size)
    if head is None:
        return None
    (size,) = HEADER.unpack(head)
    if size > limit:
        raise ValueError(f"a frame of {size} bytes")
    return _read_exactly(fd, size) if size else b""


def _read_exactly(fd: int, n: int) -> bytes | None:
    parts, got = [], 0
    while got < n:
        chunk = os.read(fd, min(n - got, 1 << 20))
        if not chunk:
            return None
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)


def write_frame(fd: int, data: bytes) -> None:
    view = memoryview(HEADER.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view) :]


class Placeholder:
    """What arrives of something the grader cannot send (a check's closure, a compiled fast path).

    Calling it says so. An attribute holding one that hides a method of the object's class is
    removed on arrival, so the class's own method serves (memlab's fast paths have readable twins).
    """

    __memlab_opaque__ = True

    def __init__(self, what: str) -> None:
        self.what = what

    def __call__(self, *args, **kwargs):
        raise RuntimeError(f"{self.what} stays with the grader: it cannot run in your code's process")

    def __repr__(self) -> str:
        return f"<{self.what}, left with the grader>"


def placeholder(what: str) -> Placeholder:
    return Placeholder(what)


def rebuild_function(code: bytes, globals_from: str | None, name: str, cells: int):
    """A function the grader sent by value (a check's lambda, a hidden test's helper): its code, its
    module's globals (or, filled in afterwards, the few globals it uses) and empty closure cells."""
    import builtins
    import importlib
    import marshal
    import types

    namespace = importlib.import_module(globals_from).__dict__ if globals_from else {"__builtins__": builtins}
    closure = tuple(types.CellType() for _ in range(cells)) or None
    return types.FunctionType(marshal.loads(code), namespace, name, None, closure)


def fill_function(fn, state: dict) -> None:
    """The rest of a function sent by value, set once the function exists (so it may refer to itself)."""
    for cell, value in zip(fn.__closure__ or (), state["cells"]):
        if value is not _EMPTY:
            cell.cell_contents = value
    if state["globals"]:
        fn.__globals__.update(state["globals"])
    fn.__defaults__, fn.__kwdefaults__ = state["defaults"], state["kwdefaults"]
    fn.__qualname__, fn.__module__ = state["qualname"], state["module"]
    fn.__dict__.update(state["dict"] or {})


class _Empty:
    """An empty closure cell's contents."""

    def __reduce__(self):
        return "_EMPTY"


_EMPTY = _Empty()


NAMESPACE: dict = {}
"""The learner's definitions, once they have run."""


def learner_function(name: str):
    """The learner's own function called ``name`` (how the grader's stand-ins arrive here)."""
    fn = NAMESPACE.get(name)
    return fn if callable(fn) else Placeholder(f"your function {name}()")


def main(argv: list[str]) -> None:
    fd_in, fd_out = int(argv[0]), int(argv[1])
    orders = pickle.loads(read_frame(fd_in) or b"")
    fd_in = _confine(orders, fd_in, fd_out)
    from .limits import CappedStream

    stream = CappedStream(orders["limits"].output)
    sys.stdout = sys.stderr = stream
    try:
        _serve(orders, fd_in, fd_out, stream)
    except BaseException:  # noqa: BLE001 - a fault of this side: say it on the real stderr for the grader
        import traceback

        os.write(2, traceback.format_exc().encode("utf-8", "replace")[-4000:])
        os._exit(70)


def _confine(orders: dict, fd_in: int, fd_out: int) -> int:
    """Everything before the learner's first line: files, root, user, privileges, limits."""
    import ctypes
    import ctypes.util

    from . import notebook, pages, plain  # noqa: F401 - imported while files can still be read
    from .limits import Limits

    devnull = os.open(os.devnull, os.O_RDWR)
    fd_in = os.dup(fd_in)
    os.dup2(devnull, 0)
    keep = sorted({0, 1, 2, fd_in, fd_out})
    for low, high in zip([k + 1 for k in keep], [*keep[1:], 65536]):
        os.closerange(max(low, 3), high)
    if orders["mode"] == "user":
        _preload()
        os.chroot(orders["scratch"])
        os.chdir("/")
    uid = orders.get("uid")
    if uid is not None:
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(38, 1, 0, 0, 0)  # PR_SET_NO_NEW_PRIVS
        if orders["mode"] in ("user", "weak"):
            libc.prctl(1, 9, 0, 0, 0)  # PR_SET_PDEATHSIG: SIGKILL when the grader goes
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass
    limits: Limits = orders["limits"]
    limits.apply(orders["cpu"], processes=orders.get("processes"))
    return fd_in


def _preload() -> None:
    """Import all of memlab and the usual standard modules while the files are still there."""
    import importlib
    import pkgutil

    import memlab

    for name in STDLIB:
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    for info in pkgutil.walk_packages(memlab.__path__, "memlab.", onerror=lambda name: None):
        if info.name.endswith("__main__"):
            continue
        try:
            importlib.import_module(info.name)
        except Exception:  # noqa: BLE001 - a view that needs a package this process has not
            pass


def _serve(orders: dict, fd_in: int, fd_out: int, stream) -> None:
    from . import pages
    from .limits import OutputLimit
    from .notebook import define_cells
    from .plain import dumps

    try:
        defs = define_cells(orders["cells"])
    except SystemExit as e:
        _finish(fd_out, {"id": 0, "stop": ["exit", _code(e)], "printed": stream.take()})
    except OutputLimit:
        _finish(fd_out, {"id": 0, "stop": ["output"], "printed": ""})
    except BaseException:  # noqa: BLE001 - KeyboardInterrupt and the like, raised by the learner
        _finish(fd_out, {"id": 0, "stop": ["interrupt"], "printed": stream.take()})
    NAMESPACE.update(defs.namespace)
    names = [n for n in orders["names"] if callable(NAMESPACE.get(n))]
    ready = {"id": 0, "ready": {"names": names, "notes": [str(n)[:1000] for n in defs.notes[:50]]}}
    write_frame(fd_out, dumps({**ready, "printed": stream.take()}))
    while True:
        frame = read_frame(fd_in)
        if frame is None:
            os._exit(0)
        request = pickle.loads(frame)
        stream.size = 0  # each call may print up to the limit; the grader caps each test
        message = _call(request, stream)
        message["printed"] = stream.take()
        write_frame(fd_out, dumps(message))
        pages.SENT.clear()
        if "stop" in message:
            os._exit(0)


def _finish(fd_out: int, message: dict) -> None:
    from .plain import dumps

    write_frame(fd_out, dumps(message))
    os._exit(0)


def _code(e: SystemExit) -> int:
    return e.code if type(e.code) is int else (0 if e.code is None else 1)


def _call(request: dict, stream) -> dict:
    """Run one call on a fresh copy of its arguments; the answer as a JSON-ready dict."""
    from . import pages
    from .limits import OutputLimit
    from .plain import Encoder, Snapshot, Unencodable, kind_of

    pages.SENT.clear()
    unpickler = pickle.Unpickler(io.BytesIO(request["args"]))
    args, kwargs = unpickler.load()
    memo = unpickler.memo.copy()
    table = [memo[i] for i in request["table"]]
    dropped: dict[int, set[str]] = {}
    for pos, obj in enumerate(table):
        if kind_of(obj) == "obj" and type(obj).__dictoffset__:
            for name, value in list(vars(obj).items()):
                if type(value) is Placeholder and hasattr(type(obj), name):
                    del vars(obj)[name]
                    dropped.setdefault(pos, set()).add(name)
    snapshot = Snapshot(table, dropped)
    fn = learner_function(request["name"])
    message: dict = {"id": request["id"]}
    raised = result = None
    try:
        result = fn(*args, **kwargs)
    except SystemExit as e:
        return {**message, "stop": ["exit", _code(e)]}
    except OutputLimit:
        return {**message, "stop": ["output"]}
    except Exception as e:  # noqa: BLE001 - the learner's exception, sent back as plain data
        raised = e
    except BaseException:  # noqa: BLE001 - KeyboardInterrupt, GeneratorExit, ... raised on purpose
        return {**message, "stop": ["interrupt"]}
    try:
        encoder = Encoder(snapshot, pages.SENT.changes)
        state = encoder.state()
        if raised is not None:
            message["raise"] = encoder.exception(raised)
        else:
            message["result"] = encoder.value(result, "the value your function returned")
        message["state"] = state + encoder.new_entries()
    except Unencodable as e:
        return {"id": request["id"], "bad": str(e)}
    except (RecursionError, MemoryError) as e:
        return {"id": request["id"], "bad": f"your function's answer is too large or too deep ({type(e).__name__})"}
    except Exception as e:  # noqa: BLE001 - state the learner's code wrecked (a closed memory, say)
        return {"id": request["id"], "bad": f"what your function left behind cannot be read ({type(e).__name__})"}
    return message


if __name__ == "__main__":  # pragma: no cover - started as python -c by the grader
    main(sys.argv[1:])
