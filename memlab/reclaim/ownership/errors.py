"""Ownership errors worded like rustc's borrow checker, and RefCell's run-time panics.

rustc prints an error code, one line of message and labelled spans of the program::

    error[E0382]: borrow of moved value: `x`
      step 1 | let x = Box::new(5);   | move occurs because `x` has type `Box<i32>`, ...
      step 2 | let y = x;             | value moved here
      step 3 | println!("{:?}", x);   | value borrowed here after move

memlab prints the same labels against the steps of the learner's program (each step shows
the Rust statement it stands for and, when known, the notebook cell or file line that ran it).
The message texts follow rustc's (E0381, E0382, E0384, E0425, E0499, E0502, E0505, E0506, E0596,
E0597). ``RefCell`` panics read like Rust 1.90's: ``RefCell already borrowed`` when
``borrow_mut`` finds the cell borrowed, ``RefCell already mutably borrowed`` when ``borrow``
finds it mutably borrowed. Rust 1.89 and earlier printed ``already borrowed: BorrowMutError``
and ``already mutably borrowed: BorrowError`` (the texts changed with rust-lang/rust PR 142216),
and from Rust 1.91 on the panic's first line also names the OS thread id after the thread's name,
``thread 'main' (12345) panicked at``, which memlab leaves out: its programs have one thread.

Every error is raised before anything changes, so the program's state is as it was.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

from ...errors import MemlabError


def site() -> str:
    """``cell:4`` or ``prog.py:12``: the first caller outside memlab (empty if none)."""
    frame = sys._getframe(1)
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module != "memlab" and not module.startswith("memlab."):
            name = frame.f_code.co_filename
            cell = name.startswith("<") or "ipykernel_" in name or "ipython-input" in name
            return f"{'cell' if cell else os.path.basename(name)}:{frame.f_lineno}"
        frame = frame.f_back
    return ""


@dataclass(frozen=True, slots=True)
class Label:
    """One labelled step of an error: the statement and what the checker says about it."""

    step: int
    rust: str
    text: str
    where: str = ""

    @property
    def at(self) -> str:
        return f"step {self.step}" + (f" ({self.where})" if self.where else "")

    def line(self, at_width: int, width: int) -> str:
        return f"  {self.at:<{at_width}} | {self.rust:<{width}} | {self.text}"


class OwnershipError(MemlabError):
    """A borrow-checker error: ``code`` (``"E0382"``), the value's ``name`` and the ``labels``."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        name: str,
        labels: tuple[Label, ...] = (),
        step: int | None = None,
        note: str = "",
    ) -> None:
        self.code = code
        self.name = name
        self.labels = tuple(sorted(labels, key=lambda label: label.step))
        self.note = note
        super().__init__(message, step=step)

    def __str__(self) -> str:
        lines = [f"error[{self.code}]: {self.message}"]
        at = max((len(label.at) for label in self.labels), default=0)
        width = max((len(label.rust) for label in self.labels), default=0)
        lines += [label.line(at, width) for label in self.labels]
        if self.note:
            lines.append(f"  = note: {self.note}")
        return "\n".join(lines)


class RustPanic(MemlabError):
    """A run-time panic: the program stops; locals are dropped while it unwinds."""

    text = "explicit panic"
    """What Rust prints when the panic gives no message of its own."""

    def __init__(self, message: str | None = None, *, step: int | None = None, where: str = "", name: str = "") -> None:
        self.where = where
        self.name = name
        super().__init__(self.text if message is None else message, step=step)

    def __str__(self) -> str:
        at = f"step {self.step}" + (f" ({self.where})" if self.where else "")
        return f"thread 'main' panicked at {at}:\n{self.message}"


class BorrowError(RustPanic):
    """``RefCell::borrow`` while the cell is mutably borrowed."""

    text = "RefCell already mutably borrowed"


class BorrowMutError(RustPanic):
    """``RefCell::borrow_mut`` while the cell is borrowed (shared or mutably)."""

    text = "RefCell already borrowed"


def quoted(name: str) -> str:
    return f"`{name}`"


def relabel(label: Label, text: str) -> Label:
    """The same place in the program, with another label text."""
    return Label(label.step, label.rust, text, label.where)
