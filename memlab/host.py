"""The real computer under this Python, as opposed to the simulated one (``memory.py``, ``os.py``).

A few corners of the course reach past the simulation to the computer itself: glibc's own
``malloc`` called through ctypes (notebook 12, ``memlab replay --allocator glibc``), Valgrind to
record a real program (``memlab trace record``), a child process per graded question (``memlab
grade``), threads. The browser course (``memlab site build``) runs on Pyodide 314 (CPython 3.14
compiled to WebAssembly, in a web page), which has none of these: a thread cannot start
(``RuntimeError``), a child process cannot (``OSError``), and there is no C library to load.

:func:`missing` says why a need cannot be met here (None when it can), :func:`require` raises
:class:`~memlab.errors.NeedsMachine` with that reason, and :func:`can` is what a notebook cell
asks: True, or one printed line saying what is left out and why, so the notebook goes on.
Simplification: threads and child processes are judged by the platform (Emscripten and WASI
have neither), never by trying one.

One more difference of the browser is JupyterLite's, not Pyodide's: its kernel service (0.8)
drops every queued cell once a cell replies with an error, whatever the cell's
``raises-exception`` tag says, so "Run All" would stop at the first cell that raises on purpose
(notebook 01's out-of-order free, say). :func:`keep_going_past_expected_errors`, which
``import memlab`` calls in the browser only, has such a cell show its traceback as error text
and reply "ok", as ipykernel does for that tag. Cells without the tag stop "Run All" as before.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import shutil
import sys
import traceback

from .errors import BadRequest, NeedsMachine

NEEDS = {
    "threads": "threads",
    "subprocesses": "child processes",
    "valgrind": "Valgrind (a child process)",
    "glibc": "the C library (glibc)",
}
"""What a cell can need of the computer, and how a sentence names it."""

_LIBC: ctypes.CDLL | None = None


def in_browser() -> bool:
    """Whether this Python runs in a web page (Pyodide: Emscripten; or WASI): no threads, processes or C library."""
    return sys.platform in ("emscripten", "wasi")


def missing(need: str) -> str | None:
    """Why ``need`` (a key of :data:`NEEDS`) cannot be met here, or None if it can."""
    if need not in NEEDS:
        raise BadRequest(f"unknown need {need!r}; known: {', '.join(NEEDS)}")
    if in_browser():
        return f"{NEEDS[need]}: this Python runs in the browser (Pyodide), which has none"
    if need == "valgrind" and shutil.which("valgrind") is None:
        return "Valgrind is not installed here (e.g. apt-get install valgrind)"
    if need == "glibc":
        try:
            libc()
        except NeedsMachine as e:
            return str(e)
    return None


def require(need: str) -> None:
    """Raise :class:`~memlab.errors.NeedsMachine` unless ``need`` can be met here."""
    why = missing(need)
    if why is not None:
        raise NeedsMachine(why)


def can(need: str, leaving_out: str = "") -> bool:
    """True if ``need`` can be met here; else print one line saying so (and what is left out) and return False."""
    why = missing(need)
    if why is None:
        return True
    print(f"Needs the machine: {why}." + (f" Left out here: {leaving_out}." if leaving_out else ""))
    return False


def libc() -> ctypes.CDLL:
    """The C library this Python runs on, if it is glibc (it has ``mallinfo2`` or ``mallinfo``); loaded once."""
    global _LIBC
    if _LIBC is not None:
        return _LIBC
    if in_browser():
        raise NeedsMachine(missing("glibc"))
    if not sys.platform.startswith("linux"):
        raise NeedsMachine(f"glibc: not available on {sys.platform} (its malloc statistics come from glibc)")
    name = ctypes.util.find_library("c") or "libc.so.6"
    try:
        lib = ctypes.CDLL(name)
    except OSError as e:
        raise NeedsMachine(f"glibc: cannot load the C library {name!r}: {e}") from None
    if not (hasattr(lib, "mallinfo2") or hasattr(lib, "mallinfo")):
        raise NeedsMachine("glibc: this C library has no mallinfo2/mallinfo (it is not glibc)")
    _LIBC = lib
    return lib


EXPECTED = "raises-exception"
"""The cell tag that says a cell raises on purpose (nbval's and JupyterLab's)."""


def keep_going_past_expected_errors() -> bool:
    """In JupyterLite's Pyodide kernel, let "Run All" go on past cells tagged ``raises-exception``.

    Returns whether it could (False outside that kernel). See the module docstring.
    """
    kernel = getattr(sys.modules.get("pyodide_kernel"), "kernel_instance", None)
    shell = getattr(sys.modules.get("IPython"), "get_ipython", lambda: None)()
    if kernel is None or shell is None or getattr(shell, "_memlab_keeps_going", False):
        return kernel is not None and shell is not None
    recorded = shell._showtraceback  # the kernel's: it keeps the traceback for an "error" reply

    def show(etype, evalue, stb):
        if EXPECTED in _tags(kernel):
            print("\n".join(stb) if stb else "".join(traceback.format_exception_only(etype, evalue)), file=sys.stderr)
        else:
            recorded(etype, evalue, stb)

    shell._showtraceback = show
    shell._memlab_keeps_going = True
    return True


def _tags(kernel) -> list:
    """The tags of the cell being run: JupyterLab sends the cell's metadata with its execute request."""
    try:
        parent = kernel.get_parent()
        parent = parent.to_py() if hasattr(parent, "to_py") else parent
        tags = (parent.get("metadata") or {}).get("tags") or []
    except Exception:  # noqa: BLE001 - no parent yet, or an unexpected shape: no tags
        return []
    return list(tags)
