"""Object pools: recycling, reset, exhaustion, stale handles, leaks, events."""

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

import memlab
from memlab.allocators.buddy import Buddy
from memlab.allocators.objectpool import (
    DoubleHandleRelease,
    ForeignObject,
    ObjectLeak,
    ObjectPool,
    PoolExhausted,
    UseAfterRelease,
)
from memlab.errors import (
    BadAlignment,
    BadRequest,
    DoubleFree,
    InvalidFree,
    MemlabError,
    OutOfMemory,
    TooLarge,
    UseAfterFree,
)
from memlab.viz.pool import objectpool_svg


def particles(**kw):
    return ObjectPool(("x", "y", "life"), 4, name="Particle", **kw)


def test_objects_live_in_simulated_memory_as_64_bit_fields():
    pool = particles()
    p = pool.acquire()
    p.x, p.y, p.life = 3, -1, 1 << 40
    assert pool.memory.read_word(p.address) == 3
    assert pool.memory.read(p.address + 8, 8) == b"\xff" * 8
    assert p.values() == {"x": 3, "y": -1, "life": 1 << 40}
    assert repr(p).startswith(f"<Particle #{p.index} at {p.address:#x}: x=3")


def test_the_pool_allocates_once_and_recycles_afterwards():
    pool = particles()
    seen = set()
    for _ in range(1000):
        p = pool.acquire()
        seen.add(p.address)
        pool.release(p)
    assert pool.acquires == 1000 and pool.allocations == 4
    assert pool.allocator.stats().allocs == 4
    assert len(seen) == 1  # LIFO: the object just released is handed out again


def test_release_resets_the_object_by_default_to_zero_and_with_a_callback():
    pool = particles()
    p = pool.acquire()
    p.x = 7
    pool.release(p)
    assert pool.acquire().x == 0
    custom = particles(reset=lambda obj: setattr(obj, "life", 100))
    assert custom.acquire().life == 100  # new objects start reset too
    q = custom.acquire()
    q.life = 3
    custom.release(q)
    assert custom.acquire().life == 100


def test_a_reset_that_fails_leaves_the_object_in_use_and_unchanged():
    def bad(obj):
        obj.x = 99
        if obj.y:
            raise RuntimeError("cannot reset")

    pool = particles(reset=bad)
    p = pool.acquire()
    p.x, p.y = 1, 2
    with pytest.raises(MemlabError, match="reset of object #.* failed.*it stays in use"):
        pool.release(p)
    assert p.alive and p.x == 1 and pool.in_use == 1


def test_exhaustion_raises_with_the_holders_and_changes_nothing():
    pool = particles()
    held = [pool.acquire() for _ in range(4)]
    before = pool.snapshot()
    with pytest.raises(PoolExhausted, match=r"all 4 objects are in use \(#0 since step 1, #1 since step 2") as info:
        pool.acquire()
    assert isinstance(info.value, OutOfMemory) and info.value.step == 5
    assert pool.snapshot() == before and all(h.alive for h in held)


def test_the_grow_policy_doubles_the_pool_and_says_so():
    pool = particles(on_empty="grow")
    for _ in range(4):
        pool.acquire()
    with pool.record() as rec:
        pool.acquire()
    assert rec.recording.kinds() == ["refill", "acquire"]
    assert rec.recording.events[0].describe() == "pool exhausted: allocate 4 more objects (capacity 8)"
    assert pool.capacity == 8 and pool.allocations == 8


def test_double_release_is_caught_even_after_the_object_was_handed_out_again():
    pool = particles()
    p = pool.acquire()
    pool.release(p)
    with pytest.raises(DoubleHandleRelease, match="double release: object #0 was released at step 2, address") as info:
        pool.release(p)
    assert isinstance(info.value, DoubleFree)
    q = pool.acquire()
    with pytest.raises(DoubleHandleRelease, match="released at step 2 and acquired again at step 4"):
        pool.release(p)
    assert q.alive and pool.in_use == 1


def test_a_stale_handle_cannot_read_or_write_the_new_owners_object():
    pool = particles()
    p = pool.acquire()
    pool.release(p)
    q = pool.acquire()
    q.x = 5
    with pytest.raises(UseAfterRelease) as info:
        p.x = 1
    assert isinstance(info.value, UseAfterFree)
    assert "write of .x through a stale handle" in str(info.value)
    assert q.x == 5 and not p.alive and repr(p).endswith("released>")


def test_foreign_objects_are_refused():
    pool, other = particles(), particles()
    stranger = other.acquire()
    for thing, text in ((stranger, "object #0 of another pool"), ("p", "not an object of this pool")):
        with pytest.raises(ForeignObject, match=text) as info:
            pool.release(thing)
        assert isinstance(info.value, InvalidFree)
    assert stranger.alive


def test_bad_field_values_and_options():
    pool = particles()
    p = pool.acquire()
    with pytest.raises(BadRequest, match="64-bit integer"):
        p.x = 1.5
    with pytest.raises(BadRequest):
        p.x = 1 << 63
    for options in ({"fields": ()}, {"fields": ("a", "a")}, {"capacity": 0}, {"on_empty": "block"}):
        with pytest.raises(BadRequest):
            ObjectPool(**options)


