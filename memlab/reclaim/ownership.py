"""Ownership and borrowing, Rust's way, checked while the program runs.

Follows Rust (The Rust Programming Language ch. 4 and 15; rustc's borrow checker): every value
has one owner; assigning or passing it *moves* it and the old name becomes unusable (E0382);
references borrow it, any number shared (``&x``) or one mutable (``&mut x``) at a time (E0499,
E0502); a borrowed value cannot be moved, assigned or dropped (E0505, E0506, E0597). At the end
of a scope its variables are dropped in reverse order of declaration, each value's parts in
declaration order. ``Box``, ``Rc``/``Weak`` and ``RefCell`` behave like the standard library's.

A program is written one statement per call; each call is a step and stands for one Rust line::

    own = Ownership(heap)                     # values live on a memlab allocator (optional)
    with own.scope() as s:                    # fn main() {
        s.let("x", Box(5))                    #     let x = Box::new(5);
        s.let("y", move("x"))                 #     let y = x;
        s.use("x")                            #     println!("{:?}", x);   -> E0382

The big simplification: rustc proves these rules at compile time and the compiled program does
no checking at all (only ``RefCell`` and ``Rc`` do work at run time). memlab checks them at run
time, so you can watch them. References live only in variables, and a borrow ends when its
variable is dropped or reassigned; see ``ownership_borrows`` for the two lifetime modes.
"""

from __future__ import annotations

from ..errors import BadRequest
from ..events import Event, Recorder
from .ownership_borrows import check, kill
from .ownership_errors import BorrowError, BorrowMutError, Label, OwnershipError, RustPanic, site
from .ownership_eval import Evaluator, Guard, Var, relabel
from .ownership_events import DropValue, FreeBlock, Line, Rejected, Stmt
from .ownership_exprs import Expr, borrow, borrow_mut, clone, downgrade, move, ref, ref_mut, upgrade
from .ownership_inspect import OwnershipInspection
from .ownership_rc import Rc, RefCell, Weak
from .ownership_scope import Scope
from .ownership_values import Box, Heap, Int, Option, Str, String, Struct, Value, Vec, wrap


