"""Ownership and borrowing: moves, borrows, drops, and rustc-worded errors that change nothing."""

from __future__ import annotations

import pytest

import memlab
from memlab.errors import BadRequest
from memlab.reclaim.ownership import (
    Box,
    Ownership,
    OwnershipError,
    String,
    Struct,
    Vec,
    clone,
    move,
    ref,
    ref_mut,
)
from memlab.reclaim.ownership.events import DropValue, FreeBlock


def heap():
    return memlab.allocator("bump", size=4096)


def frozen(own: Ownership):
    """Everything a refused statement must leave alone: variables, loans, heap and its bytes."""
    h = own.allocator
    start, end = h.extent() if h is not None else (0, 0)
    data = h.memory.read(start, end - start) if end > start else b""
    return own.snapshot().state(), data, h.stats() if h is not None else None


def refused(own: Ownership, code: str, statement, *args, **kw) -> OwnershipError:
    """Run a statement that must fail with ``code`` and must not change anything."""
    before = frozen(own)
    with pytest.raises(OwnershipError) as info:
        statement(*args, **kw)
    assert info.value.code == code
    assert frozen(own) == before
    return info.value


# -- moves -------------------------------------------------------------------------------------------
def test_use_after_move_is_e0382_with_rustc_labels():
    own = Ownership(heap())
    with own.scope() as s:
        s.let("x", Box(5))
        s.let("y", move("x"))
        err = refused(own, "E0382", s.use, "x")
    assert str(err).splitlines()[0] == "error[E0382]: borrow of moved value: `x`"
    texts = [(label.step, label.rust, label.text) for label in err.labels]
    assert texts == [
        (
            2,
            "let x = Box::new(5);",
            "move occurs because `x` has type `Box<i32>`, which does not implement the `Copy` trait",
        ),
        (3, "let y = x;", "value moved here"),
        (4, 'println!("{:?}", x);', "value borrowed here after move"),
    ]
    assert err.name == "x" and err.step == 4
    assert "test_ownership.py:" in str(err)  # points at the learner's line


def test_moving_a_moved_value_is_use_of_moved_value():
    own = Ownership()
    with own.scope() as s:
        s.let("s1", String("hi"))
        s.drop("s1")
        err = refused(own, "E0382", s.let, "s2", move("s1"))
    assert err.message == "use of moved value: `s1`"
    assert (err.labels[1].rust, err.labels[1].text) == ("drop(s1);", "value moved here")
    assert any(label.text == "value used here after move" for label in err.labels)


def test_moving_twice_in_one_statement_is_refused():
    own = Ownership()
    with own.scope() as s:
        s.let("a", String("x"))
        err = refused(own, "E0382", s.let, "v", Vec([move("a"), move("a")]))
    assert err.message == "use of moved value: `a`"


def test_copy_types_are_copied_not_moved():
    own = Ownership()
    with own.scope() as s:
        s.let("n", 5)
        s.let("m", move("n"))
        assert s.use("n") == 5 and s.use("m") == 5
        s.let("t", "text")  # a &'static str literal is Copy too
        s.let("u", move("t"))
        assert s.use("t") == "text"


def test_uninitialised_unknown_and_immutable_variables():
    own = Ownership()
    with own.scope() as s:
        s.let("r")
        err = refused(own, "E0381", s.use, "r")
        assert err.message == "used binding `r` isn't initialized"
        err = refused(own, "E0425", s.use, "nope")
        assert err.message == "cannot find value `nope` in this scope"
        s.let("x", 1)
        err = refused(own, "E0384", s.assign, "x", 2)
        assert err.message == "cannot assign twice to immutable variable `x`"
        err = refused(own, "E0596", s.let, "m", ref_mut("x"))
        assert err.message == "cannot borrow `x` as mutable, as it is not declared as mutable"
        s.assign("r", 7)  # the first assignment of `let r;` is fine
        assert s.use("r") == 7


# -- borrows (non-lexical lifetimes, as rustc today) -------------------------------------------------------
def test_two_mutable_borrows_then_use_of_the_first_is_e0499():
    own = Ownership()
    with own.scope() as s:
        s.let("v", Vec([1]), mut=True)
        s.let("a", ref_mut("v"))
        s.let("b", ref_mut("v"))  # allowed: `a` might never be used again
        err = refused(own, "E0499", s.use, "a")
    assert err.message == "cannot borrow `v` as mutable more than once at a time"
    assert [label.text for label in err.labels] == [
        "first mutable borrow occurs here",
        "second mutable borrow occurs here",
        "first borrow later used here",
    ]
    assert [label.step for label in err.labels] == [3, 4, 5]


