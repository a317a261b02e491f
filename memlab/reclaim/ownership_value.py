"""A Rust value in the ownership model: its inline bytes, its heap block, its drop glue.

A :class:`Value` owns ``parts`` (other values), has a *home* where its inline bytes live (a
variable's slot, a field, a heap block) and may own a heap block of its own. Dropping runs the
drop glue: the value itself first, then its parts in declaration order, then its heap block is
freed. The two scalars here own nothing: ``i32`` and the string literal ``&'static str``, whose
bytes are in the program's static data, not on the heap. The owning types (``String``, ``Vec``,
``Box``, structs, ``Option``) are in :mod:`.ownership_values`.
"""

from __future__ import annotations

from ..errors import BadRequest


class Heap:
    """The allocator the values live on; without one, values have no addresses."""

    def __init__(self, allocator=None) -> None:
        self.allocator = allocator

    def alloc(self, size: int) -> int | None:
        return self.allocator.alloc(size) if self.allocator is not None and size > 0 else None

    def free(self, address: int | None) -> None:
        if address is not None and self.allocator is not None:
            self.allocator.free(address)

    def realloc(self, address: int | None, size: int) -> int | None:
        if self.allocator is None:
            return None
        return self.allocator.realloc(address, size) if address is not None else self.alloc(size)

    def word(self, address: int | None, value: int, width: int = 8) -> None:
        if address is not None and self.allocator is not None:
            self.allocator.memory.write_word(address, value & ((1 << 8 * width) - 1), width)

    def write(self, address: int | None, data: bytes) -> None:
        if address is not None and self.allocator is not None and data:
            self.allocator.memory.write(address, data)


def align_up(n: int, a: int) -> int:
    return (n + a - 1) // a * a


class Value:
    """A Rust value. ``parts`` are the values it owns, dropped in order after it."""

    copy = False
    non_null = False  # a pointer that is never null, so Option can use null for None
    size = 8
    align = 8
    heap_size = 0
    block_name = "buffer"  # what its heap block is called when it is freed

    def __init__(self) -> None:
        self.address: int | None = None  # its own heap block, if it has one
        self.home: int | None = None  # where its inline bytes are (None: on the stack)
        self.parts: list[tuple[str, object]] = []  # (path pattern, Value or unevaluated expression)
        self.built = False  # its heap storage exists (it was bound to a variable once)

    @property
    def type(self) -> str:
        raise NotImplementedError

    def rust(self) -> str:
        raise NotImplementedError

    def show(self):
        raise NotImplementedError

    def homes(self) -> list[int | None]:
        """Where each part's inline bytes live."""
        return [None] * len(self.parts)

    def write(self, heap: Heap) -> None:
        """Store this value's inline bytes at ``self.home``."""

    # -- building, placing, dropping ------------------------------------------------------------
    def build(self, heap: Heap) -> None:
        """Allocate heap storage, parts first (Rust evaluates arguments before the call)."""
        if self.built:
            return
        for _, part in self.parts:
            part.build(heap)
        if self.heap_size:
            self.address = heap.alloc(self.heap_size)
        self.built = True

    def place(self, heap: Heap, home: int | None) -> None:
        """Write this value (and its parts) at ``home``."""
        self.home = home
        self.write(heap)
        for (_, part), where in zip(self.parts, self.homes()):
            part.place(heap, where)

    def drop(self, ctx, path: str) -> None:
        """The drop glue: announce, drop the parts in order, free the heap block."""
        ctx.dropped(path, self, self.drop_note())
        for pattern, part in self.parts:
            part.drop(ctx, pattern.format(path))
        if self.address is not None or self.heap_size:
            ctx.heap.free(self.address)
            ctx.freed(path, self, self.address, self.heap_size, self.block_name)
            self.address = None

    def drop_note(self) -> str:
        return ""

    def fresh(self) -> Value:
        """A deep copy for ``.clone()`` (new heap blocks once built)."""
        raise NotImplementedError

    def part(self, key: str) -> Value:
        raise BadRequest(f"a {self.type} has no part {key!r}")

    def set_part(self, index: int, value: Value) -> None:
        self.parts[index] = (self.parts[index][0], value)


class Int(Value):
    copy, size, align = True, 4, 4

    def __init__(self, n: int) -> None:
        super().__init__()
        self.n = n

    type = property(lambda self: "i32")

    def rust(self) -> str:
        return str(self.n)

    def show(self):
        return self.n

    def write(self, heap: Heap) -> None:
        heap.word(self.home, self.n, 4)

    def drop(self, ctx, path: str) -> None:
        pass  # i32 has no drop glue

    def fresh(self) -> Value:
        return Int(self.n)


class Str(Value):
    """A string literal, ``&'static str``: Copy, and in the program's static data, not the heap."""

    copy, size = True, 16

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    type = property(lambda self: "&str")

    def rust(self) -> str:
        return f'"{self.text}"'

    def show(self):
        return self.text

    def drop(self, ctx, path: str) -> None:
        pass

    def fresh(self) -> Value:
        return Str(self.text)
