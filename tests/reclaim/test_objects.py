"""The object model: headers and slots in simulated bytes, scopes as roots, typed errors."""

import pytest

from memlab.errors import UseAfterFree
from memlab.reclaim import BadField, DeadObject, Heap, ReclaimError, ScopeError
from memlab.reclaim.types import BadField as TypesBadField


def make(scheme="refcount"):
    heap = Heap(scheme)
    node = heap.type("Node", ["next", "int value"])
    return heap, node


def state(heap):
    """Everything a learner could observe: the graph and the bytes of every object."""
    snap = heap.snapshot()
    data = {o.address: heap.memory.read(o.address, o.type.size(len(heap.header))) for o in heap.live()}
    return snap.nodes, snap.edges, snap.variables, data


def test_type_declarations_read_like_swift():
    heap = Heap("manual")
    t = heap.type("Apartment", ["weak tenant", ("owner", "unowned"), "int unit", "next"])
    assert [(f.name, f.kind) for f in t.fields] == [
        ("tenant", "weak"),
        ("owner", "unowned"),
        ("unit", "int"),
        ("next", "strong"),
    ]
    assert repr(t) == "<type Apartment(weak tenant, unowned owner, int unit, next)>"


@pytest.mark.parametrize(
    "fields, message",
    [
        (["next", "next"], "used twice"),
        (["shared next"], "kind 'shared'"),
        (["name"], "reserved"),
        (["9lives"], "not a plain identifier"),
        ([3], "is not 'name' or 'kind name'"),
    ],
)
def test_bad_type_declarations(fields, message):
    heap = Heap("refcount")
    with pytest.raises(BadField, match=message):
        heap.type("T", fields)
    assert heap.types == {}


def test_header_and_slots_live_in_simulated_bytes():
    heap, node = make()
    with heap.scope("main") as s:
        s.a = heap.new(node, name="a")
        s.a.next = heap.new(node, name="b", value=42)
        a, b = s.a, s.a.next
        mem = heap.memory
        assert heap.header == ("flags", "rc")
        assert mem.read_word(a.address) & 0xFFFF == node.tid  # type id in the flags word
        assert mem.read_word(a.address + 8) == 1  # rc: held by main.a
        assert mem.read_word(a.address + 16) == b.address  # a.next holds b's address
        assert mem.read_word(b.address + 24) == 42  # b.value
        assert mem.read_word(b.address + 16) == 0  # b.next is nil
        words = heap.words(a)
        assert "rc" in words and "strong → b" in words and "type Node, live" in words
        columns = [line.split()[:2] for line in words.splitlines()]  # each word's address, then its name
        names = ["flags", "rc", "next", "value"]
        assert columns == [[f"{a.address + 8 * i:#08x}", name] for i, name in enumerate(names)]


def test_a_new_object_is_a_temporary_until_stored():
    heap, node = make()
    with heap.record() as rec:
        with heap.scope("main"):
            heap.new(node, name="lost")  # never stored anywhere
            assert heap.snapshot().node("lost").tags == ("temporary",)
            assert heap.snapshot().variables[-1].kind == "temporary"
    assert "leave scope main: drop temporary lost" in rec.recording.script()
    assert heap.live() == []


def test_first_store_takes_over_the_new_objects_count():
    heap, node = make()
    with heap.record() as rec:
        with heap.scope("main") as s:
            s.a = heap.new(node, name="a")
    assert rec.recording.kinds()[:2] == ["new", "store"]  # no incref: the +1 is handed over
    assert "nothing to count" in rec.recording.events[1].describe()


def test_scopes_drop_variables_in_reverse_order():
    heap, node = make()
    order = []
    heap.types.clear()
    t = heap.type("T", [], deinit=lambda o: order.append(o.name))
    with heap.scope("main") as s:
        s.first = heap.new(t, name="first")
        s.second = heap.new(t, name="second")
        s.third = heap.new(t, name="third")
    assert order == ["third", "second", "first"]


def test_scopes_must_end_innermost_first():
    heap, node = make()
    outer = heap.scope("outer")
    outer.x = heap.new(node, name="x")
    inner = heap.scope("inner")
    before = state(heap)
    with pytest.raises(ScopeError, match="scope outer cannot end before scope inner"):
        outer.close()
    assert state(heap) == before
    inner.close()
    outer.close()
    with pytest.raises(ScopeError, match="scope outer has already ended"):
        outer.y = None
    with pytest.raises(ScopeError, match="globals scope never ends"):
        heap.globals.close()


def test_unknown_variable_and_field():
    heap, node = make()
    with heap.scope("main") as s:
        s.a = heap.new(node, name="a")
        with pytest.raises(ScopeError, match="scope main has no variable 'b'"):
            s.b  # noqa: B018
        with pytest.raises(BadField, match=r"Node has no field 'nxt' \(it has next, value\)"):
            s.a.nxt = None
        assert BadField is TypesBadField


