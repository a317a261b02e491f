"""Ownership and borrowing, Rust's way, checked while the program runs.

``Ownership()`` runs a small Rust program written in Python, statement by statement: moves,
borrows, ``Box``, ``Vec``, ``String``, ``Rc``/``Weak`` and ``RefCell``, drop glue at the end of
each scope, and errors worded like rustc's. See :mod:`.ownership` for the model.
"""

from .errors import BorrowError, BorrowMutError, OwnershipError
from .exprs import borrow, borrow_mut, clone, downgrade, move, ref, ref_mut, upgrade
from .ownership import Ownership
from .rc import Rc, RefCell, Weak
from .scope import Scope
from .values import Box, Int, Option, Str, String, Struct, Vec

__all__ = [
    "BorrowError",
    "BorrowMutError",
    "Box",
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
