"""Exercise 21: mimalloc's bins, a page's collection of its free lists, and where a free goes (mimalloc 2.0.9).

The learner writes ``bin_of(size)`` (``mi_bin``: the size class of a request), ``collect(free,
local_free, thread_free)`` (``_mi_page_free_collect`` on plain tuples of block addresses: the three
lists after the page collects) and ``free_goes_to(heap, address, thread)``: the list a free by
``thread`` puts the block on. The checks compare with memlab's
:class:`~memlab.allocators.mimalloc.MiMalloc`; :class:`ExerciseMiMalloc` collects with the
learner's function, for the demo.
"""

from __future__ import annotations

from collections.abc import Sequence

from ...allocators.mimalloc import BIN_SIZE, MiMalloc, Page, bin_of
from ...allocators.mimalloc.info import Collect
from ...errors import MemlabError
from ..questions import Cases, Exercise, Failed, Question


def _lists(result) -> tuple[tuple[int, ...], ...]:
    """The learner's three lists as tuples of ints, or Failed saying what came back instead."""
    if not isinstance(result, Sequence) or isinstance(result, (str, bytes)) or len(result) != 3:
        raise Failed(f"collect returned {result!r}: return three lists, (free, local_free, thread_free)")
    out = []
    for name, lst in zip(("free", "local_free", "thread_free"), result):
        if not isinstance(lst, Sequence) or not all(isinstance(a, int) for a in lst):
            raise Failed(f"collect returned {lst!r} as {name}: a list (or tuple) of block addresses")
        out.append(tuple(lst))
    return tuple(out)


class ExerciseMiMalloc(MiMalloc):
    """memlab's mimalloc, collecting a page's lists with the learner's ``collect``."""

    def __init__(self, *, collect=None, **kw) -> None:
        self.learner_collect = collect
        super().__init__(**kw)

    def page_collect(self, page: Page, force: bool = False) -> None:
        if self.learner_collect is None or force:
            return super().page_collect(page, force)
        before = tuple(tuple(lst) for lst in self.page_lists(page))
        if not before[1] and not before[2]:
            return None  # nothing to collect: mimalloc does not even look
        free, local, remote = _lists(self.learner_collect(*before))
        if sorted(free + local + remote) != sorted(before[0] + before[1] + before[2]):
            raise Failed(f"collect{before} returned {(free, local, remote)}: the same blocks must stay on the lists")
        for head, blocks in (("free", free), ("local_free", local), ("thread_free", remote)):
            for a, b in zip(blocks, blocks[1:] + (0,)):
                self._link(a, b)
            setattr(page, head, blocks[0] if blocks else 0)
        page.used -= len(before[2]) - len(remote)  # blocks taken off thread_free are no longer counted
        if self.recorder is not None and free != before[0]:
            self._emit(Collect(self.step, page.address, len(before[2]) - len(remote), len(before[1])))
        return None


def check_bin_of(fns: dict) -> Cases:
    learner, cases = fns["bin_of"], Cases()

    def expect(size: int, why: str) -> None:
        want, got = bin_of(size), learner(size)
        said = f"bin_of({size}) gave {got!r}; expected {want} ({BIN_SIZE[want]}-byte blocks): {why}"
        cases.expect(got == want, said)

    with cases.case("up to 64 bytes: a bin every 16 bytes (two words); up to 8 bytes, bin 1", 1):
        for size, why in (
            (1, "every request of up to 8 bytes is bin 1"),
            (8, "8 bytes: one word, bin 1"),
            (9, "two words"),
            (24, "three words round up to four (16-byte alignment): bin 4, 32 bytes"),
            (40, "five words round up to six: bin 6, 48 bytes"),
            (64, "eight words: bin 8"),
        ):
            expect(size, why)
    with cases.case("above 64 bytes: four bins per power of two", 1):
        for size, why in (
            (65, "nine words: w - 1 = 8, its top bit b = 3, bin (b << 2) + ((w - 1) >> (b - 2) & 3) - 3 = 9"),
            (100, "13 words: bin 11, 112-byte blocks"),
            (1024, "128 words: w - 1 = 127 has b = 6: bin 24"),
            (1025, "129 words: bin 25, 1280-byte blocks"),
            (20_000, "2,500 words: bin 41"),
        ):
            expect(size, why)
    return cases


def _collect_case(cases: Cases, learner, heap: MiMalloc, page: Page, why: str) -> None:
    lists = tuple(tuple(lst) for lst in heap.page_lists(page))
    got = _lists(learner(*lists))
    heap.page_collect(page)
    want = tuple(tuple(lst) for lst in heap.page_lists(page))
    said = f"collect{tuple(map(_hexes, lists))} gave {tuple(map(_hexes, got))}; expected {tuple(map(_hexes, want))}"
    cases.expect(got == want, f"{said}: {why}")


def _hexes(blocks: Sequence[int]) -> list[str]:
    return [f"{a:#x}" for a in blocks]