class Ownership(OwnershipInspection, Evaluator):
    """A Rust program run one statement at a time; a recordable source of events."""

    recorder = None

    def __init__(self, heap=None, *, lifetimes: str = "nll") -> None:
        if lifetimes not in ("nll", "lexical"):
            raise BadRequest(f"lifetimes must be 'nll' or 'lexical', not {lifetimes!r}")
        self.allocator = heap
        self.heap = Heap(heap)
        self.lifetimes = lifetimes
        self.step = 0
        self.vars: list[Var] = []
        self.loans = []
        self.open: list[Scope] = []
        self.lines: list[Line] = []
        self.boxes: list = []

    def scope(self, name: str = "") -> Scope:
        """A block: ``with own.scope() as s:``; the first one is ``fn main()``."""
        return Scope(self, name)

    def record(self, *, snapshots: bool = True) -> Recorder:
        return Recorder(self, snapshots=snapshots)

    # -- events ---------------------------------------------------------------------------------
    def _emit(self, event: Event) -> None:
        if self.recorder is not None:
            self.recorder(event)

    def dropped(self, path: str, value: Value, note: str = "") -> None:
        if self.recorder is not None:
            self._emit(DropValue(self.step, path, value.type, note))

    def freed(self, path: str, value: Value, address: int | None, size: int, what: str) -> None:
        if self.recorder is not None:
            self._emit(FreeBlock(self.step, path, what, address, size))

    # -- running one statement --------------------------------------------------------------------
    def lookup(self, name: str, now: Label) -> Var:
        for scope in reversed(self.open):
            for var in reversed(scope.vars):
                if var.name == name:
                    return var
        raise OwnershipError(
            "E0425",
            f"cannot find value `{name}` in this scope",
            name=name,
            step=now.step,
            labels=(relabel(now, "not found in this scope"),),
        )

    def run(self, scope: Scope, op: str, rust: str, checks, commit, *, announce: bool = False, detail: str = ""):
        """One step: ``checks(now)`` may raise (nothing changed); ``commit(now)`` performs it.

        ``announce`` emits the statement before its effects (with ``detail``), not after them.
        """
        scope.require_innermost()
        self.step += 1
        now = Label(self.step, rust, "", site())
        try:
            checks(now)
        except (OwnershipError, RustPanic) as e:
            code = getattr(e, "code", "panic")
            self.lines.append(Line(now.step, scope.depth, rust, op, code))
            self._emit(Rejected(now.step, code, e.message))
            raise
        self.lines.append(Line(now.step, scope.depth, rust, op))
        if announce:
            self._emit(Stmt(now.step, op, rust, detail))
        result, detail = commit(now)
        if not announce:
            self._emit(Stmt(now.step, op, rust, detail))
        return result

    def text(self, value) -> str:
        if isinstance(value, Expr) and value.op == "clone":
            var = next((v for s in reversed(self.open) for v in reversed(s.vars) if v.name == value.name), None)
            if var is not None and isinstance(var.value, Rc):
                return f"Rc::clone(&{value.name})"
        if isinstance(value, (Expr, Value)):
            return value.rust()
        return wrap(value).rust()

    def bind(self, var: Var, value: Value, now: Label) -> None:
        """Give ``var`` its value: build its heap blocks, note the loan it holds."""
        value.build(self.heap)
        value.place(self.heap, None)
        self._note_boxes(value)
        var.value, var.state, var.type = value, "live", value.type
        var.init, var.moved = relabel(now, ""), None
        source = ""
        for other in self.vars:  # name the move for the timeline: `x` moved into `y`
            if other.marks and other.marks[-1][:2] == (now.step, "move_out") and not other.marks[-1][2]:
                other.marks[-1] = (now.step, "move_out", var.name)
                source = other.name
        var.marks.append((now.step, "init", source))
        loan = getattr(value, "loan", None)
        if loan is not None:
            loan.hold(var)

    def _note_boxes(self, value) -> None:
        if isinstance(value, (Rc, Weak)) and value.box not in self.boxes:
            self.boxes.append(value.box)
        inner = [value.box.value] if isinstance(value, Rc) else []
        for part in inner + [p for _, p in value.parts]:
            self._note_boxes(part)

    def drop_var(self, var: Var, now: Label, how: str, state: str) -> None:
        """Run the drop glue of ``var``'s value; its loan (if it holds one) ends. ``var`` is left in ``state``."""
        value = var.value
        var.value, var.state = None, state
        var.marks.append((now.step, how, ""))
        loan = getattr(value, "loan", None)
        if loan is not None:
            loan.release(var, now.step)
        if isinstance(value, Guard) or loan is None:
            value.drop(self, var.name)

    def outlives_check(self, holder: Var, value, now: Label) -> None:
        """Lexical lifetimes: a reference stored in an older variable would outlive its owner."""
        owner = self._owner_of(value, now)
        if self.lifetimes == "lexical" and owner is not None and holder.index < owner.index:
            q = f"`{owner.name}`"
            raise OwnershipError(
                "E0597",
                f"{q} does not live long enough",
                name=owner.name,
                step=now.step,
                labels=(relabel(now, "borrowed value does not live long enough"),),
                note=f"`{holder.name}` was declared before {q}, so it would outlive it",
            )

    def _owner_of(self, value, now: Label) -> Var | None:
        if isinstance(value, Expr) and value.op in ("ref", "ref_mut", "borrow", "borrow_mut"):
            return self.lookup(value.name, now)
        if isinstance(value, Expr) and value.op == "move":
            held = getattr(self.lookup(value.name, now).value, "loan", None)
            return held.owner if held is not None else None
        return None

    def end(self, scope: Scope) -> None:
        """``}``: drop the scope's variables in reverse order of declaration."""
        while self.open and self.open[-1] is not scope:
            self.end(self.open[-1])

        def commit(now):
            for var in reversed(scope.vars):
                if var.state == "live":
                    kill(check(self.loans, var, "drop", now, "nll"), "drop", now)
                    self.drop_var(var, now, "drop", "dropped")
                else:
                    var.marks.append((now.step, "out_of_scope", ""))
            self.open.pop()
            return None, ""

        live = [f"`{v.name}`" for v in reversed(scope.vars) if v.state == "live"]
        detail = f"end of the block: drop {', '.join(live)}" if live else "end of the block: nothing left to drop"
        self.run(scope, "end", "}", lambda now: None, commit, announce=True, detail=detail)


__all__ = [
    "Box",
    "BorrowError",
    "BorrowMutError",
    "Int",
    "Option",
    "Ownership",
    "OwnershipError",
    "Rc",
    "RefCell",
    "Scope",
    "Str",
    "String",
    "Struct",
    "Vec",
    "Weak",
    "borrow",
    "borrow_mut",
    "clone",
    "downgrade",
    "move",
    "ref",
    "ref_mut",
    "upgrade",
]
