"""What a borrow evaluates to: a reference ``&x`` / ``&mut x``, or a ``RefCell`` guard.

A reference is a loan of its owner's value (or of a part of it, ``&v[0]``): copying a shared
reference copies the loan, and a reference has no drop glue, so dropping it only ends the loan.
``RefCell::borrow`` and ``borrow_mut`` return the guards ``Ref<'_, T>`` and ``RefMut<'_, T>``,
whose drop puts the cell's borrow flag back (one reader less, or no writer), as in Rust's
``std::cell``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .borrows import Loan
from .rc import RefCell
from .values import Value

if TYPE_CHECKING:
    from .scope import Binding


class Ref(Value):
    """``&x`` or ``&mut x`` (also ``&v[0]``): a loan of ``owner`` reaching the value at ``keys``."""

    def __init__(self, loan: Loan, owner: Binding, keys: list[str], mutable: bool) -> None:
        super().__init__()
        self.loan, self.owner, self.keys, self.mutable = loan, owner, keys, mutable
        self.copy = not mutable
        self.built = True

    def target(self) -> Value:
        value = self.owner.value
        for key in self.keys:
            value = value.part(key)
        return value

    type = property(lambda self: ("&mut " if self.mutable else "&") + self.target().type)

    def rust(self) -> str:
        return self.loan.kind + ("" if self.loan.kind == "&" else " ") + self.loan.path

    def show(self):
        if self.owner.value is None:
            return f"<dangling: `{self.owner.name}` is {self.owner.state}>"
        return self.target().show()

    def place(self, heap, home) -> None:
        self.home = home

    def drop(self, ctx, path: str) -> None:
        pass  # a reference has no drop glue; its loan ends with it

    def fresh(self) -> Value:
        return Ref(self.loan, self.owner, self.keys, self.mutable)


class Guard(Value):
    """``Ref<'_, T>`` / ``RefMut<'_, T>`` from ``RefCell::borrow`` / ``borrow_mut``."""

    def __init__(self, cell: RefCell, loan: Loan, mutable: bool) -> None:
        super().__init__()
        self.cell, self.loan, self.mutable = cell, loan, mutable
        self.size, self.built = 16, True

    type = property(lambda self: f"{'RefMut' if self.mutable else 'Ref'}<'_, {self.cell.inner.type}>")

    def rust(self) -> str:
        return f"{self.loan.path}.{'borrow_mut' if self.mutable else 'borrow'}()"

    def show(self):
        return self.cell.show()

    def place(self, heap, home) -> None:
        self.home = home

    def drop(self, ctx, path: str) -> None:
        old = self.cell.flag
        self.cell.flag = 0 if self.mutable else old - 1
        self.cell.write(ctx.heap)
        ctx.dropped(path, self, f"the RefCell's borrow flag goes {old} → {self.cell.flag}")
