"""Call sites: where in the learner's program an operation happened.

ASan and Valgrind print a stack trace for every allocation and free; Zig's DebugAllocator keeps
one per allocation too. memlab keeps one frame, the first caller outside the memlab package,
as ``function (file:line)``. Code typed into a notebook cell shows as ``cell`` instead of the
kernel's temporary file name, so reports stay the same from run to run.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Site:
    """One frame of the learner's program."""

    filename: str
    line: int
    function: str

    @property
    def file(self) -> str:
        """The file's base name, or ``cell`` for code run in a notebook cell."""
        name = self.filename
        if name.startswith("<") or "ipykernel_" in name or "ipython-input" in name:
            return "cell"
        return os.path.basename(name)

    def __str__(self) -> str:
        return f"{self.function} ({self.file}:{self.line})"


def _outside(name: str) -> bool:
    return name != "memlab" and not name.startswith("memlab.")


def capture() -> Site | None:
    """The first frame on the call stack whose module is not part of memlab."""
    frame = sys._getframe(1)
    while frame is not None:
        if _outside(frame.f_globals.get("__name__", "")):
            return Site(frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name)
        frame = frame.f_back
    return None


def at(step: int | None, site: Site | None) -> str:
    """``step 3 in main (prog.py:12)``: a step and, when known, its site."""
    text = "step ?" if step is None else f"step {step}"
    return f"{text} in {site}" if site is not None else text
