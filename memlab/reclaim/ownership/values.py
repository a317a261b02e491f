"""A Rust value in the ownership model: its inline bytes, its heap block, its drop glue.

A :class:`Value` owns ``parts`` (other values), has a *home* where its inline bytes live (a
variable's slot, a field, a heap block) and may own a heap block of its own. Dropping runs the
drop glue: the value itself first, then its parts in declaration order, then its heap block is
freed. The two scalars here own nothing: ``i32`` and the string literal ``&'static str``, whose
bytes are in the program's static data, not on the heap. The owning types (``String``, ``Vec``,
``Box``, structs, ``Option``) are in :mod:`.values`, below.
"""

from __future__ import annotations

from ...errors import BadRequest
from ...memory import align_up
from .exprs import Expr


class ValueHeap:
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

    def write(self, heap: ValueHeap) -> None:
        """Store this value's inline bytes at ``self.home``."""

    # -- building, placing, dropping ------------------------------------------------------------
    def build(self, heap: ValueHeap) -> None:
        """Allocate heap storage, parts first (Rust evaluates arguments before the call)."""
        if self.built:
            return
        for _, part in self.parts:
            part.build(heap)
        if self.heap_size:
            self.address = heap.alloc(self.heap_size)
        self.built = True

    def place(self, heap: ValueHeap, home: int | None) -> None:
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

    def write(self, heap: ValueHeap) -> None:
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


# -- Rust values for the ownership model: what each owns, its bytes, and its drop glue.
#
# Layouts follow Rust's standard types on a 64-bit target: ``String`` and ``Vec<T>`` are three
# words (pointer, capacity, length) pointing at a heap buffer; ``Box<T>`` is one pointer to a heap
# ``T``; ``Rc<T>`` points at an ``RcBox`` (strong count, weak count, then the value); ``RefCell<T>``
# is a borrow-flag word before its ``T``; ``Option`` of a pointer uses the null pointer for ``None``.
# Values that live inside a heap block are written into the simulated bytes, so a hexdump shows
# a ``String``'s characters and an ``Rc``'s counts.
#
# Dropping runs the drop glue (see above): the value itself first, then its
# parts in declaration order (struct fields, vector elements, a box's contents), then its heap
# block is freed.
#
# Simplifications: integers are ``i32``; struct fields stay in declaration order in memory (rustc
# may reorder them); references live in variables, never inside other values; ``Vec`` grows like
# Rust's (double, at least 4 elements) but never shrinks.


class Buffer(Value):
    """String and Vec: pointer, capacity, length, and a heap buffer of ``capacity`` elements."""

    size = 24
    min_capacity = 4

    def __init__(self) -> None:
        super().__init__()
        self.capacity = 0

    @property
    def length(self) -> int:
        raise NotImplementedError

    @property
    def elem_size(self) -> int:
        raise NotImplementedError

    @property
    def heap_size(self) -> int:  # type: ignore[override]
        return self.capacity * self.elem_size

    def write(self, heap: ValueHeap) -> None:
        if self.home is not None:
            heap.word(self.home, self.address or 0)
            heap.word(self.home + 8, self.capacity)
            heap.word(self.home + 16, self.length)

    def grow(self, heap: ValueHeap, extra: int) -> tuple[int | None, int | None]:
        """Make room for ``extra`` more elements like RawVec; returns (old, new) address."""
        old = self.address
        need = self.length + extra
        if need > self.capacity:
            self.capacity = max(self.capacity * 2, need, self.min_capacity)
            self.address = heap.realloc(self.address, self.heap_size)
        return old, self.address


class String(Buffer):
    min_capacity = 8

    def __init__(self, text: str = "") -> None:
        super().__init__()
        self.text = text
        self.capacity = len(text.encode())

    type = property(lambda self: "String")
    length = property(lambda self: len(self.text.encode()))
    elem_size = property(lambda self: 1)

    def rust(self) -> str:
        return f'String::from("{self.text}")'

    def show(self):
        return self.text

    def place(self, heap: ValueHeap, home: int | None) -> None:
        super().place(heap, home)
        heap.write(self.address, self.text.encode())

    def fresh(self) -> Value:
        return String(self.text)


class Vec(Buffer):
    def __init__(self, items=()) -> None:
        super().__init__()
        self.parts = [(f"{{}}[{i}]", wrap(v)) for i, v in enumerate(items)]
        self.capacity = len(self.parts)

    @property
    def type(self) -> str:
        return f"Vec<{self.parts[0][1].type if self.parts else 'i32'}>"

    length = property(lambda self: len(self.parts))
    elem_size = property(lambda self: self.parts[0][1].size if self.parts else 4)

    def rust(self) -> str:
        return "vec![" + ", ".join(p.rust() for _, p in self.parts) + "]"

    def show(self):
        return [p.show() for _, p in self.parts]

    def homes(self) -> list[int | None]:
        return [None if self.address is None else self.address + i * self.elem_size for i in range(len(self.parts))]

    def part(self, key: str) -> Value:
        if not key.isdigit() or int(key) >= len(self.parts):
            raise BadRequest(f"index {key} is out of bounds: the len is {len(self.parts)}")
        return self.parts[int(key)][1]

    def fresh(self) -> Value:
        return Vec([p.fresh() for _, p in self.parts])