def test_leak_report_names_each_unreleased_object_and_when_it_was_acquired():
    pool = particles()
    a, b = pool.acquire(), pool.acquire()
    a.life = 9
    pool.release(pool.acquire())
    assert pool.leak_report() == (
        "2 of 4 objects never released:\n"
        f"  object #0 at {a.address:#x}, acquired at step 1: x=0, y=0, life=9\n"
        f"  object #1 at {b.address:#x}, acquired at step 2: x=0, y=0, life=0"
    )
    with pytest.raises(ObjectLeak, match="2 of 4 objects never released"):
        pool.close()
    pool.release(a), pool.release(b)
    assert pool.leak_report().startswith("no leaks")


def test_closing_returns_every_object_to_the_allocator_underneath():
    heap = Buddy(max_order=10)
    with ObjectPool(("a", "b"), 3, allocator=heap) as pool:
        pool.release(pool.acquire())
        assert heap.stats().live_blocks == 3
    assert heap.reclaimed()


def test_events_and_view():
    pool = particles()
    with pool.record() as rec:
        p = pool.acquire()
        pool.release(p)
    assert rec.recording.kinds() == ["acquire", "release"]
    assert rec.recording.events[0].describe() == f"acquire object #0 at {p.address:#x} (1 in use)"
    svg = objectpool_svg(rec.recording[1].snapshot, event=rec.recording[1].event)
    assert "in use since step 1" in svg and "life = 0" in svg and 'stroke-width="2.5"' in svg


class PoolMachine(RuleBasedStateMachine):
    """Random acquire/release/misuse: the pool's books always match the program's."""

    def __init__(self):
        super().__init__()
        self.pool = ObjectPool(("v",), 3, on_empty="grow")
        self.held, self.stale = [], []

    @rule(value=st.integers(-(2**63), 2**63 - 1))
    def acquire(self, value):
        h = self.pool.acquire()
        assert h.v == 0
        h.v = value
        self.held.append((h, value))

    @precondition(lambda self: self.held)
    @rule(i=st.integers(0, 99))
    def release(self, i):
        h, _ = self.held.pop(i % len(self.held))
        self.pool.release(h)
        self.stale.append(h)

    @precondition(lambda self: self.stale)
    @rule(i=st.integers(0, 99))
    def misuse(self, i):
        h = self.stale[i % len(self.stale)]
        before = self.pool.snapshot()
        with pytest.raises((DoubleHandleRelease, UseAfterRelease)):
            self.pool.release(h) if i % 2 else h.v
        assert self.pool.snapshot() == before

    @invariant()
    def books_balance(self):
        assert self.pool.in_use == len(self.held)
        assert all(h.v == v for h, v in self.held)
        assert len(set(h.address for h, _ in self.held)) == len(self.held)


PoolMachine.TestCase.settings = settings(
    max_examples=40, stateful_step_count=30, deadline=None, suppress_health_check=list(HealthCheck)
)
TestPoolMachine = PoolMachine.TestCase


def test_registered_as_objectpool_release_resets_the_bytes_of_the_block():
    heap = memlab.allocator("objectpool", size=24, capacity=2)
    a = heap.alloc(20)
    heap.memory.write(a, b"\xab" * 20)
    heap.free(a)
    assert heap.memory.read(a, 24) == bytes(24)  # reset on release, unlike a plain pool
    assert heap.alloc(24) == a and heap.objects.allocations == 2
    assert [b.state for b in heap.layout()] == ["allocated", "free"]


def test_registered_objectpool_refuses_big_requests_and_exhaustion_unchanged():
    heap = memlab.allocator("objectpool:size=16,capacity=1,on_empty=error")
    a = heap.alloc(16)
    before = (heap.layout(), heap.memory.read(a, 16), heap.stats())
    with pytest.raises(TooLarge, match="17-byte request does not fit this pool's 16-byte objects"):
        heap.alloc(17)
    with pytest.raises(PoolExhausted, match="all 1 objects are in use"):
        heap.alloc(8)
    assert (heap.layout(), heap.memory.read(a, 16)) == before[:2]
    assert heap.stats().live_blocks == 1


def test_registered_objectpool_refuses_an_alignment_its_objects_do_not_have_and_changes_nothing():
    heap = memlab.allocator("objectpool")
    first = heap.alloc(16)
    before = (heap.layout(), heap.memory.read(*heap.extent()[:1], heap.extent()[1] - heap.extent()[0]), heap.stats())
    with pytest.raises(BadAlignment, match="aligned to 8 bytes, not 512") as caught:
        heap.alloc(16, 512)  # was handed 0x1040 (only 64-aligned)
    assert caught.value.step == 2
    assert (heap.layout(), heap.memory.read(heap.extent()[0], heap.extent()[1] - heap.extent()[0])) == before[:2]
    assert heap.stats().live_blocks == 1 and heap.live() == {first: 16}


def test_an_objectpool_built_with_an_alignment_hands_out_objects_aligned_to_it():
    heap = memlab.allocator("objectpool", size=24, align=512)
    blocks = [heap.alloc(24, 512) for _ in range(3)]
    assert all(b % 512 == 0 for b in blocks) and len(set(blocks)) == 3
    assert [b.size for b in heap.layout()][:3] == [512] * 3  # each 24-byte object padded to its alignment
    heap.check()
    with pytest.raises(BadRequest, match="objectpool align=3: must be a power of two"):
        memlab.allocator("objectpool", align=3)
