"""Evaluating the expressions of the ownership model: moves, copies, borrows, clones, Rc and RefCell.

Every expression is evaluated twice: once to *check* (it may raise, nothing changes) and once
to *commit*. That is how a refused statement leaves the program exactly as it was.
"""

from __future__ import annotations

from ..errors import BadRequest
from .ownership_borrows import Loan, check, kill, later_use
from .ownership_errors import BorrowError, BorrowMutError, Label, OwnershipError
from .ownership_exprs import Expr, path_keys
from .ownership_rc import Rc, RefCell, Weak
from .ownership_refs import Guard, Ref
from .ownership_values import Option, Value

REF_OPS = ("ref", "ref_mut", "borrow", "borrow_mut")


class Var:
    """A variable of the learner's program: its binding, value and history."""

    def __init__(self, name: str, index: int, depth: int, mutable: bool, declared: Label) -> None:
        self.name, self.index, self.depth, self.mutable = name, index, depth, mutable
        self.declared = declared
        self.value: Value | None = None
        self.state = "uninit"
        self.type = "_"
        self.init: Label | None = None
        self.moved: Label | None = None
        self.marks: list[tuple[int, str, str]] = []

    def __repr__(self) -> str:
        return f"Var({self.name}, {self.state})"


def relabel(label: Label, text: str) -> Label:
    return Label(label.step, label.rust, text, label.where)


