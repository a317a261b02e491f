"""Exercise 17: a run-time borrow checker, Rust's ``RefCell`` (its borrow flag).

A ``RefCell`` keeps one word beside its value: 0 when nobody borrows it, ``n > 0`` while ``n``
``Ref`` guards read it, -1 while one ``RefMut`` writes it. The learner writes the three
transitions as functions of the flag: ``try_borrow(flag)`` and ``try_borrow_mut(flag)`` return
the new flag, or None where Rust panics ("RefCell already mutably borrowed" / "RefCell already borrowed");
``release(flag, mutable)`` is what dropping a guard does. :class:`ExerciseOwnership` is memlab's
:class:`~memlab.reclaim.ownership.Ownership` using them, so the guards, drops, panics and the
flag word in simulated memory are the real model's; each check runs a small Rust program both
ways and compares.
"""

from __future__ import annotations

from ...reclaim.ownership import Ownership, RefCell, borrow, borrow_mut
from ...reclaim.ownership.borrows import Loan
from ...reclaim.ownership.errors import BorrowError, BorrowMutError, RustPanic, relabel
from ...reclaim.ownership.refs import Guard
from ..questions import Cases, Exercise, Question


class ExerciseGuard(Guard):
    """A Ref / RefMut whose drop runs the learner's release."""

    def __init__(self, cell, loan, mutable: bool, release) -> None:
        super().__init__(cell, loan, mutable)
        self.release = release

    def drop(self, ctx, path: str) -> None:
        if self.release is None:
            return super().drop(ctx, path)
        old = self.cell.flag
        self.cell.flag = self.release(old, self.mutable)
        self.cell.write(ctx.heap)
        ctx.dropped(path, self, f"the RefCell's borrow flag goes {old} → {self.cell.flag}")


class ExerciseOwnership(Ownership):
    """The ownership model with the RefCell's flag transitions replaced by the learner's (those not
    given are memlab's own, which are Rust's)."""

    def __init__(self, *, try_borrow=None, try_borrow_mut=None, release=None) -> None:
        super().__init__()
        self.transitions = {"borrow": try_borrow, "borrow_mut": try_borrow_mut}
        self.release = release

    def cell_borrow(self, var, e, now, commit):
        if self.transitions[e.op] is None:
            guard = super().cell_borrow(var, e, now, commit)
            return guard if guard is None else ExerciseGuard(guard.cell, guard.loan, guard.mutable, self.release)
        cell = self.cell_of(var)
        self.conflict(var, "share", now, commit)
        mutable = e.op == "borrow_mut"
        new = self.transitions[e.op](cell.flag)
        if new is None:
            cls = BorrowMutError if mutable else BorrowError
            raise cls(step=now.step, where=now.where, name=var.name)
        if not commit:
            return None
        cell.flag = new
        cell.write(self.heap)
        loan = Loan(len(self.loans), var, var.name, f"{e.op}()", relabel(now, ""))
        self.loans.append(loan)
        var.marks.append((now.step, "borrowed", e.op))
        return ExerciseGuard(cell, loan, mutable, self.release)


# Programs: (name, statements); each statement is ("let", var, op) with op "borrow"/"borrow_mut", or ("drop", var).
PROGRAMS = {
    "two readers at once": [("let", "r1", "borrow"), ("let", "r2", "borrow")],
    "a writer keeps readers out": [("let", "w", "borrow_mut"), ("let", "r", "borrow")],
    "a reader keeps a writer out": [("let", "r", "borrow"), ("let", "w", "borrow_mut")],
    "two writers at once": [("let", "w1", "borrow_mut"), ("let", "w2", "borrow_mut")],
    "dropping the only reader ends the borrow": [("let", "r", "borrow"), ("drop", "r"), ("let", "w", "borrow_mut")],
    "one reader leaving does not end the other's borrow": [
        ("let", "r1", "borrow"),
        ("let", "r2", "borrow"),
        ("drop", "r1"),
        ("let", "w", "borrow_mut"),
    ],
    "dropping the writer lets readers in": [("let", "w", "borrow_mut"), ("drop", "w"), ("let", "r", "borrow")],
}


def rust(statement) -> str:
    if statement[0] == "drop":
        return f"drop({statement[1]});"
    return f"let {statement[1]} = c.{statement[2]}();"


def run(own: Ownership, program) -> tuple[list[int], str]:
    """The flag after each statement, and the panic that stopped the program ("" if none)."""
    flags: list[int] = []
    try:
        with own.scope() as s:
            s.let("c", RefCell(5))
            cell = next(v for v in own.vars if v.name == "c").value
            for statement in program:
                if statement[0] == "drop":
                    s.drop(statement[1])
                else:
                    s.let(statement[1], (borrow if statement[2] == "borrow" else borrow_mut)("c"))
                flags.append(cell.flag)
    except RustPanic as e:
        return flags, f"`{rust(program[len(flags)])}` panics: {e.message}"
    return flags, ""


def compare(cases: Cases, name: str, **fns) -> None:
    program = PROGRAMS[name]
    (want_flags, want_panic), (flags, panic) = run(ExerciseOwnership(), program), run(ExerciseOwnership(**fns), program)
    listing = " ".join(rust(st) for st in program)
    for st, want, got in zip(program, want_flags, flags):
        cases.expect(
            want == got, f"`let c = RefCell::new(5); {listing}`: after `{rust(st)}` the flag is {got}; Rust's is {want}"
        )
    if want_panic and not panic:
        cases.expect(False, f"`{listing}`: in Rust, {want_panic}; yours ran on")
    cases.expect(not panic or panic == want_panic, f"`{listing}`: yours: {panic}; in Rust: {want_panic or 'no panic'}")


def check_borrow(fns: dict) -> Cases:
    cases = Cases()
    for name in (
        "two readers at once",
        "a writer keeps readers out",
        "a reader keeps a writer out",
        "two writers at once",
    ):
        with cases.case(name, 1):
            compare(cases, name, try_borrow=fns["try_borrow"], try_borrow_mut=fns["try_borrow_mut"])
    return cases


def check_release(fns: dict) -> Cases:
    cases = Cases()
    for name in (
        "dropping the only reader ends the borrow",
        "one reader leaving does not end the other's borrow",
        "dropping the writer lets readers in",
    ):
        with cases.case(name, 1):
            compare(cases, name, release=fns["release"])
    return cases


def demo(try_borrow, try_borrow_mut, release):
    """Two readers, one leaves, a writer tries its luck: the timeline of the program, with its panic."""
    from ...viz.timeline import ownership_view
    from ...widgets import Player

    own = ExerciseOwnership(try_borrow=try_borrow, try_borrow_mut=try_borrow_mut, release=release)
    with own.record() as rec:
        run(own, PROGRAMS["one reader leaving does not end the other's borrow"])
    return Player(rec.recording, ownership_view, title="Your RefCell")


EXERCISE = Exercise(
    "17_ownership_and_borrowing",
    "A run-time borrow checker: RefCell",
    (
        Question("borrow", "try_borrow and try_borrow_mut", ("try_borrow", "try_borrow_mut"), 4, check_borrow),
        Question("release", "releasing a borrow", ("release",), 3, check_release),
    ),
)