def test_mutable_borrow_while_shared_is_e0502_at_the_later_use():
    own = Ownership(heap())
    with own.scope() as s:
        s.let("v", Vec([1, 2, 3]), mut=True)
        s.let("first", ref("v[0]"))
        s.push("v", 4)
        err = refused(own, "E0502", s.use, "first")
    assert err.message == "cannot borrow `v` as mutable because it is also borrowed as immutable"
    assert [label.text for label in err.labels] == [
        "immutable borrow occurs here",
        "mutable borrow occurs here",
        "immutable borrow later used here",
    ]


def test_shared_borrow_while_mutably_borrowed_is_e0502():
    own = Ownership()
    with own.scope() as s:
        s.let("x", 1, mut=True)
        s.let("m", ref_mut("x"))
        assert s.use("x") == 1
        err = refused(own, "E0502", s.store, "m", 2)
    assert err.message == "cannot borrow `x` as immutable because it is also borrowed as mutable"
    assert err.labels[-1].text == "mutable borrow later used here"


def test_a_borrow_that_is_never_used_again_does_not_conflict():
    own = Ownership()
    with own.scope() as s:
        s.let("v", Vec([1]), mut=True)
        s.let("r", ref("v"))
        assert s.use("r") == [1]
        s.push("v", 2)  # fine under non-lexical lifetimes: `r` is finished
        assert s.use("v") == [1, 2]


def test_move_out_while_borrowed_is_e0505():
    own = Ownership()
    with own.scope() as s:
        s.let("x", Box(3))
        s.let("r", ref("x"))
        s.let("y", move("x"))
        err = refused(own, "E0505", s.use, "r")
    assert err.message == "cannot move out of `x` because it is borrowed"
    assert [label.text for label in err.labels] == [
        "borrow of `x` occurs here",
        "move out of `x` occurs here",
        "borrow later used here",
    ]


def test_assign_while_borrowed_is_e0506():
    own = Ownership()
    with own.scope() as s:
        s.let("n", String("a"), mut=True)
        s.let("r", ref("n"))
        s.assign("n", String("b"))
        err = refused(own, "E0506", s.use, "r")
    assert err.message == "cannot assign to `n` because it is borrowed"
    assert err.labels[1].text == "`n` is assigned to here but it was already borrowed"


def test_reference_that_outlives_its_owner_is_e0597():
    own = Ownership()
    with own.scope() as s:
        s.let("r")
        with s.scope() as inner:
            inner.let("x", 5)
            inner.assign("r", ref("x"))
        err = refused(own, "E0597", s.use, "r")
    assert err.message == "`x` does not live long enough"
    assert [label.text for label in err.labels] == [
        "borrowed value does not live long enough",
        "`x` dropped here while still borrowed",
        "borrow later used here",
    ]
    assert err.labels[1].rust == "}"


def test_mutation_through_a_shared_reference_is_refused():
    own = Ownership()
    with own.scope() as s:
        s.let("v", Vec([1]))
        s.let("r", ref("v"))
        err = refused(own, "E0596", s.push, "r", 2)
        assert err.message == "cannot borrow `*r` as mutable, as it is behind a `&` reference"
        err = refused(own, "E0594", s.store, "r", Vec([2]))
        assert err.message == "cannot assign to `*r`, which is behind a `&` reference"


# -- lexical lifetimes (Rust 2015): the conflict itself is the error ----------------------------------
@pytest.mark.parametrize(
    ("code", "program"),
    [
        ("E0499", lambda s: (s.let("a", ref_mut("v")), s.let("b", ref_mut("v")))),
        ("E0502", lambda s: (s.let("a", ref("v")), s.push("v", 1))),
        ("E0505", lambda s: (s.let("a", ref("v")), s.let("w", move("v")))),
        ("E0506", lambda s: (s.let("a", ref("v")), s.assign("v", Vec([])))),
    ],
)
def test_lexical_mode_refuses_the_conflicting_statement(code, program):
    own = Ownership(heap(), lifetimes="lexical")
    with own.scope() as s:
        s.let("v", Vec([0]), mut=True)
        before = frozen(own)
        with pytest.raises(OwnershipError) as info:
            program(s)
        assert info.value.code == code
        assert "lexical lifetimes" in str(info.value)
        # the first statement ran; the second changed nothing
        assert frozen(own) != before
        assert own.lines[-1].error == code


def test_lexical_mode_refuses_storing_a_reference_in_an_older_variable():
    own = Ownership(lifetimes="lexical")
    with own.scope() as s:
        s.let("r")
        with s.scope() as inner:
            inner.let("x", 5)
            err = refused(own, "E0597", inner.assign, "r", ref("x"))
    assert "`r` was declared before `x`" in str(err)


