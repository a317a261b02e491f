"""Expressions of the ownership model: ``&x``, ``&mut x``, ``x`` (a move), ``Rc::clone(&a)``, ...

An ``Expr`` names a variable or a path into it (``p.name``, ``v[0]``) and is evaluated by the scope
it is bound in, which applies Rust's rules (moves, borrows) at that moment. Paths are checked
when the expression is built.
"""

from __future__ import annotations

import re

from ...errors import BadRequest


class Expr:
    """An expression that names variables (``&x``, ``x``, ``Rc::clone(&a)``): evaluated by a scope."""

    def __init__(self, op: str, path: str) -> None:
        if not isinstance(path, str) or not path:
            raise BadRequest(f"{op} needs a variable name, not {path!r}")
        self.op, self.path = op, path

    @property
    def name(self) -> str:
        """The variable the expression starts from (``v`` in ``v[0]``)."""
        return path_keys(self.path)[0]

    def rust(self) -> str:
        return {
            "ref": "&{}",
            "ref_mut": "&mut {}",
            "move": "{}",
            "clone": "{}.clone()",
            "rc_clone": "Rc::clone(&{})",
            "downgrade": "Rc::downgrade(&{})",
            "upgrade": "{}.upgrade()",
            "borrow": "{}.borrow()",
            "borrow_mut": "{}.borrow_mut()",
        }[self.op].format(self.path)

    def __repr__(self) -> str:
        return self.rust()


def path_keys(path: str) -> list[str]:
    """``"p.name"`` -> ``["p", "name"]``; ``"v[0]"`` -> ``["v", "0"]``."""
    if not isinstance(path, str) or not _PATH.fullmatch(path):
        raise BadRequest(f"{path!r} is not a variable or a path like `p.name` or `v[0]`")
    return [k for k in re.split(r"[.\[\]]+", path) if k]


_PATH = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*|\[\d+\])*")


# -- the constructors: what may stand on the right of `let x = ...` ------------------------------
def ref(path: str) -> Expr:
    """``&x`` (also ``&v[0]``, ``&p.name``): a shared borrow."""
    return Expr("ref", path)


def ref_mut(path: str) -> Expr:
    """``&mut x``: the one mutable borrow."""
    return Expr("ref_mut", path)


def move(name: str) -> Expr:
    """``x``: moves the value out of ``x`` (copies it, for Copy types such as i32 and &T)."""
    return Expr("move", name)


def clone(name: str) -> Expr:
    """``x.clone()`` (deep copy), or ``Rc::clone(&x)`` for an Rc (one more strong count)."""
    return Expr("clone", name)


def downgrade(name: str) -> Expr:
    """``Rc::downgrade(&x)``: a Weak pointer to the same RcBox."""
    return Expr("downgrade", name)


def upgrade(name: str) -> Expr:
    """``w.upgrade()``: ``Some(Rc)`` while the value lives, else ``None``."""
    return Expr("upgrade", name)


def borrow(name: str) -> Expr:
    """``c.borrow()`` on a RefCell: a ``Ref`` guard, checked at run time."""
    return Expr("borrow", name)


def borrow_mut(name: str) -> Expr:
    """``c.borrow_mut()`` on a RefCell: a ``RefMut`` guard, checked at run time."""
    return Expr("borrow_mut", name)
