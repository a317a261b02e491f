"""Loans (borrows) and the borrow checker's rules, applied at run time.

A *loan* is one borrow of a variable: shared (``&x``) or mutable (``&mut x``), held by the
variables that hold the reference. The rules rustc enforces are the ones here: any number of
shared loans or exactly one mutable loan; no move, assignment or drop of a borrowed variable.

Two ways to decide how long a loan lasts, as rustc had over time:

* ``"nll"`` (non-lexical lifetimes, rustc since 2018): a conflicting action is allowed, and it
  *kills* the loan. Only if the old reference is used afterwards is the program wrong: the
  error is raised at that later use and names all three steps (borrow, conflict, later use),
  exactly the three labels rustc prints.
* ``"lexical"`` (Rust 2015): a loan lasts until its holder goes out of scope, so the conflicting
  action itself is the error.

rustc decides all of this at compile time, with no cost when the program runs; memlab checks
at run time only to show the rules happening.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import Label, OwnershipError, quoted, relabel


@dataclass(eq=False)
class Loan:
    id: int
    owner: object  # the borrowed Binding
    path: str
    kind: str  # "&", "&mut", "borrow()", "borrow_mut()" (a RefCell guard holds a shared loan of the cell)
    label: Label
    holders: list = field(default_factory=list)
    ever: list = field(default_factory=list)
    state: str = "active"
    ended: int | None = None
    kill: tuple | None = None  # (code, message, labels, later-use text)
    killed: int | None = None

    @property
    def mutable(self) -> bool:
        return self.kind == "&mut"

    def hold(self, var) -> None:
        self.holders.append(var)
        if var not in self.ever:
            self.ever.append(var)

    def release(self, var, step: int) -> None:
        if var in self.holders:
            self.holders.remove(var)
        if not self.holders and self.ended is None:
            self.ended = step
            if self.state == "active":
                self.state = "ended"


# action -> (does it conflict with shared loans?, with mutable loans?)
CONFLICTS = {
    "share": (False, True),
    "mut": (True, True),
    "move": (True, True),
    "assign": (True, True),
    "drop": (True, True),
}


def conflicting(loans: list[Loan], var, action: str) -> list[Loan]:
    """The active loans of ``var`` that ``action`` breaks."""
    shared, mutable = CONFLICTS[action]
    return [
        ln
        for ln in loans
        if ln.owner is var and ln.state == "active" and ln.holders and (mutable if ln.mutable else shared)
    ]


def diagnosis(loan: Loan, action: str, now: Label) -> tuple[str, str, tuple[Label, ...], str]:
    """rustc's code, message and labels for ``action`` at ``now`` against ``loan``."""
    q = quoted(loan.owner.name)
    at = loan.label
    if action == "share":
        return (
            "E0502",
            f"cannot borrow {q} as immutable because it is also borrowed as mutable",
            (relabel(at, "mutable borrow occurs here"), relabel(now, "immutable borrow occurs here")),
            "mutable borrow later used here",
        )
    if action == "mut" and loan.mutable:
        return (
            "E0499",
            f"cannot borrow {q} as mutable more than once at a time",
            (relabel(at, "first mutable borrow occurs here"), relabel(now, "second mutable borrow occurs here")),
            "first borrow later used here",
        )
    if action == "mut":
        return (
            "E0502",
            f"cannot borrow {q} as mutable because it is also borrowed as immutable",
            (relabel(at, "immutable borrow occurs here"), relabel(now, "mutable borrow occurs here")),
            "immutable borrow later used here",
        )
    if action == "move":
        return (
            "E0505",
            f"cannot move out of {q} because it is borrowed",
            (relabel(at, f"borrow of {q} occurs here"), relabel(now, f"move out of {q} occurs here")),
            "borrow later used here",
        )
    if action == "assign":
        return (
            "E0506",
            f"cannot assign to {q} because it is borrowed",
            (
                relabel(at, f"{q} is borrowed here"),
                relabel(now, f"{q} is assigned to here but it was already borrowed"),
            ),
            "borrow later used here",
        )
    return (
        "E0597",
        f"{q} does not live long enough",
        (
            relabel(at, "borrowed value does not live long enough"),
            relabel(now, f"{q} dropped here while still borrowed"),
        ),
        "borrow later used here",
    )


def check(loans: list[Loan], var, action: str, now: Label, mode: str) -> list[Loan]:
    """Lexical mode: raise for the first conflict. NLL: return the loans the action will kill."""
    hit = conflicting(loans, var, action)
    if hit and mode == "lexical":
        code, message, labels, _ = diagnosis(hit[0], action, now)
        holder = hit[0].holders[0].name
        raise OwnershipError(
            code,
            message,
            name=var.name,
            labels=labels,
            step=now.step,
            note=f"with lexical lifetimes the borrow held by `{holder}` lasts to the end of its scope",
        )
    return hit


def kill(hit: list[Loan], action: str, now: Label) -> None:
    """NLL: the action happened; a later use of these loans is the error."""
    for loan in hit:
        loan.kill = diagnosis(loan, action, now)
        loan.killed = now.step
        loan.state = "killed"


def later_use(loan: Loan, now: Label) -> None:
    """Raise the error of a killed loan at its later use."""
    if loan.kill is None:
        return
    code, message, labels, later = loan.kill
    raise OwnershipError(code, message, name=loan.owner.name, labels=labels + (relabel(now, later),), step=now.step)