# -- drops ---------------------------------------------------------------------------------------------
def drops(recording) -> list[str]:
    return [e.path for e in recording.events if isinstance(e, DropValue)]


def test_locals_drop_in_reverse_order_and_fields_in_declaration_order():
    own = Ownership(heap())
    with own.record() as rec:
        with own.scope() as s:
            s.let("a", String("first"))
            s.let("p", Box(Struct("Pair", left=String("L"), right=Box(String("R")))))
            s.let("c", String("third"))
    assert drops(rec.recording) == ["c", "p", "*p", "*p.left", "*p.right", "**p.right", "a"]
    assert own.allocator.live() == {}


def test_drop_frees_heap_blocks_and_shadowing_does_not_drop():
    h = heap()
    own = Ownership(h)
    with own.record() as rec:
        with own.scope() as s:
            s.let("s", String("old"))
            s.let("s", String("new"))  # shadows: the old String lives to the end of the scope
            assert len(h.live()) == 2
            assert s.use("s") == "new"
    freed = [(e.path, e.size) for e in rec.recording.events if isinstance(e, FreeBlock)]
    assert freed == [("s", 3), ("s", 3)]
    assert h.live() == {}


def test_assignment_drops_the_old_value_first():
    own = Ownership(heap())
    with own.record() as rec:
        with own.scope() as s:
            s.let("s", String("one"), mut=True)
            s.assign("s", String("two"))
            events = rec.recording.events
            assert [e.kind for e in events[-3:]] == ["dropvalue", "freeblock", "assign"]


def test_values_are_written_into_the_heap_bytes():
    h = heap()
    own = Ownership(h)
    with own.scope() as s:
        s.let("b", Box(String("hey")))
        value = own.vars[0].value
        inner = value.inner
        assert h.memory.read(inner.address, 3) == b"hey"
        # the Box's block holds the String's three words: pointer, capacity, length
        assert h.memory.read_word(value.address) == inner.address
        assert h.memory.read_word(value.address + 16) == 3


def test_drop_moves_into_std_mem_drop_and_frees_now():
    h = heap()
    own = Ownership(h)
    with own.scope() as s:
        s.let("b", Box(1))
        s.drop("b")
        assert h.live() == {}
        assert own.snapshot().var("b").state == "moved"


def test_clone_makes_a_deep_copy():
    h = heap()
    own = Ownership(h)
    with own.scope() as s:
        s.let("a", String("abc"))
        s.let("b", clone("a"))
        assert len(h.live()) == 2 and s.use("a") == s.use("b") == "abc"


def test_vec_push_grows_like_rust_and_may_move_the_buffer():
    h = heap()
    own = Ownership(h)
    with own.record() as rec:
        with own.scope() as s:
            s.let("v", Vec([1, 2, 3]), mut=True)
            s.let("other", Box(0))  # sits after the buffer: growing must move it
            old = own.vars[0].value.address
            s.push("v", 4)
            new = own.vars[0].value.address
    assert new != old
    assert "capacity 6" in rec.recording.events[-8].describe() or any(
        "capacity 6" in e.describe() for e in rec.recording.events
    )
    assert any(f"{old:#x} → {new:#x}" in e.describe() for e in rec.recording.events)


# -- the API refuses what it cannot mean ----------------------------------------------------------------
def test_bad_input_is_a_typed_error_and_changes_nothing():
    own = Ownership()
    with own.scope() as s:
        s.let("x", 1)
        before = frozen(own)
        for bad in (
            lambda: s.let("1x", 1),
            lambda: s.let("y", 1.5),
            lambda: s.let("y", object()),
            lambda: s.use("x[0"),
            lambda: s.let("y", ref("")),
            lambda: s.push("x", 1),
        ):
            with pytest.raises(BadRequest):
                bad()
        assert frozen(own) == before
        with s.scope() as inner:
            with pytest.raises(BadRequest, match="innermost"):
                s.let("z", 1)
            inner.let("z", 1)
    with pytest.raises(BadRequest):
        Ownership(lifetimes="sometimes")


def test_a_value_cannot_have_two_owners():
    own = Ownership()
    b = Box(1)
    with own.scope() as s:
        s.let("a", b)
        with pytest.raises(BadRequest, match="already owned"):
            s.let("c", b)


def test_refused_statements_are_recorded_for_the_timeline():
    own = Ownership()
    with own.record() as rec:
        with own.scope() as s:
            s.let("x", Box(1))
            s.let("y", move("x"))
            with pytest.raises(OwnershipError):
                s.use("x")
    kinds = rec.recording.kinds()
    assert kinds[:4] == ["scope", "let", "let", "rejected"]
    assert rec.recording.events[3].describe() == "error[E0382]: borrow of moved value: `x`"
    assert [line.error for line in own.lines] == ["", "", "", "E0382", ""]


