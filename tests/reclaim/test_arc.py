"""ARC as in Swift: inserted retains/releases, weak and unowned references, states, pools."""

import pytest

from memlab.errors import UseAfterFree
from memlab.reclaim import ARCError, DoubleRelease, Heap, NoAutoreleasePool, RetainOfFreed, UnownedAccess


def say(template):
    return lambda obj: print(template.format(obj=obj))


def person_apartment():
    heap = Heap("arc")
    person = heap.type("Person", ["apartment"], deinit=say("{obj.name} is being deinitialized"))
    apartment = heap.type("Apartment", ["weak tenant"], deinit=say("Apartment {obj.name} is being deinitialized"))
    return heap, person, apartment


def test_tspl_person_and_apartment_with_a_weak_tenant(capsys):
    heap, person, apartment = person_apartment()
    g = heap.globals
    g.john = heap.new(person, name="John Appleseed")
    g.unit4A = heap.new(apartment, name="4A")
    g.john.apartment = g.unit4A
    g.unit4A.tenant = g.john
    john = g.john
    g.john = None
    assert capsys.readouterr().out == "John Appleseed is being deinitialized\n"
    assert g.unit4A.tenant is None  # zeroing weak reference
    assert john.state == "freed"  # memory gone, side table kept by the weak reference
    assert heap.snapshot().node("John Appleseed").tags == ("side table",)
    g.unit4A = None
    assert capsys.readouterr().out == "Apartment 4A is being deinitialized\n"
    assert john.state == "dead" and heap.objects == {} and heap.allocator.live() == {}


def test_tspl_strong_reference_cycle_leaks(capsys):
    heap = Heap("arc")
    person = heap.type("Person", ["apartment"], deinit=say("{obj.name} is being deinitialized"))
    apartment = heap.type("Apartment", ["tenant"], deinit=say("Apartment {obj.name} is being deinitialized"))
    g = heap.globals
    g.john = heap.new(person, name="John Appleseed")
    g.unit4A = heap.new(apartment, name="4A")
    g.john.apartment = g.unit4A
    g.unit4A.tenant = g.john
    g.john = None
    g.unit4A = None
    assert capsys.readouterr().out == ""
    assert [n.count("strong") for n in heap.snapshot().nodes] == [1, 1]


def test_tspl_customer_and_credit_card_with_an_unowned_customer(capsys):
    heap = Heap("arc")
    customer = heap.type("Customer", ["card"], deinit=say("{obj.name} is being deinitialized"))
    card_deinit = say("Card #{obj.number} is being deinitialized")
    card = heap.type("CreditCard", ["int number", "unowned customer"], deinit=card_deinit)
    g = heap.globals
    g.john = heap.new(customer, name="John Appleseed")
    g.john.card = heap.new(card, name="card", number=1234_5678_9012_3456, customer=g.john)
    assert heap.snapshot().node("John Appleseed").counts == (("strong", 1), ("unowned", 2))
    g.john = None
    assert capsys.readouterr().out == (
        "John Appleseed is being deinitialized\nCard #1234567890123456 is being deinitialized\n"
    )
    assert heap.objects == {} and heap.allocator.live() == {}


def test_the_listing_shows_the_inserted_calls():
    heap, person, apartment = person_apartment()
    with heap.scope("main") as s:
        s.john = heap.new(person, name="John")
        s.unit4A = heap.new(apartment, name="4A")
        s.john.apartment = s.unit4A
    listing = heap.listing()
    assert listing.splitlines()[0] == 'var john = Person("John")'
    calls = [line.split("//")[0].strip() for line in listing.splitlines() if line.startswith("    ")]
    assert calls == [
        "swift_allocObject(Person)",
        "swift_allocObject(Apartment)",
        "swift_retain(unit4A)",
        "swift_release(unit4A)",
        "swift_release(john)",
        "Person.deinit(john)",
        "swift_release(unit4A)",
        "Apartment.deinit(unit4A)",
        "swift_unownedRelease(unit4A)",
        "swift_deallocObject(unit4A)",
        "swift_unownedRelease(john)",
        "swift_deallocObject(john)",
    ]
    assert "john.apartment = unit4A" in listing and "} // end of main" in listing


def test_object_states_live_deiniting_deinited_freed_dead():
    heap = Heap("arc")
    t = heap.type("T", [])
    holder = heap.type("Holder", ["weak w", "unowned u"])
    g = heap.globals
    g.x = heap.new(t, name="x")
    g.h = heap.new(holder, name="h", w=g.x, u=g.x)
    with heap.record() as rec:
        g.x = None  # strong count 0: deinit; memory kept by the unowned reference
        assert heap.snapshot().node("x").state == "deinited"
        g.h.u = None  # unowned count 0: memory freed; side table kept by the weak reference
        assert heap.snapshot().node("x").state == "freed"
        g.h.w = None  # weak count 0: side table freed
    states = [(e.old, e.new) for e in rec.recording.events if e.kind == "statechange" and e.obj == "x"]
    assert states == [("live", "deiniting"), ("deiniting", "deinited"), ("freed", "dead")]
    kinds = [e.kind for e in rec.recording.events if getattr(e, "obj", "") == "x"]
    assert kinds.count("dealloc") == 2  # the object, then its side table
    assert "x" not in heap.snapshot()


