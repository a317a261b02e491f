"""The stack allocator: LIFO, frames with saved frame pointers in the bytes, typed errors that change nothing."""

import pytest

import memlab
from memlab import BadAlignment, BadSize, DoubleFree, InvalidFree, OutOfMemory, OutOfOrderFree
from memlab.allocators.stack import Stack, StackOverflow, StackUnderflow
from memlab.demos import demo
from memlab.viz.stack import stack_svg


def state(stack):
    return stack.layout(), stack.memory.read(stack.base, stack.size), stack.sp, stack.frames


def test_blocks_are_bumped_and_freed_from_the_top():
    stack = memlab.allocator("stack", size=128)
    a, b = stack.alloc(3), stack.alloc(8)
    assert b - a == 8 and stack.sp == b + 8
    stack.free(b)
    assert stack.sp == a + 3, "the stack pointer moves back to the end of the block below"
    stack.free(a)
    assert stack.sp == stack.base and stack.reclaimed()


def test_out_of_order_free_names_the_top_and_changes_nothing():
    stack = Stack(128)
    a = stack.alloc(16)
    top = stack.alloc(8)
    stack.memory.write(a, b"keep these bytes")
    before = state(stack)
    expected = rf"free of {a:#x} out of order: .*top is the block {top:#x} \(8 bytes, allocated at step 2\)"
    with pytest.raises(OutOfOrderFree, match=expected) as info:
        stack.free(a)
    assert info.value.step == 3 and isinstance(info.value, InvalidFree)
    assert state(stack) == before


def test_a_frame_stores_the_saved_frame_pointer_in_memory():
    stack = Stack(128)
    main = stack.push_frame("main")
    f = stack.push_frame("f")
    assert stack.memory.read_word(main.address) == 0, "the outermost frame saves NULL"
    assert stack.memory.read_word(f.address) == main.address, "the inner frame saves the outer frame's address"
    states = [b.state for b in stack.layout()]
    assert states == ["metadata", "metadata", "free"]


def test_pop_frame_frees_all_its_blocks_in_one_step():
    stack = Stack(256)
    outer = stack.alloc(8)
    frame = stack.push_frame("parse")
    inner = [stack.alloc(n) for n in (5, 24, 7)]
    with stack.record() as rec:
        popped = stack.pop_frame()
    assert popped == frame and stack.sp == frame.address
    assert rec.recording.kinds() == ["popframe"]
    assert rec.recording.events[0].describe() == (
        f"pop frame 'parse': 3 blocks (36 bytes) freed at once, the stack pointer moves back to {frame.address:#x}"
    )
    assert list(stack.live()) == [outer] and stack.stats().frees == 3
    with pytest.raises(DoubleFree):
        stack.free(inner[0])


def test_a_block_under_a_frame_cannot_be_freed_before_the_frame_is_popped():
    stack = Stack(128)
    a = stack.alloc(8)
    stack.push_frame("g")
    with pytest.raises(OutOfOrderFree, match="the frame 'g' pushed at step 2; pop_frame\\(\\) first"):
        stack.free(a)
    stack.pop_frame()
    stack.free(a)


def test_frame_context_pops_even_when_the_body_raises():
    stack = Stack(128)
    with pytest.raises(KeyError), stack.frame("risky"):
        stack.alloc(16)
        stack.push_frame("inner")
        stack.alloc(4)
        raise KeyError("the body fails")
    assert stack.reclaimed() and stack.frames == []


def test_overflow_and_underflow_are_typed_and_change_nothing():
    stack = Stack(64)
    stack.alloc(40)
    before = state(stack)
    with pytest.raises(StackOverflow, match="stack overflow: 32 bytes at .* would end 8 bytes past the 64-byte stack"):
        stack.alloc(32)
    assert issubclass(StackOverflow, OutOfMemory) and stack.stats().failures == 1
    assert state(stack) == before
    stack2 = Stack(16)
    stack2.alloc(12)
    with pytest.raises(StackOverflow, match="frame record"):
        stack2.push_frame("no room")
    with pytest.raises(StackUnderflow, match="pop_frame\\(\\) with no frame pushed"):
        stack.pop_frame()
    assert state(stack) == before


def test_resize_and_realloc_only_touch_the_top():
    stack = Stack(128)
    a = stack.alloc(8)
    b = stack.alloc(8)
    assert not stack.resize(a, 16) and not stack.resize(a, 4)
    assert stack.resize(b, 40) and stack.sp == b + 40
    assert stack.realloc(b, 10) == b and stack.sp == b + 10
    before = state(stack)
    with pytest.raises(OutOfOrderFree, match="realloc of .* would free it out of order"):
        stack.realloc(a, 64)
    with pytest.raises(StackOverflow):
        stack.realloc(b, 500)
    assert state(stack) == before


@pytest.mark.parametrize(
    "action,error",
    [
        (lambda s, a: s.alloc(0), BadSize),
        (lambda s, a: s.alloc(-1), BadSize),
        (lambda s, a: s.alloc(8, 12), BadAlignment),
        (lambda s, a: s.free(a + 1), InvalidFree),
        (lambda s, a: s.free(7), InvalidFree),
    ],
)
def test_bad_input(action, error):
    stack = Stack(64)
    a = stack.alloc(16)
    stack.memory.write(a, b"0123456789abcdef")
    before = state(stack)
    with pytest.raises(error):
        action(stack, a)
    assert state(stack) == before


def test_check_finds_a_clobbered_saved_frame_pointer():
    stack = Stack(64)
    frame = stack.push_frame("f")
    stack.check()
    stack.memory.write_word(frame.address, 0xBAD)
    with pytest.raises(memlab.HeapCorruption, match="lost its saved frame pointer"):
        stack.check()


def test_demo_pops_a_frame_in_one_store_and_shows_the_refused_free():
    player = demo("stack")
    player.seek(-1)
    assert player.caption == "Step 10 of 10: alloc 8 bytes at 0x10018"
    assert "0x10018: 8 bytes, allocated" in player.html, "main reuses the bytes parse had"
    assert ">main<" in player.html and ">parse<" not in player.html, "only main's frame is left"
    assert "24 bytes, allocated" not in player.html and "20 bytes, allocated" not in player.html
    script = player.recording.script()
    assert "refused: free of 0x10008 out of order" in script
    assert "pop frame 'parse': 2 blocks (44 bytes) freed at once" in script


def test_stack_view_draws_frames_saved_pointers_and_sp():
    stack = Stack(128)
    stack.push_frame("main")
    stack.alloc(16)
    stack.push_frame("parse")
    with stack.record() as rec:
        stack.alloc(24)
    svg = stack_svg(rec.recording[-1].snapshot, event=rec.recording[-1].event)
    assert ">main<" in svg and ">parse<" in svg
    assert "saved fp = 0x0" in svg and "saved fp = 0x10000" in svg, "each record shows the pointer it holds"
    assert "local, 24 B" in svg and "sp →" in svg
    assert 'stroke="#000000" stroke-width="2.5"' in svg, "the new block is outlined"
