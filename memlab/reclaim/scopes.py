"""Scopes: variables are roots, and leaving a scope drops them in reverse order.

A scope is what a block is to a compiled language: its variables hold references, and when it
ends they are dropped, last declared first (the order in which C++ destroys locals and Rust
drops them); then its unused temporaries, each a +1 that no store took over. The globals scope
never ends. Simplification: variables live in Python-side frames, not on a simulated stack.
"""

from __future__ import annotations

from .events import ScopeExit
from .handles import Frame, Obj, Var
from .types import INT, STRONG, BadField, ScopeError, check_kind


class Scopes:
    """Opening, binding, reading and leaving scopes of a :class:`~.objects.Heap` (a mixin)."""

    def scope(self, name: str | None = None) -> Frame:
        """Open a scope: ``with heap.scope("main") as s: s.x = ...``."""
        name = name or f"scope{len(self.frames)}"
        if not isinstance(name, str) or not name.isidentifier():
            raise ScopeError(f"scope name {name!r} is not an identifier", step=self.step)
        frame = Frame(self, name)
        self.frames.append(frame)
        return frame

    def _open(self, frame: Frame) -> None:
        if not frame._open:
            raise ScopeError(f"scope {frame._name} has already ended", step=self.step)

    def bind(self, frame: Frame, name: str, value: object, *, kind: str | None = None) -> None:
        """``frame.name = value``: declares the variable on first use."""
        self._open(frame)
        if not isinstance(name, str) or not name.isidentifier() or name.startswith("_") or name in Frame.RESERVED:
            raise ScopeError(f"{name!r} cannot be a variable name", step=self.step)
        var = frame._vars.get(name)
        if kind is not None and check_kind(kind, f"variable {name}") == INT:
            raise BadField(f"variable {name}: variables hold references, not ints", step=self.step)
        if var is not None and kind is not None and kind != var.kind:
            raise ScopeError(f"variable {name} is already declared {var.kind}", step=self.step)
        fresh = var is None
        var = var or Var(frame, name, kind or STRONG)
        self._check_value(var.kind, value, var.label)
        self.scheme.validate(var, self.scheme.decode(var, var.word), value)  # type: ignore[arg-type]
        decl = ("" if var.kind == STRONG else f"{var.kind} ") + ("var " if fresh else "")
        with self.operation(f"{decl}{name} = {self.text(value)}"):
            frame._vars[name] = var
            self._assign(var, value)

    def read_var(self, frame: Frame, name: str) -> Obj | None:
        self._open(frame)
        var = frame._vars.get(name)
        if var is None:
            raise ScopeError(f"scope {frame._name} has no variable {name!r}", step=self.step)
        return self.scheme.load(var, self.scheme.decode(var, var.word))

    def unbind(self, frame: Frame, name: str) -> None:
        """``del frame.name``: drop the reference and forget the variable."""
        self._open(frame)
        if name not in frame._vars:
            raise ScopeError(f"scope {frame._name} has no variable {name!r}", step=self.step)
        with self.operation(f"{name} = nil"):
            self._assign(frame._vars[name], None)
            del frame._vars[name]

    def leave(self, frame: Frame) -> None:
        """End a scope: release its variables in reverse order, then its unused temporaries."""
        self._open(frame)
        if frame is self.globals:
            raise ScopeError("the globals scope never ends", step=self.step)
        if self.frames[-1] is not frame:
            raise ScopeError(f"scope {frame._name} cannot end before scope {self.frames[-1]._name}", step=self.step)
        released: list[str] = []
        with self.operation(f"}} // end of {frame._name}"):
            for var in reversed(list(frame._vars.values())):
                old = self.scheme.decode(var, var.word)
                var.word = 0
                if old is not None:
                    released.append(var.name)
                    self.scheme.release(old, var)
            for obj in reversed(list(frame._temps.values())):
                released.append(f"temporary {obj._name}")
                self.unfloat(obj)
                self.scheme.release(obj, None)
            self.frames.remove(frame)
            frame._open = False
            if self.recorder is not None:
                self.emit(ScopeExit(self.step, frame._name, tuple(released)))