def test_reading_an_unowned_reference_after_deinit_traps_with_swifts_words():
    heap = Heap("arc")
    t = heap.type("T", [])
    holder = heap.type("Holder", ["unowned owner"])
    g = heap.globals
    g.x = heap.new(t, name="x")
    g.h = heap.new(holder, name="h", owner=g.x)
    address = g.x.address
    g.x = None
    before = heap.snapshot()
    with pytest.raises(UnownedAccess) as info:
        g.h.owner  # noqa: B018
    assert isinstance(info.value, UseAfterFree) and isinstance(info.value, ARCError)
    assert str(info.value).startswith(
        f"Fatal error: Attempted to read an unowned reference but object {address:#x} was already deallocated "
        "(h.owner refers to x, deinitialized at step 5)"
    )
    assert heap.snapshot() == before


def test_weak_variables_read_nil_after_deinit():
    heap = Heap("arc")
    t = heap.type("T", [])
    with heap.scope("main") as s:
        s.strong = heap.new(t, name="x")
        s.var("w", s.strong, kind="weak")
        assert s.w is s.strong
        s.strong = None
        assert s.w is None


def test_a_cycle_closed_by_a_weak_reference_is_freed_without_a_collector():
    heap = Heap("arc")
    node = heap.type("Node", ["child", "weak parent"])
    with heap.scope("main") as s:
        s.p = heap.new(node, name="parent")
        for i in range(3):
            child = heap.new(node, name=f"c{i}")
            child.parent = s.p
            child.child = s.p.child
            s.p.child = child
        s.p.parent = s.p  # a weak reference to itself
    assert heap.objects == {} and heap.allocator.live() == {}


def test_autorelease_pool_releases_its_objects_when_it_ends():
    heap = Heap("arc")
    t = heap.type("T", [])
    with heap.record() as rec:
        with heap.scope("main") as s:
            with heap.autoreleasepool():
                for i in range(3):
                    heap.autorelease(heap.new(t, name=f"tmp{i}"))
                s.kept = heap.autorelease(heap.new(t, name="kept"))
                s.kept = s.kept  # retain before releasing: still alive
                assert len(heap.live()) == 4
            assert [o.name for o in heap.live()] == ["kept"]
    pools = [e.describe() for e in rec.recording.events if e.kind == "pool"]
    assert pools == [
        "objc_autoreleasePoolPush: pool 1 begins",
        "objc_autoreleasePoolPop: pool 1 ends, releasing 4 object(s)",
    ]


def test_an_inner_pool_per_iteration_keeps_the_peak_low():
    def peak(inner):
        heap = Heap("arc")
        t = heap.type("T", [])
        with heap.autoreleasepool():
            for _ in range(50):
                if inner:
                    with heap.autoreleasepool():
                        heap.autorelease(heap.new(t))
                else:
                    heap.autorelease(heap.new(t))
        return heap.allocator.stats().peak_live_bytes

    assert peak(inner=False) == 50 * peak(inner=True)


def test_autorelease_without_a_pool():
    heap = Heap("arc")
    t = heap.type("Widget", [])
    heap.globals.w = heap.new(t, name="w")
    with pytest.raises(NoAutoreleasePool, match=r"Object 0x[0-9a-f]+ of class Widget \(w\) autoreleased with no pool"):
        heap.autorelease(heap.globals.w)


def test_double_release_and_retain_of_freed_use_swifts_names():
    heap = Heap("arc")
    t = heap.type("T", [])
    g = heap.globals
    g.x = heap.new(t, name="x")
    before = heap.snapshot()
    with pytest.raises(DoubleRelease, match=r"swift_release\(x\) without a matching retain"):
        heap.release(g.x)
    assert heap.snapshot() == before
    x = g.x
    g.x = None
    with pytest.raises(RetainOfFreed, match=r"swift_retain\(x\): the object at 0x[0-9a-f]+ is dead since step 3"):
        heap.retain(x)


def test_a_deinit_may_not_let_self_escape(capsys):
    heap = Heap("arc")
    t = heap.type("T", [], deinit=lambda obj: setattr(heap.globals, "saved", obj))
    heap.globals.saved = None
    with heap.scope("main") as s:
        s.x = heap.new(t, name="x")
    assert isinstance(heap.ignored[0], ARCError)
    assert "the deinit of x" in str(heap.ignored[0]) and "dangling" in str(heap.ignored[0])
    assert heap.globals.saved is None and heap.objects == {}
    assert "Exception ignored in deinit of x" in capsys.readouterr().err
