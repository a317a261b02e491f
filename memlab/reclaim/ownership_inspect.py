"""Reading a running Rust program: the snapshot the ownership views draw, and what leaked.

The snapshot lists the lines run so far, every variable with its type, state and value, every
loan (who borrows what, shared or mutable, from which line until which), the strong and weak
counts of live ``Rc`` and ``Weak`` values, and the allocator's heap when values live on one. A
leak here is what Rust also leaks: an ``RcBox`` whose strong count never reached zero, as in a
cycle of ``Rc`` (the Rust book, ch. 15.6).
"""

from __future__ import annotations

from .ownership_events import LoanInfo, Mark, OwnershipSnapshot, VarInfo
from .ownership_rc import Rc, Weak
from .ownership_scope import short


class OwnershipInspection:
    """``snapshot`` and ``leaks`` of an :class:`~.ownership.Ownership` program (a mixin)."""

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