def check_collect(fns: dict) -> Cases:
    learner, cases = fns["collect"], Cases()
    with cases.case("free is empty: local_free becomes the free list", 1):
        heap = MiMalloc()
        blocks = [heap.alloc(1000) for _ in range(4)]  # the first four blocks: free is empty now
        heap.free(blocks[1])
        heap.free(blocks[3])
        _collect_case(cases, learner, heap, heap.page_of(blocks[0]), "local_free, head first, is the new free list")
    with cases.case("thread_free goes first, then local_free", 1):
        heap = MiMalloc()
        blocks = [heap.alloc(1000, thread=1) for _ in range(4)]
        heap.free(blocks[0], thread=1)
        heap.free(blocks[1], thread=2)  # the first free from another thread: the owner's delayed list
        heap.free(blocks[2], thread=2)  # then thread_free
        heap.free(blocks[3], thread=2)
        why = "the thread_free list is put in front of local_free (its tail links to local_free's head)"
        _collect_case(cases, learner, heap, heap.page_of(blocks[0]), why)
    with cases.case("free is not empty: thread_free joins local_free, free stays as it is", 1):
        heap = MiMalloc()
        blocks = [heap.alloc(1000, thread=1) for _ in range(2)]  # two more blocks wait on free
        heap.free(blocks[0], thread=1)
        heap.free(blocks[1], thread=2)  # delayed list
        other = heap.alloc(1000, thread=1)
        heap.free(other, thread=2)  # thread_free
        why = "local_free becomes the free list only when free is empty (that is mimalloc's heartbeat)"
        _collect_case(cases, learner, heap, heap.page_of(blocks[0]), why)
    return cases


def _where(heap: MiMalloc, page: Page, block: int, owner: int) -> str:
    _, local_free, thread_free = heap.page_lists(page)
    lists = {"local_free": local_free, "thread_free": thread_free, "delayed": (heap.heaps[owner].delayed,)}
    return next((name for name, blocks in lists.items() if block in blocks), "nowhere")


def _goes(cases: Cases, learner, heap: MiMalloc, address: int, thread: int, hint: dict[str, str]) -> None:
    home = heap.page_of(address)  # the block's page

    def state() -> tuple:
        return home.delayed, home.local_free, home.thread_free, heap.heaps[home.thread].delayed

    before = state()
    got = learner(heap, address, thread)
    if state() != before:
        raise Failed("free_goes_to changed the page: read page.thread and page.delayed only")
    owner = home.thread
    heap.free(address, thread=thread)
    want = _where(heap, home, address, owner)
    said = f"free_goes_to(heap, {address:#x}, thread {thread}) gave {got!r}; the block went to {want!r}"
    cases.expect(got == want, said + hint.get(str(got), ""))


def check_free_goes_to(fns: dict) -> Cases:
    learner, cases = fns["free_goes_to"], Cases()
    with cases.case("the owner frees: local_free", 1):
        heap = MiMalloc()
        a = heap.alloc(64, thread=1)
        heap.alloc(64, thread=1)
        _goes(cases, learner, heap, a, 1, {"thread_free": ": the page's owner frees without an atomic: local_free"})
    with cases.case("another thread frees into a page for the first time: the owner's delayed list", 1):
        heap = MiMalloc()
        a = heap.alloc(64, thread=1)
        heap.alloc(64, thread=1)
        hint = {"thread_free": ": a page's first free from another thread tells its owner (USE_DELAYED_FREE)"}
        _goes(cases, learner, heap, a, 2, hint)
    with cases.case("after that, thread_free; once the owner has taken its delayed list, delayed again", 1):
        heap = MiMalloc()
        blocks = [heap.alloc(64, thread=1) for _ in range(4)]
        heap.free(blocks[0], thread=2)  # delayed: the page's flag is now NO_DELAYED_FREE
        _goes(cases, learner, heap, blocks[1], 3, {"delayed": ": only the first such free is delayed"})
        heap.delayed_free(heap.heaps[1])  # the owner takes its delayed list (as when its free list runs out)
        _goes(cases, learner, heap, blocks[2], 2, {"thread_free": ": taking the delayed list sets the flag back"})
    return cases


def demo(collect):
    """The lecture demo's program, with your collect: watch the free list that comes out of it."""
    from ...demos import mimalloc as mimalloc_demo
    from ...viz import mimalloc_view
    from ...widgets import Player

    heap = ExerciseMiMalloc(collect=collect)
    try:
        with heap.record() as rec:
            mimalloc_demo.scenario(heap)
    except (Failed, MemlabError) as e:
        print(f"the program stopped: {e}")
    return Player(rec.recording, mimalloc_view(), title="Your collect, in mimalloc")


EXERCISE = Exercise(
    "21_mimalloc",
    "mimalloc: bins, collecting a page's lists, where a free goes",
    (
        Question("bin_of", "the bin of a request", ("bin_of",), 2, check_bin_of),
        Question("collect", "a page collects its free lists", ("collect",), 3, check_collect),
        Question("free_goes_to", "where a free puts the block", ("free_goes_to",), 3, check_free_goes_to),
    ),
)
