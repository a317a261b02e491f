"""Rc, Weak and RefCell: shared ownership with counts, and borrow rules checked at run time."""

from __future__ import annotations

import pytest

import memlab
from memlab.reclaim.ownership import (
    BorrowError,
    BorrowMutError,
    Option,
    Ownership,
    Rc,
    RefCell,
    String,
    Vec,
    borrow,
    borrow_mut,
    clone,
    downgrade,
    upgrade,
)
from memlab.reclaim.ownership.events import DropValue, FreeBlock


def heap():
    return memlab.allocator("bump", size=4096)


def frozen(own):
    h = own.allocator
    return own.snapshot().state(), (h.memory.read(h.start, h.capacity) if h is not None else b"")


def test_strong_and_weak_counts_follow_clone_downgrade_and_drop():
    h = heap()
    own = Ownership(h)
    with own.scope() as s:
        s.let("a", Rc(String("shared")))
        assert (s.strong_count("a"), s.weak_count("a")) == (1, 0)
        s.let("b", clone("a"))
        s.let("w", downgrade("a"))
        assert (s.strong_count("a"), s.weak_count("a")) == (2, 1)
        box = own.vars[0].value.box
        # the counts live in the RcBox's first two words (weak includes the strong refs' implicit one)
        assert h.memory.read_word(box.address) == 2 and h.memory.read_word(box.address + 8) == 2
        s.drop("b")
        assert s.strong_count("a") == 1
        assert own.lines[-2].rust == "let w = Rc::downgrade(&a);"


def test_upgrade_gives_none_after_the_last_strong_reference_is_dropped():
    h = heap()
    own = Ownership(h)
    with own.record() as rec:
        with own.scope() as s:
            s.let("a", Rc(String("x")))
            s.let("w", downgrade("a"))
            s.let("up", upgrade("w"))
            assert s.use("up") == "x" and s.strong_count("a") == 2
            s.drop("up")
            s.drop("a")
            assert s.strong_count("w") == 0
            s.let("gone", upgrade("w"))
            assert s.use("gone") is None
            # the String is dropped, but the RcBox stays allocated while a Weak points at it
            assert len(h.live()) == 1
    frees = [e.what for e in rec.recording.events if isinstance(e, FreeBlock)]
    assert frees == ["buffer", "RcBox"]
    assert h.live() == {}


def test_a_strong_cycle_through_refcell_is_never_freed():
    h = heap()
    own = Ownership(h)
    with own.scope() as s:
        s.let("a", Rc(RefCell(Option())))
        s.let("b", Rc(RefCell(Option(clone("a")))))
        s.store("a", Option(clone("b")))  # *a.borrow_mut() = Some(Rc::clone(&b)): a → b → a
        assert s.strong_count("a") == 2 and s.strong_count("b") == 2
    assert len(own.leaks()) == 2
    assert len(h.live()) == 2  # both RcBoxes stay allocated forever


def test_a_weak_back_pointer_lets_the_cycle_be_freed():
    h = heap()
    own = Ownership(h)
    with own.scope() as s:
        s.let("a", Rc(RefCell(Option())))
        s.let("b", Rc(RefCell(Option(clone("a")))))
        s.store("a", Option(downgrade("b")))
    assert own.leaks() == [] and h.live() == {}


def test_refcell_panics_like_rust_and_changes_nothing():
    """Rust 1.90's panic texts (rust-lang/rust PR 142216), one thread, so no thread id (Rust 1.91+)."""
    own = Ownership(heap())
    with own.scope() as s:
        s.let("c", RefCell(Vec([1])))
        s.let("r", borrow("c"))
        before = frozen(own)
        with pytest.raises(BorrowMutError) as info:
            s.let("w", borrow_mut("c"))
        where = info.value.where
        assert str(info.value) == f"thread 'main' panicked at step 4 ({where}):\nRefCell already borrowed"
        assert frozen(own) == before
        s.drop("r")
        s.let("w", borrow_mut("c"))
        before = frozen(own)
        with pytest.raises(BorrowError) as info:
            s.let("r2", borrow("c"))
        assert str(info.value).endswith(":\nRefCell already mutably borrowed")
        assert str(info.value).startswith("thread 'main' panicked at step 7")
        assert frozen(own) == before
        with pytest.raises(BorrowMutError, match="^thread 'main' panicked at step 8 .*:\nRefCell already borrowed$"):
            s.store("c", Vec([2]))  # *c.borrow_mut() = ... while `w` holds the RefMut
        s.push("w", 2)
        assert s.use("w") == [1, 2]


def test_refcell_guards_restore_the_flag_when_dropped_and_shared_borrows_stack():
    h = heap()
    own = Ownership(h)
    with own.record() as rec:
        with own.scope() as s:
            s.let("c", Rc(RefCell(5)))
            s.let("r1", borrow("c"))
            s.let("r2", borrow("c"))
            cell = own.vars[0].value.box.value
            assert cell.flag == 2
            assert h.memory.read_word(own.vars[0].value.box.address + 16) == 2  # the flag, in the RcBox
            with pytest.raises(BorrowMutError):
                s.store("c", 6)
            s.drop("r1")
            s.drop("r2")
            s.store("c", 6)
            assert s.use("c") == 6
    notes = [e.note for e in rec.recording.events if isinstance(e, DropValue) and e.path.startswith("r")]
    assert notes == ["the RefCell's borrow flag goes 2 → 1", "the RefCell's borrow flag goes 1 → 0"]


def test_a_panic_unwinds_the_scope_and_drops_its_locals():
    h = heap()
    own = Ownership(h)
    with pytest.raises(BorrowMutError):
        with own.scope() as s:
            s.let("name", String("kept until unwinding"))
            s.let("c", RefCell(1))
            s.let("g", borrow_mut("c"))
            s.let("g2", borrow_mut("c"))
    assert h.live() == {} and not own.open
    assert own.lines[-1].rust == "}"


def test_rc_refuses_what_it_is_not():
    own = Ownership()
    with own.scope() as s:
        s.let("x", 1)
        with pytest.raises(memlab.BadRequest):
            s.let("w", downgrade("x"))
        with pytest.raises(memlab.BadRequest):
            s.let("u", upgrade("x"))
        with pytest.raises(memlab.BadRequest):
            s.let("g", borrow("x"))
        with pytest.raises(memlab.BadRequest):
            s.strong_count("x")
