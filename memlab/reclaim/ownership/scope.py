"""The statements of the ownership model: one method per kind of Rust statement, each one step.

A :class:`Scope` is a block ``{ ... }`` of the learner's program (the first is ``fn main()``).
Its methods check first (a refused statement raises and changes nothing) and then commit.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ...errors import BadRequest
from .borrows import check, kill
from .errors import BorrowMutError, Label, OwnershipError, relabel
from .events import RustLine, Stmt
from .exprs import Expr, path_keys
from .rc import Rc, Weak
from .refs import Guard, Ref
from .values import Str, String, Struct, Value, Vec, wrap

if TYPE_CHECKING:
    from .ownership import Ownership

_UNSET = object()


class Binding:
    """A variable (a ``let`` binding) of the learner's program: its binding, value and history."""

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
        return f"Binding({self.name}, {self.state})"


def _not_mutable(var: Binding, held, now: Label) -> OwnershipError:
    """E0596, worded for a variable, a `&` reference or a `Ref` guard."""
    if isinstance(held, Ref):
        what, labels = f"`*{var.name}` as mutable, as it is behind a `&` reference", ()
    elif isinstance(held, Guard):
        what, labels = f"data in dereference of `{held.type}` as mutable", ()
    else:
        what = f"`{var.name}` as mutable, as it is not declared as mutable"
        labels = (relabel(var.declared, f"help: consider changing this to `let mut {var.name}`"),)
    return OwnershipError(
        "E0596",
        f"cannot borrow {what}",
        name=var.name,
        step=now.step,
        labels=labels + (relabel(now, "cannot borrow as mutable"),),
    )


def _owns(var: Binding) -> str:
    loan = getattr(var.value, "loan", None)
    if loan is None:
        return f"`{var.name}` owns a {var.type}"
    if loan.kind in ("&", "&mut"):
        return f"`{var.name}` {'mutably ' if loan.kind == '&mut' else ''}borrows `{loan.path}` ({var.type})"
    return f"`{var.name}` holds a {var.type} from `{loan.path}.{loan.kind}`"


def _into_itself(name: str, item: Expr, now: Label) -> OwnershipError:
    """``v.push(&v)``, ``v.push(&mut v)``, ``v.push(v)``: the errors rustc gives."""
    q = f"`{name}`"
    if item.op in ("ref", "borrow"):
        return OwnershipError(
            "E0502",
            f"cannot borrow {q} as immutable because it is also borrowed as mutable",
            name=name,
            step=now.step,
            labels=(
                relabel(now, f"mutable borrow occurs here: `{name}.push(..)` takes `&mut {name}` for the call"),
                relabel(now, f"immutable borrow occurs here: `{item.rust()}`, while the call still uses it"),
            ),
        )
    if item.op in ("ref_mut", "borrow_mut"):
        return OwnershipError(
            "E0499",
            f"cannot borrow {q} as mutable more than once at a time",
            name=name,
            step=now.step,
            labels=(
                relabel(now, f"first mutable borrow occurs here: `{name}.push(..)` takes `&mut {name}`"),
                relabel(now, f"second mutable borrow occurs here: `{item.rust()}`"),
            ),
        )
    return OwnershipError(
        "E0308",
        "mismatched types",
        name=name,
        step=now.step,
        labels=(relabel(now, f"expected an element of {q}, found {q} itself"),),
        note="a Vec cannot hold itself: its type would be infinite (rustc: cyclic type of infinite size)",
    )


def short(shown) -> str:
    text = repr(shown)
    return text if len(text) <= 40 else text[:37] + "..."


_NAME = re.compile(r"[A-Za-z_]\w*")