class Box(Value):
    non_null = True
    block_name = "heap block"

    def __init__(self, inner) -> None:
        super().__init__()
        self.parts = [("*{}", wrap(inner))]

    inner = property(lambda self: self.parts[0][1])
    type = property(lambda self: f"Box<{self.inner.type}>")
    heap_size = property(lambda self: self.inner.size)  # type: ignore[assignment]

    def rust(self) -> str:
        return f"Box::new({self.inner.rust()})"

    def show(self):
        return self.inner.show()

    def homes(self) -> list[int | None]:
        return [self.address]

    def write(self, heap: ValueHeap) -> None:
        heap.word(self.home, self.address or 0)

    def fresh(self) -> Value:
        return Box(self.inner.fresh())


class Struct(Value):
    """A struct: fields dropped in declaration order, after the struct itself."""

    def __init__(self, name: str, fields: dict | None = None, /, **more) -> None:
        super().__init__()
        self.name = name
        self.parts = [("{}." + k, wrap(v)) for k, v in {**(fields or {}), **more}.items()]

    type = property(lambda self: self.name)
    fields = property(lambda self: [p.split(".", 1)[1] for p, _ in self.parts])

    def _offsets(self) -> tuple[list[int], int, int]:
        offsets, at, big = [], 0, 1
        for _, p in self.parts:
            at = align_up(at, p.align)
            offsets.append(at)
            at += p.size
            big = max(big, p.align)
        return offsets, align_up(at, big), big

    size = property(lambda self: max(self._offsets()[1], 1))  # type: ignore[assignment]
    align = property(lambda self: self._offsets()[2])  # type: ignore[assignment]

    def rust(self) -> str:
        inside = ", ".join(f"{k}: {p.rust()}" for k, (_, p) in zip(self.fields, self.parts))
        return f"{self.name} {{ {inside} }}"

    def show(self):
        return {k: p.show() for k, (_, p) in zip(self.fields, self.parts)}

    def homes(self) -> list[int | None]:
        return [None if self.home is None else self.home + o for o in self._offsets()[0]]

    def part(self, key: str) -> Value:
        if key not in self.fields:
            raise BadRequest(f"no field `{key}` on type `{self.name}`")
        return self.parts[self.fields.index(key)][1]

    def drop_note(self) -> str:
        return f"then its fields in declaration order: {', '.join(self.fields)}" if self.parts else ""

    def fresh(self) -> Value:
        return Struct(self.name, {k: p.fresh() for k, (_, p) in zip(self.fields, self.parts)})


class Option(Value):
    """``Some(value)``, or ``None`` when built from Python's None."""

    def __init__(self, inner=None) -> None:
        super().__init__()
        self.parts = [] if inner is None else [("{}.0", wrap(inner))]

    inner = property(lambda self: self.parts[0][1] if self.parts else None)
    type = property(lambda self: f"Option<{self.inner.type if self.parts else '_'}>")
    niche = property(lambda self: self.inner is None or getattr(self.inner, "non_null", False))
    size = property(lambda self: 8 if self.niche else 8 + self.inner.size)  # type: ignore[assignment]

    def rust(self) -> str:
        return f"Some({self.inner.rust()})" if self.parts else "None"

    def show(self):
        return self.inner.show() if self.parts else None

    def homes(self) -> list[int | None]:
        return [None if self.home is None else self.home + (0 if self.niche else 8)]

    def write(self, heap: ValueHeap) -> None:
        if not self.parts:
            heap.word(self.home, 0)
        elif not self.niche:
            heap.word(self.home, 1)

    def fresh(self) -> Value:
        return Option(self.inner.fresh() if self.parts else None)


def type_of(value) -> str:
    """A value's Rust type, ``_`` where an expression has not been evaluated yet (rustc would infer it)."""
    try:
        return value.type
    except AttributeError:  # an Expr, here or inside
        return "_"


def same_type(a, b, resolve) -> bool:
    """Whether two values have one Rust type, as the elements of a Vec must (rustc's E0308).

    ``resolve`` gives the value an expression stands for (None: not known, so anything goes); an empty
    Vec or a None takes its element type from the other, as rustc infers it.
    """
    a, b = resolve(a), resolve(b)
    if a is None or b is None:
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, (Vec, Option, Box)):
        return not a.parts or not b.parts or same_type(a.parts[0][1], b.parts[0][1], resolve)
    if isinstance(a, Struct):
        return a.name == b.name
    return type_of(a) == type_of(b) or "_" in (type_of(a) + type_of(b))


def wrap(value) -> object:
    """Python values as Rust ones: 5 → i32, "hi" → &str, None → None, [..] → vec![..]."""
    if isinstance(value, (Value, Expr)):
        return value
    if isinstance(value, bool) or not isinstance(value, (int, str, list, tuple, type(None))):
        raise BadRequest(f"memlab has no Rust value for {value!r}; use Box, String, Vec, Struct, Rc, ...")
    if isinstance(value, int):
        return Int(value)
    if isinstance(value, str):
        return Str(value)
    return Option() if value is None else Vec(value)
