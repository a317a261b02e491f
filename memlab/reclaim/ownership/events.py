"""Events and snapshots of the ownership model, for tests and for the timeline view.

Each statement of the learner's program is one step and one :class:`Stmt` event, which carries
the Rust line the step stands for. Drop glue adds :class:`DropValue` and :class:`FreeBlock`
events in the order Rust runs it; an error adds a :class:`Rejected` event (nothing else changes).
A snapshot holds the whole history so far: every variable with its marks (initialised, moved,
dropped), every loan (borrow) with where it began and ended, and the program's lines.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...events import Event


@dataclass(frozen=True, slots=True)
class Stmt(Event):
    """One statement ran: ``op`` is let, assign, use, push, store, drop, scope or end."""

    op: str
    rust: str
    detail: str = ""

    @property
    def kind(self) -> str:
        return self.op

    def describe(self) -> str:
        return f"{self.rust}   ({self.detail})" if self.detail else self.rust


@dataclass(frozen=True, slots=True)
class DropValue(Event):
    path: str
    type: str
    note: str = ""

    def describe(self) -> str:
        note = f": {self.note}" if self.note else ""
        return f"drop `{self.path}` ({self.type}){note}"


@dataclass(frozen=True, slots=True)
class FreeBlock(Event):
    path: str
    what: str
    address: int | None
    size: int

    def describe(self) -> str:
        where = f" at {self.address:#x}" if self.address is not None else ""
        return f"free the {self.size}-byte {self.what} of `{self.path}`{where}"


@dataclass(frozen=True, slots=True)
class Rejected(Event):
    """The checker refused a statement (``code`` E0xxx), or the program panicked."""

    code: str
    message: str

    def describe(self) -> str:
        return f"error[{self.code}]: {self.message}" if self.code != "panic" else f"panic: {self.message}"


@dataclass(frozen=True, slots=True)
class Mark:
    """Something that happened to a variable: init, move_out, drop, use, borrowed, ..."""

    step: int
    kind: str
    other: str = ""


@dataclass(frozen=True, slots=True)
class VarInfo:
    index: int
    name: str
    depth: int
    mutable: bool
    type: str
    state: str  # uninit, live, moved, dropped
    value: str
    declared: int
    marks: tuple[Mark, ...]


@dataclass(frozen=True, slots=True)
class LoanInfo:
    id: int
    owner: int  # VarInfo.index of the borrowed variable
    path: str
    kind: str  # "&", "&mut", "borrow()", "borrow_mut()"
    holders: tuple[int, ...]  # every variable that ever held it
    step: int
    state: str  # active, killed, ended
    ended: int | None = None
    killed: int | None = None
    code: str = ""


@dataclass(frozen=True, slots=True)
class RustLine:
    step: int
    depth: int
    rust: str
    op: str
    error: str = ""


@dataclass(frozen=True, slots=True)
class OwnershipSnapshot:
    step: int
    lines: tuple[RustLine, ...]
    vars: tuple[VarInfo, ...]
    loans: tuple[LoanInfo, ...]
    heap: object = None  # the allocator's HeapSnapshot, when values live on one
    counts: tuple[tuple[str, int, int], ...] = ()  # (rc variable, strong, weak) for live Rc/Weak

    def var(self, name: str) -> VarInfo:
        """The most recent variable with this name."""
        for v in reversed(self.vars):
            if v.name == name:
                return v
        raise KeyError(f"no variable `{name}` in this snapshot")

    def state(self) -> tuple:
        """Everything but the history of lines: what must not change when a statement is refused."""
        return self.vars, self.loans, self.heap, self.counts
