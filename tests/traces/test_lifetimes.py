"""Lifetimes on an allocation clock (the generational hypothesis) and the course's collector workloads."""

import pytest

from memlab.reclaim import Heap
from memlab.reclaim.mutators import WORKLOADS, measure
from memlab.traces import Trace, lifetimes, shipped, survival


def test_a_lifetime_counts_the_allocations_between_birth_and_free():
    ops = [("a", 0, 8), ("a", 1, 8), ("f", 0, 0), ("a", 2, 8), ("r", 1, 16), ("a", 0, 8), ("f", 1, 0), ("a", 3, 8)]
    # clock: block 0 born at 1, freed at 2; block 1 born at 2 (realloc does not tick), freed at 4;
    # id 0 is reused at 4 and never freed; blocks 2 and 3 are never freed
    assert lifetimes(Trace(ops, "t")) == [1, 2, None, None, None]
    s = survival(Trace(ops, "t"), horizons=(0, 1, 2))
    assert s.blocks == 5 and s.dead_within == ((0, 0.0), (1, 0.2), (2, 0.4)) and s.never_freed == 0.6
    assert s.share(2) == 0.4
    with pytest.raises(KeyError, match="no horizon 3"):
        s.share(3)


@pytest.mark.parametrize("name", shipped.names())
def test_on_the_shipped_traces_the_shares_grow_with_the_horizon_and_add_up(name):
    trace = shipped.load(name)
    s = survival(trace, horizons=(1, 10, 100, 1000, 10**9))
    shares = [share for _, share in s.dead_within]
    assert shares == sorted(shares)
    assert shares[-1] + s.never_freed == pytest.approx(1.0)
    assert s.blocks == trace.counts()["allocs"]


def test_python_startup_frees_every_block_and_gcc_keeps_a_quarter():
    assert survival(shipped.load("python-startup")).never_freed == 0.0  # CPython frees it all at exit
    assert 0.2 < survival(shipped.load("cc1-hello")).never_freed < 0.3


def test_every_object_of_the_queue_lives_exactly_its_length():
    from memlab.reclaim.mutators import queue

    heap = Heap("mark-sweep", threshold=1 << 30)
    with heap.record(snapshots=False) as rec:
        queue(heap, steps=100, length=30)
    born, clock, ages, head = {}, 0, [], "q0"
    for e in rec.recording.events:
        if e.kind == "new":
            clock += 1
            born[e.obj] = clock
        elif e.kind == "store" and e.place == "main.head" and e.old is not None:
            ages.append(clock - born[head])  # the old head is dropped: nothing refers to it any more
            head = e.new
    assert ages == [30] * 70


def test_measure_adds_up_the_pauses_of_the_collectors_history():
    m = measure("mark-sweep", "mark-sweep", "churn", threshold=2048, allocator="freelist")
    heap = WORKLOADS["churn"](Heap("mark-sweep", threshold=2048, allocator="freelist"))
    assert (m.pauses, m.total, m.longest) == (
        len(heap.history),
        sum(p.work for p in heap.history),
        max(p.work for p in heap.history),
    )
    assert m.collections == m.pauses and m.mean == m.total / m.pauses
