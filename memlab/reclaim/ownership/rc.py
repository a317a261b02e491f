"""Shared ownership in Rust: ``Rc<T>``, ``Weak<T>`` and ``RefCell<T>`` (``std::rc``, ``std::cell``).

``Rc::new(v)`` puts ``v`` in an ``RcBox`` on the heap, after two words: the strong count and the
weak count. ``Rc::clone`` adds one to the strong count; dropping an ``Rc`` takes one off, and at
zero the value is dropped. The strong references together hold one implicit weak reference, so
the block itself is freed only when the last ``Weak`` is gone too; ``upgrade()`` on a ``Weak``
whose value was dropped gives ``None``. A cycle of ``Rc`` never reaches zero: it leaks, as in
Rust. ``RefCell`` keeps a borrow flag word before its value (0 free, n readers, -1 one writer)
and checks borrows at run time. Counts are written into the simulated bytes, so a hexdump shows
them.
"""

from __future__ import annotations

from .values import Value, ValueHeap, wrap

_VISITING: set[int] = set()


def _once(box, fn, again):
    """``fn()``, or ``again`` if we are already inside this RcBox (a cycle through Rc)."""
    if id(box) in _VISITING:
        return again
    _VISITING.add(id(box))
    try:
        return fn()
    finally:
        _VISITING.discard(id(box))


class RcBox:
    """The heap block an ``Rc`` points at: strong count, weak count, then the value.

    As in Rust, the strong references together hold one implicit weak reference, so the
    block is freed only when the last Weak is gone too.
    """

    def __init__(self, value: Value) -> None:
        self.value = value
        self.strong, self.weak = 1, 1
        self.address: int | None = None
        self.built = False
        self.dropped = False

    size = property(lambda self: 16 + self.value.size)

    def sync(self, heap: ValueHeap) -> None:
        heap.word(self.address, self.strong)
        heap.word(None if self.address is None else self.address + 8, self.weak)

    def inner_type(self) -> str:
        return _once(self, lambda: self.value.type, "…")

    def show(self):
        return _once(self, self.value.show, "<cycle>")

    def weak_count(self) -> int:
        """``Rc::weak_count``: the Weak pointers, without the implicit one."""
        return self.weak - 1 if self.strong else self.weak


class Rc(Value):
    """``Rc::new(value)``; clones share the same RcBox."""

    non_null = True

    def __init__(self, inner=None, *, box: RcBox | None = None) -> None:
        super().__init__()
        self.box = box if box is not None else RcBox(wrap(inner))

    type = property(lambda self: f"Rc<{self.box.inner_type()}>")

    def rust(self) -> str:
        return f"Rc::new({self.box.value.rust()})"

    def show(self):
        return self.box.show()

    def build(self, heap: ValueHeap) -> None:
        box = self.box
        if not box.built:
            box.value.build(heap)
            box.address = heap.alloc(box.size)
            box.built = True
            box.sync(heap)
            box.value.place(heap, None if box.address is None else box.address + 16)

    def place(self, heap: ValueHeap, home: int | None) -> None:
        self.home = home
        heap.word(home, self.box.address or 0)

    def drop(self, ctx, path: str) -> None:
        box = self.box
        box.strong -= 1
        ctx.counters["strong_decrements"] += 1
        box.sync(ctx.heap)
        ctx.dropped(path, self, f"strong count {box.strong + 1} → {box.strong}")
        if box.strong == 0:
            box.dropped = True
            box.value.drop(ctx, f"*{path}")
            _release_weak(ctx, box, path, self)

    def fresh(self) -> Value:
        self.box.strong += 1
        return Rc(box=self.box)


class Weak(Value):
    """``Rc::downgrade(&rc)``: does not keep the value alive; ``upgrade()`` may give None."""

    non_null = True

    def __init__(self, box: RcBox) -> None:
        super().__init__()
        self.box = box

    type = property(lambda self: f"Weak<{self.box.inner_type()}>")

    def rust(self) -> str:
        return "Weak::new()"

    def show(self):
        return None if self.box.strong == 0 else self.box.show()

    def build(self, heap: ValueHeap) -> None:
        pass

    def place(self, heap: ValueHeap, home: int | None) -> None:
        self.home = home
        heap.word(home, self.box.address or 0)

    def drop(self, ctx, path: str) -> None:
        ctx.counters["weak_decrements"] += 1
        ctx.dropped(path, self, f"weak count {self.box.weak_count()} → {self.box.weak_count() - 1}")
        _release_weak(ctx, self.box, path, self)

    def fresh(self) -> Value:
        self.box.weak += 1
        return Weak(self.box)


def _release_weak(ctx, box: RcBox, path: str, handle: Value) -> None:
    box.weak -= 1
    box.sync(ctx.heap)
    if box.weak == 0:
        ctx.heap.free(box.address)
        ctx.freed(path, handle, box.address, box.size, "RcBox")
        box.address = None


class RefCell(Value):
    """``RefCell::new(value)``: a borrow flag (0 free, n readers, -1 one writer) and the value."""

    def __init__(self, inner) -> None:
        super().__init__()
        self.parts = [("{}.value", wrap(inner))]
        self.flag = 0

    inner = property(lambda self: self.parts[0][1])
    type = property(lambda self: f"RefCell<{self.inner.type}>")
    size = property(lambda self: 8 + self.inner.size)  # type: ignore[assignment]

    def rust(self) -> str:
        return f"RefCell::new({self.inner.rust()})"

    def show(self):
        return self.inner.show()

    def homes(self) -> list[int | None]:
        return [None if self.home is None else self.home + 8]

    def write(self, heap: ValueHeap) -> None:
        heap.word(self.home, self.flag)

    def fresh(self) -> Value:
        return RefCell(self.inner.fresh())