def test_the_timeline_marks_name_where_a_value_moved_and_drops_see_the_final_state():
    own = Ownership(heap())
    seen = []
    with own.record() as rec:
        with own.scope() as s:
            s.let("x", String("hi"))
            s.let("y", move("x"))
            s.let("z", Box(1))
            s.drop("z")
            seen.append(own.snapshot())
    snap = seen[0]
    x, y, z = snap.var("x"), snap.var("y"), snap.var("z")
    assert x.state == "moved" and [(m.kind, m.other) for m in x.marks] == [("init", ""), ("move_out", "y")]
    assert [(m.kind, m.other) for m in y.marks] == [("init", "x")]
    assert z.state == "moved" and [m.kind for m in z.marks] == ["init", "drop"]
    drop_frames = [f for f in rec.recording if isinstance(f.event, DropValue) and "z" in f.event.describe()]
    assert drop_frames and drop_frames[0].snapshot.var("z").state == "moved"  # state set before the drop glue


def test_braces_say_in_words_what_they_do():
    own = Ownership()
    with own.record() as rec:
        with own.scope() as s:
            s.let("a", String("x"))
            with s.scope() as inner:
                inner.let("n", 1)
            s.let("b", move("a"))
    said = [f.describe() for f in rec.recording if f.event is not None]
    assert said[0] == "fn main() {   (the program begins)"
    assert said[2] == "{   (a block begins)"
    assert "}   (end of the block: drop `n`)" in said
    assert "}   (end of the block: drop `b`)" in said  # `a` was moved out: nothing to drop for it


# -- a Vec holds elements of one type (rustc's E0308) ------------------------------------------------
@pytest.mark.parametrize(
    ("items", "expected", "found"),
    [
        ([1, Box(2)], "i32", "Box<i32>"),  # was accepted, and wrote 8-byte elements into a 4-byte-slot buffer
        ([5, Vec([5])], "i32", "Vec<i32>"),
        ([Box(1), String("abc")], "Box<i32>", "String"),
        ([1, [2]], "i32", "Vec<i32>"),
        ([Vec([1]), Vec([Box(2)])], "Vec<i32>", "Vec<Box<i32>>"),
    ],
)
def test_a_vec_of_two_types_is_e0308_mismatched_types_and_changes_nothing(items, expected, found):
    own = Ownership(memlab.allocator("freelist"))
    with own.scope() as s:
        s.let("keep", Box(7))
        e = refused(own, "E0308", s.let, "v", Vec(items))
        own.allocator.check()
    assert str(e).startswith("error[E0308]: mismatched types\n")
    assert f"expected `{expected}`, found `{found}`" in str(e)
    assert "holds elements of one type" in str(e)


def test_elements_of_one_type_are_accepted_and_an_empty_vec_takes_its_first_elements_type():
    own = Ownership(memlab.allocator("freelist"))
    with own.scope() as s:
        s.let("x", Box(3))
        s.let("v", Vec([Box(1), move("x"), Box(2)]))
        s.let("w", Vec([Vec([]), Vec([Box(4)])]))
        s.let("e", Vec([]), mut=True)
        for i in range(5):  # an empty Vec's buffer is sized by the first element pushed (8-byte boxes here)
            s.push("e", Box(i))
            own.allocator.check()
        assert s.use("e") == [0, 1, 2, 3, 4] and s.use("v") == [1, 3, 2]
        refused(own, "E0308", s.push, "e", 5)
    assert own.allocator.live() == {}


@pytest.mark.parametrize(
    ("item", "code", "words"),
    [
        (move("r"), "E0308", "a Vec cannot hold itself"),  # was a RecursionError
        (ref("r"), "E0502", "cannot borrow `r` as immutable because it is also borrowed as mutable"),  # was accepted
        (ref_mut("r"), "E0499", "cannot borrow `r` as mutable more than once at a time"),
    ],
)
def test_pushing_a_vec_into_itself_is_refused_as_rustc_refuses_it(item, code, words):
    for start in ([1], []):
        own = Ownership(memlab.allocator("freelist"))
        with own.scope() as s:
            s.let("r", Vec(start), mut=True)
            e = refused(own, code, s.push, "r", item)
            assert words in str(e)
            assert s.use("r") == start
        assert own.allocator.live() == {}


def test_a_reference_cannot_become_an_element():
    own = Ownership(memlab.allocator("freelist"))
    with own.scope() as s:
        s.let("x", 5)
        s.let("v", Vec([1]), mut=True)
        before = frozen(own)
        with pytest.raises(BadRequest, match="memlab keeps references in variables only"):
            s.push("v", ref("x"))
        assert frozen(own) == before