def test_bad_values_change_nothing():
    heap, node = make()
    other = Heap("refcount")
    t2 = other.type("Node", ["next"])
    with heap.scope("main") as s:
        s.a = heap.new(node, name="a")
        s.b = heap.new(node, name="b")
        before = state(heap)
        with pytest.raises(BadField, match="not an object of this heap"):
            s.a.next = other.new(t2, name="stranger")
        with pytest.raises(BadField, match="not an integer"):
            s.a.value = -1
        with pytest.raises(BadField, match="not an integer"):
            s.a.value = "seven"
        with pytest.raises(BadField, match="5 is not an object of this heap"):
            s.a.next = 5  # an int is not a reference
        assert state(heap) == before


def test_stale_handle_is_a_typed_error_naming_object_address_and_step():
    heap, node = make()
    with heap.scope("main") as s:
        s.a = heap.new(node, name="a")
        a = s.a
        address = a.address
        s.a = None  # freed here, at step 3
        s.b = heap.new(node, name="b")
        before = state(heap)
        with pytest.raises(DeadObject) as info:
            a.value = 1
        assert isinstance(info.value, UseAfterFree)
        message = str(info.value)
        assert f"use of a ({address:#x}) after it was freed at step 3" in message
        assert "step 5" in message
        with pytest.raises(DeadObject, match="cannot refer to a"):
            s.b.next = a
        assert state(heap) == before


def test_manual_scheme_free_and_use_after_free():
    heap = Heap("manual")
    node = heap.type("Node", ["next"])
    heap.globals.a = heap.new(node, name="a")
    a = heap.globals.a
    heap.free(a)
    assert heap.live() == []
    with pytest.raises(DeadObject, match="free\\(a\\): use of a"):
        heap.free(a)


def test_schemes_without_a_collector_say_so():
    heap, _ = make()
    with pytest.raises(ReclaimError, match="the refcount scheme has no collector"):
        heap.collect()
    with pytest.raises(BadField, match="no reclamation scheme named 'magic'"):
        Heap("magic")


def test_snapshot_lists_nodes_edges_and_variables():
    heap, node = make()
    with heap.scope("main") as s:
        s.a = heap.new(node, name="a")
        s.a.next = heap.new(node, name="b")
        snap = heap.snapshot()
    assert snap.names() == ["a", "b"]
    assert [(e.source, e.target, e.label) for e in snap.edges] == [(1, 2, "next")]
    assert [(v.label, v.target) for v in snap.variables] == [("main.a", 1)]
    assert snap.node("b").count("rc") == 1
    assert "a" in snap and "zz" not in snap


def test_every_scheme_is_named_in_one_list_and_built_by_its_name():
    import inspect

    import memlab.reclaim as reclaim
    from memlab.reclaim import SCHEMES, SCHEMES_IN_ORDER, Heap, Scheme, register
    from memlab.reclaim.types import BadField

    defined = {
        cls
        for module in list(vars(reclaim).values())
        if inspect.ismodule(module) and module.__name__.startswith("memlab.reclaim")
        for cls in vars(module).values()
        if inspect.isclass(cls)
        and issubclass(cls, Scheme)
        and cls.name != Scheme.name
        and cls.__module__ == module.__name__
    }
    assert defined <= set(SCHEMES_IN_ORDER)
    assert sorted(SCHEMES) == sorted(cls.name for cls in SCHEMES_IN_ORDER)
    for cls in SCHEMES_IN_ORDER:
        assert type(Heap(cls.name).scheme) is cls
    with pytest.raises(BadField, match="'arc' is taken by ARC"):
        register(type("Impostor", (Scheme,), {"name": "arc"}))


SCHEMES = ("manual", "refcount", "arc", "bacon-rajan", "cpython", "mark-sweep", "copying")


@pytest.mark.parametrize("scheme", SCHEMES)
def test_a_non_object_given_to_retain_release_or_free_is_a_typed_error(scheme):
    heap, node = make(scheme)
    with heap.scope("main") as s:
        s.a = heap.new(node, name="a")
        before = state(heap)
        for call in (heap.retain, heap.release, heap.free):  # were AttributeError in three schemes
            with pytest.raises(BadField, match=rf"{call.__name__}\(None\): not an object of this heap") as caught:
                call(None)
            assert caught.value.step == heap.step
        assert state(heap) == before


@pytest.mark.parametrize("scheme", SCHEMES)
def test_bad_declarations_options_and_collect_arguments_are_typed_errors(scheme):
    heap, node = make(scheme)
    with pytest.raises(BadField, match="type T: fields None is not a list of fields"):  # was TypeError
        heap.type("T", None)
    with pytest.raises(BadField, match=rf"Heap\('{scheme}', bogus=...\): the {scheme} scheme has no option 'bogus'"):
        Heap(scheme, bogus=1)  # was TypeError
    with pytest.raises(ReclaimError):  # a scheme without a collector says so; one with a collector names the mistake
        heap.collect(bogus=1)
    with pytest.raises(ReclaimError):
        heap.collect(1, 2)
    if scheme in ("manual", "refcount", "arc"):
        with pytest.raises(ReclaimError, match=f"the {scheme} scheme has no collector"):
            heap.collect(1)  # was TypeError
    assert "T" not in heap.types