class Evaluator:
    """The expression half of :class:`~memlab.reclaim.ownership.Ownership`."""

    lifetimes = "nll"
    loans: list[Loan]

    def lookup(self, name: str, now: Label) -> Var:
        raise NotImplementedError

    # -- reading a variable -------------------------------------------------------------------
    def readable(self, var: Var, now: Label, *, borrow: bool, pending: set | None = None) -> None:
        """E0381 (never initialised), E0382 (moved), and the later use of a killed reference."""
        q = f"`{var.name}`"
        if var.state == "uninit":
            raise OwnershipError(
                "E0381",
                f"used binding {q} isn't initialized",
                name=var.name,
                step=now.step,
                labels=(
                    relabel(var.declared, "binding declared here but left uninitialized"),
                    relabel(now, f"{q} used here but it isn't initialized"),
                ),
            )
        moved = var.moved if var.state == "moved" else (pending or {}).get(id(var))
        if moved is not None:
            what = "borrow" if borrow else "use"
            labels = [
                relabel(moved, "value moved here"),
                relabel(now, f"value {'borrowed' if borrow else 'used'} here after move"),
            ]
            if var.init is not None and var.init.step != moved.step:
                labels.append(
                    relabel(
                        var.init,
                        f"move occurs because {q} has type `{var.type}`, which does not implement the `Copy` trait",
                    )
                )
            raise OwnershipError(
                "E0382", f"{what} of moved value: {q}", name=var.name, labels=tuple(labels), step=now.step
            )
        loan = getattr(var.value, "loan", None)
        if loan is not None:
            later_use(loan, now)

    def conflict(self, var: Var, action: str, now: Label, commit: bool) -> None:
        hit = check(self.loans, var, action, now, self.lifetimes)
        if commit:
            kill(hit, action, now)

    # -- expressions --------------------------------------------------------------------------
    def evaluate(self, value, now: Label, commit: bool, pending: dict, top: bool = True):
        """Check (commit=False) or perform (commit=True) every expression inside ``value``."""
        if isinstance(value, Expr):
            if not top and value.op in REF_OPS:
                raise BadRequest(f"memlab keeps references in variables only: bind {value.rust()} with let")
            return self.expression(value, now, commit, pending)
        if value.built and not commit:
            raise BadRequest(f"this {value.type} value is already owned by a variable; make a new one")
        inner = [(i, p) for i, (_, p) in enumerate(value.parts)]
        if isinstance(value, Rc) and not value.box.built:
            got = self.evaluate(value.box.value, now, commit, pending, top=False)
            if commit:
                value.box.value = got
        for i, part in inner:
            got = self.evaluate(part, now, commit, pending, top=False)
            if commit:
                value.set_part(i, got)
        return value

    def expression(self, e: Expr, now: Label, commit: bool, pending: dict):
        var = self.lookup(e.name, now)
        keys = path_keys(e.path)[1:]
        if keys and e.op not in ("ref", "ref_mut"):
            raise BadRequest(f"{e.op} takes a whole variable, not the path {e.path!r}")
        if e.op in ("ref", "ref_mut"):
            return self.borrow(var, keys, e, now, commit, pending)
        self.readable(var, now, borrow=e.op != "move", pending=pending)
        value = var.value
        if e.op == "move":
            return self.move(var, now, commit, pending)
        if e.op in ("borrow", "borrow_mut"):
            return self.cell_borrow(var, e, now, commit)
        self.conflict(var, "share", now, commit)
        if e.op == "downgrade" and not isinstance(value, Rc):
            raise BadRequest(f"Rc::downgrade needs an Rc; `{var.name}` is a {value.type}")
        if e.op == "upgrade" and not isinstance(value, Weak):
            raise BadRequest(f"upgrade() needs a Weak; `{var.name}` is a {value.type}")
        if not commit:
            return None
        if e.op == "downgrade":
            value.box.weak += 1
            value.box.sync(self.heap)
            return Weak(value.box)
        if e.op == "upgrade":
            if not value.box.strong:
                return Option()
            value.box.strong += 1
            value.box.sync(self.heap)
            return Option(Rc(box=value.box))
        copy = value.fresh()
        if isinstance(value, (Rc, Weak)):
            value.box.sync(self.heap)
        return copy

    def move(self, var: Var, now: Label, commit: bool, pending: dict):
        value = var.value
        if value.copy:
            return value.fresh() if commit else None
        self.conflict(var, "move", now, commit)
        if not commit:
            pending[id(var)] = relabel(now, "value moved here")
            return None
        var.state, var.moved = "moved", relabel(now, "value moved here")
        var.value = None
        var.marks.append((now.step, "move_out", ""))
        loan = getattr(value, "loan", None)
        if loan is not None and var in loan.holders:
            loan.holders.remove(var)
        return value

    def borrow(self, var: Var, keys: list[str], e: Expr, now: Label, commit: bool, pending: dict):
        self.readable(var, now, borrow=True, pending=pending)
        if getattr(var.value, "loan", None) is not None:
            raise BadRequest(f"`{var.name}` is already a reference; use it directly")
        mutable = e.op == "ref_mut"
        if mutable and not var.mutable:
            raise OwnershipError(
                "E0596",
                f"cannot borrow `{var.name}` as mutable, as it is not declared as mutable",
                name=var.name,
                step=now.step,
                labels=(
                    relabel(var.declared, f"help: consider changing this to `let mut {var.name}`"),
                    relabel(now, "cannot borrow as mutable"),
                ),
            )
        target = var.value
        for key in keys:
            target = target.part(key)
        self.conflict(var, "mut" if mutable else "share", now, commit)
        if not commit:
            return None
        loan = Loan(len(self.loans), var, e.path, "&mut" if mutable else "&", relabel(now, ""))
        self.loans.append(loan)
        var.marks.append((now.step, "borrowed_mut" if mutable else "borrowed", ""))
        return Ref(loan, var, keys, mutable)

    def cell_of(self, var: Var) -> RefCell:
        value = var.value
        cell = value.box.value if isinstance(value, Rc) else value
        if not isinstance(cell, RefCell):
            raise BadRequest(f"`{var.name}` is a {value.type}, not a RefCell (or an Rc<RefCell<..>>)")
        return cell

    def cell_borrow(self, var: Var, e: Expr, now: Label, commit: bool):
        cell = self.cell_of(var)
        self.conflict(var, "share", now, commit)
        mutable = e.op == "borrow_mut"
        if mutable and cell.flag != 0:
            raise BorrowMutError("already borrowed: BorrowMutError", step=now.step, where=now.where, name=var.name)
        if not mutable and cell.flag < 0:
            raise BorrowError("already mutably borrowed: BorrowError", step=now.step, where=now.where, name=var.name)
        if not commit:
            return None
        cell.flag = -1 if mutable else cell.flag + 1
        cell.write(self.heap)
        loan = Loan(len(self.loans), var, var.name, f"{e.op}()", relabel(now, ""))
        self.loans.append(loan)
        var.marks.append((now.step, "borrowed", e.op))
        return Guard(cell, loan, mutable)


__all__ = ["REF_OPS", "Evaluator", "Guard", "Ref", "Var", "relabel"]
