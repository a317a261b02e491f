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

from collections import Counter

from ...errors import BadRequest
from ...events import Event, Recorder
from .borrows import Loan, check, kill, later_use
from .errors import BorrowError, BorrowMutError, Label, OwnershipError, RustPanic, relabel, site
from .events import DropValue, FreeBlock, LoanInfo, Mark, OwnershipSnapshot, Rejected, RustLine, Stmt, VarInfo
from .exprs import Expr, path_keys
from .rc import Rc, RefCell, Weak
from .refs import Guard, Ref
from .scope import Binding, Scope, short
from .values import Option, Value, ValueHeap, Vec, same_type, type_of, wrap

# -- Evaluating the expressions of the ownership model: moves, copies, borrows, clones, Rc and RefCell.
#
# Every expression is evaluated twice: once to *check* (it may raise, nothing changes) and once
# to *commit*. That is how a refused statement leaves the program exactly as it was.

REF_OPS = ("ref", "ref_mut", "borrow", "borrow_mut")


class Ownership:
    """A Rust program run one statement at a time; a recordable source of events."""

    recorder = None

    def __init__(self, heap=None, *, lifetimes: str = "nll") -> None:
        if lifetimes not in ("nll", "lexical"):
            raise BadRequest(f"lifetimes must be 'nll' or 'lexical', not {lifetimes!r}")
        self.allocator = heap
        self.heap = ValueHeap(heap)
        self.lifetimes = lifetimes
        self.step = 0
        self.vars: list[Binding] = []
        self.loans = []
        self.open: list[Scope] = []
        self.lines: list[RustLine] = []
        self.boxes: list = []
        self.counters: Counter[str] = Counter()
        """Writes to reference counts, as the refcount heap counts them: ``strong_increments``
        (``Rc::clone``, ``upgrade``), ``strong_decrements`` (an ``Rc`` dropped), ``weak_increments``
        (``Rc::downgrade``, cloning a ``Weak``) and ``weak_decrements`` (a ``Weak`` dropped)."""

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
    def lookup(self, name: str, now: Label) -> Binding:
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
            self.lines.append(RustLine(now.step, scope.depth, rust, op, code))
            self._emit(Rejected(now.step, code, e.message))
            raise
        self.lines.append(RustLine(now.step, scope.depth, rust, op))
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

    def bind(self, var: Binding, value: Value, now: Label) -> None:
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

    def drop_var(self, var: Binding, now: Label, how: str, state: str) -> None:
        """Run the drop glue of ``var``'s value; its loan (if it holds one) ends. ``var`` is left in ``state``."""
        value = var.value
        var.value, var.state = None, state
        var.marks.append((now.step, how, ""))
        loan = getattr(value, "loan", None)
        if loan is not None:
            loan.release(var, now.step)
        if isinstance(value, Guard) or loan is None:
            value.drop(self, var.name)

    def outlives_check(self, holder: Binding, value, now: Label) -> None:
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

    def _owner_of(self, value, now: Label) -> Binding | None:
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

    # -- evaluating expressions: moves, copies, borrows, clones, Rc and RefCell ----------------

    # -- reading a variable -------------------------------------------------------------------
    def readable(self, var: Binding, now: Label, *, borrow: bool, pending: set | None = None) -> None:
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

    def conflict(self, var: Binding, action: str, now: Label, commit: bool) -> None:
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
        if isinstance(value, Vec) and not commit:
            for _, part in value.parts[1:]:
                self.same_element_type(value.parts[0][1], part, now, "`vec![..]` holds elements of one type")
        return value

    # -- types: a Vec holds elements of one type (rustc's E0308) --------------------------------
    def resolve(self, value, now: Label):
        """The value an expression stands for, before it runs (None: rustc would infer it)."""
        if isinstance(value, Value):
            return value
        if isinstance(value, Expr) and value.op in ("move", "clone"):
            return self.lookup(value.name, now).value
        return None

    def same_element_type(self, first, other, now: Label, why: str) -> None:
        """E0308, before anything changes, if ``other`` is not of ``first``'s type."""
        resolve = lambda v: self.resolve(v, now)  # noqa: E731
        if same_type(first, other, resolve):
            return
        expected, found = type_of(resolve(first)), type_of(resolve(other))
        raise OwnershipError(
            "E0308",
            "mismatched types",
            name=found,
            step=now.step,
            labels=(relabel(now, f"expected `{expected}`, found `{found}`"),),
            note=f"{why}: here `{expected}`",
        )

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
            self.counters["weak_increments"] += 1
            value.box.sync(self.heap)
            return Weak(value.box)
        if e.op == "upgrade":
            if not value.box.strong:
                return Option()
            value.box.strong += 1
            self.counters["strong_increments"] += 1
            value.box.sync(self.heap)
            return Option(Rc(box=value.box))
        copy = value.fresh()
        if isinstance(value, (Rc, Weak)):
            self.counters["strong_increments" if isinstance(value, Rc) else "weak_increments"] += 1
            value.box.sync(self.heap)
        return copy

    def move(self, var: Binding, now: Label, commit: bool, pending: dict):
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

    def borrow(self, var: Binding, keys: list[str], e: Expr, now: Label, commit: bool, pending: dict):
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

    def cell_of(self, var: Binding) -> RefCell:
        value = var.value
        cell = value.box.value if isinstance(value, Rc) else value
        if not isinstance(cell, RefCell):
            raise BadRequest(f"`{var.name}` is a {value.type}, not a RefCell (or an Rc<RefCell<..>>)")
        return cell

    def cell_borrow(self, var: Binding, e: Expr, now: Label, commit: bool):
        cell = self.cell_of(var)
        self.conflict(var, "share", now, commit)
        mutable = e.op == "borrow_mut"
        if mutable and cell.flag != 0:
            raise BorrowMutError(step=now.step, where=now.where, name=var.name)
        if not mutable and cell.flag < 0:
            raise BorrowError(step=now.step, where=now.where, name=var.name)
        if not commit:
            return None
        cell.flag = -1 if mutable else cell.flag + 1
        cell.write(self.heap)
        loan = Loan(len(self.loans), var, var.name, f"{e.op}()", relabel(now, ""))
        self.loans.append(loan)
        var.marks.append((now.step, "borrowed", e.op))
        return Guard(cell, loan, mutable)

    # -- reading the program: snapshot and leaks -----------------------------------------------
    # Reading a running Rust program: the snapshot the ownership views draw, and what leaked.
    #
    # The snapshot lists the lines run so far, every variable with its type, state and value, every
    # loan (who borrows what, shared or mutable, from which line until which), the strong and weak
    # counts of live ``Rc`` and ``Weak`` values, and the allocator's heap when values live on one. A
    # leak here is what Rust also leaks: an ``RcBox`` whose strong count never reached zero, as in a
    # cycle of ``Rc`` (the Rust book, ch. 15.6).

    def snapshot(self) -> OwnershipSnapshot:
        depth = {id(v): v.depth for v in self.vars}
        vars_ = tuple(
            VarInfo(
                v.index,
                v.name,
                depth[id(v)],
                v.mutable,
                v.type,
                v.state,
                "" if v.value is None else short(v.value.show()),
                v.declared.step,
                tuple(Mark(*m) for m in v.marks),
            )
            for v in self.vars
        )
        loans = tuple(
            LoanInfo(
                ln.id,
                ln.owner.index,
                ln.path,
                ln.kind,
                tuple(h.index for h in ln.ever),
                ln.label.step,
                ln.state,
                ln.ended,
                ln.killed,
                ln.kill[0] if ln.kill else "",
            )
            for ln in self.loans
        )
        counts = tuple(
            (v.name, v.value.box.strong, v.value.box.weak_count())
            for v in self.vars
            if v.state == "live" and isinstance(v.value, (Rc, Weak))
        )
        heap = self.allocator.snapshot() if self.allocator is not None else None
        return OwnershipSnapshot(self.step, tuple(self.lines), vars_, loans, heap, counts)

    def leaks(self) -> list[str]:
        """What a finished program never freed: Rc values whose strong count never reached 0."""
        return [
            f"{box.value.type} in an RcBox still held by {box.strong} strong reference(s)"
            for box in self.boxes
            if box.strong > 0 and not self.open
        ]