class Scope:
    """A block of the program; its methods are the statements (each one step)."""

    def __init__(self, world: Ownership, name: str) -> None:
        self.world, self.name = world, name
        self.vars: list[Binding] = []
        self.depth = -1

    def __enter__(self) -> Scope:
        world = self.world
        self.depth = len(world.open)
        world.step += 1
        rust = ("fn main() {" if self.depth == 0 else "{") + (f"  // {self.name}" if self.name else "")
        world.lines.append(RustLine(world.step, self.depth, rust, "scope"))
        world.open.append(self)
        world._emit(Stmt(world.step, "scope", rust, "a block begins" if self.depth else "the program begins"))
        return self

    def __exit__(self, *exc) -> None:
        if self in self.world.open:
            self.world.end(self)  # on a panic too: Rust drops the locals while unwinding

    def scope(self, name: str = "") -> Scope:
        """A nested block ``{ ... }``."""
        return Scope(self.world, name)

    def require_innermost(self) -> None:
        if not self.world.open or self.world.open[-1] is not self:
            raise BadRequest("statements go in the innermost open scope (use the scope of the `with` you are in)")

    # -- statements -------------------------------------------------------------------------------
    def let(self, name: str, value=_UNSET, *, mut: bool = False) -> None:
        """``let [mut] name = value;`` (or ``let name;`` with no value)."""
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise BadRequest(f"{name!r} is not a variable name")
        world = self.world
        given = value is not _UNSET
        value = wrap(value) if given else None
        rust = f"let {'mut ' if mut else ''}{name}" + (f" = {world.text(value)};" if given else ";")

        def checks(now):
            if given:
                world.evaluate(value, now, False, {})

        def commit(now):
            var = Binding(name, len(world.vars), self.depth, mut, relabel(now, ""))
            world.vars.append(var)
            self.vars.append(var)
            if given:
                world.bind(var, world.evaluate(value, now, True, {}), now)
            return None, _owns(var) if given else "declared, not yet initialised"

        world.run(self, "let", rust, checks, commit)

    def assign(self, name: str, value) -> None:
        """``name = value;``: the old value (if any) is dropped first."""
        world = self.world
        value = wrap(value)
        rust = f"{name} = {world.text(value)};"

        def checks(now):
            var = world.lookup(name, now)
            if var.state != "uninit" and not var.mutable:
                first = var.init or var.declared
                raise OwnershipError(
                    "E0384",
                    f"cannot assign twice to immutable variable `{name}`",
                    name=name,
                    step=now.step,
                    labels=(
                        relabel(first, f"first assignment to `{name}`"),
                        relabel(now, "cannot assign twice to immutable variable"),
                    ),
                )
            if var.state == "live":
                check(world.loans, var, "assign", now, world.lifetimes)
            world.evaluate(value, now, False, {})
            world.outlives_check(var, value, now)

        def commit(now):
            var = world.lookup(name, now)
            if var.state == "live":
                kill(check(world.loans, var, "assign", now, world.lifetimes), "assign", now)
            new = world.evaluate(value, now, True, {})
            if var.state == "live":
                world.drop_var(var, now, "overwrite", "uninit")
            world.bind(var, new, now)
            return None, _owns(var)

        world.run(self, "assign", rust, checks, commit)

    def use(self, name: str):
        """``println!("{:?}", name);``: reads (borrows) a variable, a field or an element."""
        world = self.world
        rust = f'println!("{{:?}}", {name});'

        def checks(now):
            self._target(name, now, "share", False)

        def commit(now):
            target, var = self._target(name, now, "share", True)
            var.marks.append((now.step, "use", ""))
            return target.show(), f"prints {short(target.show())}"

        return world.run(self, "use", rust, checks, commit)

    def push(self, name: str, item) -> None:
        """``v.push(item);`` on a Vec (or ``s.push_str(item)`` on a String), maybe through ``&mut``."""
        world = self.world
        item = wrap(item)
        rust = f"{name}.push({world.text(item)});"

        def checks(now):
            target, var = self._target(name, now, "mut", False, (Vec, String))
            if isinstance(target, String) and not isinstance(item, Str):
                raise BadRequest('String::push_str takes a string literal here, e.g. push("s", "!")')
            if isinstance(item, Expr) and item.name == var.name:
                raise _into_itself(var.name, item, now)
            world.evaluate(item, now, False, {}, top=False)  # an element, not a variable: no references
            if isinstance(target, Vec) and target.parts:
                why = f"`{name}.push(..)` takes the Vec's element type"
                world.same_element_type(target.parts[0][1], item, now, why)

        def commit(now):
            target, var = self._target(name, now, "mut", True, (Vec, String))
            got = world.evaluate(item, now, True, {}, top=False)
            if isinstance(target, String):
                old, new = target.grow(world.heap, len(got.text.encode()))
                target.text += got.text
            else:  # listed first, so that a first element sizes the buffer of an empty Vec
                target.parts.append((f"{{}}[{len(target.parts)}]", got))
                old, new = target.grow(world.heap, 0)
                got.build(world.heap)
            target.place(world.heap, target.home)
            var.marks.append((now.step, "mutate", ""))
            moved = f": the buffer moves {old:#x} → {new:#x}" if old is not None and new != old else ""
            return None, f"length {target.length}, capacity {target.capacity}{moved}"

        world.run(self, "push", rust, checks, commit)

    def store(self, name: str, value) -> None:
        """``*r = value;`` through ``&mut`` or a RefMut, or ``*c.borrow_mut() = value;`` on a RefCell."""
        world = self.world
        value = wrap(value)

        def checks(now):
            var = world.lookup(name, now)
            world.readable(var, now, borrow=True)
            held = var.value
            if isinstance(held, (Ref, Guard)) and not held.mutable:
                what = (
                    f"`*{name}`, which is behind a `&` reference"
                    if isinstance(held, Ref)
                    else f"data in dereference of `{held.type}`"
                )
                raise OwnershipError(
                    "E0594",
                    f"cannot assign to {what}",
                    name=name,
                    step=now.step,
                    labels=(relabel(now, "cannot assign"),),
                )
            if not isinstance(held, (Ref, Guard)):
                cell = world.cell_of(var)
                check(world.loans, var, "share", now, world.lifetimes)
                if cell.flag != 0:
                    raise BorrowMutError(step=now.step, where=now.where, name=name)
            world.evaluate(value, now, False, {})

        def commit(now):
            var = world.lookup(name, now)
            held = var.value
            new = world.evaluate(value, now, True, {})
            if isinstance(held, Ref):
                parent, key = (held.owner, None) if not held.keys else (held.owner.value, held.keys[-1])
                for k in held.keys[:-1]:
                    parent = parent.part(k)
                old = held.target()
            else:
                parent = held.cell if isinstance(held, Guard) else world.cell_of(var)
                key, old = "value", parent.inner
            old.drop(world, f"*{name}")
            new.build(world.heap)
            new.place(world.heap, old.home)
            if key is None:
                held.owner.value = new
            else:
                index = parent.fields.index(key) if isinstance(parent, Struct) else (0 if key == "value" else int(key))
                parent.set_part(index, new)
            var.marks.append((now.step, "mutate", ""))
            return None, f"the old {old.type} is dropped, the new one moves in"

        rust = f"*{name} = {world.text(value)};"
        probe = next((v for s in reversed(world.open) for v in reversed(s.vars) if v.name == name), None)
        if probe is not None and not isinstance(probe.value, (Ref, Guard)):
            rust = f"*{name}.borrow_mut() = {world.text(value)};"
        world.run(self, "store", rust, checks, commit)

    def drop(self, name: str) -> None:
        """``drop(name);``: moves the value into ``std::mem::drop``, which drops it now."""
        world = self.world

        def checks(now):
            var = world.lookup(name, now)
            world.readable(var, now, borrow=False)
            if not var.value.copy:
                check(world.loans, var, "move", now, world.lifetimes)

        def commit(now):
            var = world.lookup(name, now)
            if var.value.copy:
                return None, f"`{name}` is Copy: drop gets a copy, `{name}` stays usable"
            kill(check(world.loans, var, "move", now, world.lifetimes), "move", now)
            var.moved = relabel(now, "value moved here")
            world.drop_var(var, now, "drop", "moved")
            return None, ""

        world.run(self, "drop", f"drop({name});", checks, commit, announce=True)

    # -- queries (not steps) ------------------------------------------------------------------------
    def strong_count(self, name: str) -> int:
        """``Rc::strong_count(&name)`` (also for a Weak: how many Rc still hold the value)."""
        return self._rc(name).box.strong

    def weak_count(self, name: str) -> int:
        """``Rc::weak_count(&name)``: the Weak pointers to the value."""
        return self._rc(name).box.weak_count()

    def _rc(self, name: str):
        var = self.world.lookup(name, Label(self.world.step, "", ""))
        if not isinstance(var.value, (Rc, Weak)):
            raise BadRequest(f"`{name}` is not an Rc or a Weak")
        return var.value

    def _target(self, path: str, now: Label, action: str, commit: bool, want: tuple = ()):
        """The value a statement reads or changes (of a type in ``want``), after the checks for ``action``."""
        world = self.world
        keys = path_keys(path)
        var = world.lookup(keys[0], now)
        world.readable(var, now, borrow=True)
        held = var.value
        through = isinstance(held, (Ref, Guard))
        target = (held.target() if isinstance(held, Ref) else held.cell.inner) if through else held
        for key in keys[1:]:
            target = target.part(key)
        if want and not isinstance(target, want):
            names = " or ".join(t.__name__ for t in want)
            raise BadRequest(f"this needs a {names}; `{path}` is a {target.type}")
        if action == "mut" and not (held.mutable if through else var.mutable):
            raise _not_mutable(var, held, now)
        if not through:
            world.conflict(var, action, now, commit)
        return target, var
