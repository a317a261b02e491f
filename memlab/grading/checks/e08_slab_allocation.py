"""Exercise 08: slab geometry and the cache's slab list (Bonwick, USENIX 1994).

The learner writes ``geometry(object_size, align, page_size) -> (pages, objects, slack, colours)``,
checked against memlab's own :func:`~memlab.allocators.slab_geometry.plan` (caches without a
constructor), and ``slab_list(per_slab, program)``, a prediction of Bonwick's one partly sorted
list of slabs (full, then partial, then free) after a program of allocs, frees and reaps, checked
against a real :class:`~memlab.allocators.slab_cache.SlabCache` whose list is read from the slab
structures' ``next`` and ``inuse`` words in simulated memory.
"""

from __future__ import annotations

import random

from ...allocators.slab.cache import SlabCache
from ...allocators.slab.geometry import INUSE, NEXT, SLAB_STRUCT, plan
from ..questions import Cases, Exercise, Question

SIZE_FOR = {3: 1200, 4: 1000, 5: 720, 6: 600}
"""An object size whose slabs hold ``per_slab`` objects (one page, off-slab bookkeeping)."""


def memlab_geometry(size: int, align: int, page: int) -> tuple[int, int, int, int]:
    g = plan(size, align, page)
    return g.pages, g.objects, g.slack, g.colors


def _hint(size: int, align: int, page: int, got) -> str:
    g = plan(size, align, page)
    pages, objects, slack, colours = got
    if (pages, objects, slack) == (g.pages, g.objects, g.slack) and colours == g.slack // g.align:
        return "offset 0 is a colour too: slack // align + 1"
    if g.on_slab and objects == page // g.bufsize:
        return f"the {SLAB_STRUCT}-byte slab structure sits at the end of the page, beside the buffers"
    if g.bufsize == page // 8 and objects != g.objects:
        return f"a {g.bufsize}-byte buffer is not under 1/8 of a page: off-slab"
    if not g.on_slab and pages != g.pages:
        return f"off-slab: the fewest pages whose slack is at most 1/8 of the slab ({g.pages}: slack {g.slack})"
    if g.bufsize != size:
        return f"each buffer is the object rounded up to {g.align} bytes: {g.bufsize}"
    return f"{g.bufsize}-byte buffers, {'on' if g.on_slab else 'off'}-slab bookkeeping"


def check_geometry(fns: dict) -> Cases:
    geometry, cases = fns["geometry"], Cases()

    def expect(size: int, align: int, page: int = 4096, *, colours: bool = True) -> None:
        got, want = geometry(size, align, page), memlab_geometry(size, align, page)
        shape = tuple(got) if isinstance(got, (tuple, list)) and len(got) == 4 else None
        cases.expect(shape is not None, f"geometry({size}, {align}, {page}) gave {got!r}; expected 4 numbers")
        cases.expect(
            shape == want if colours else shape[:3] == want[:3],
            f"geometry({size}, {align}, {page}) gave pages, objects, slack, colours = {shape}; memlab's "
            f"slab: {want}. Hint: {_hint(size, align, page, shape)}",
        )

    with cases.case("small objects: one page, the slab structure at its end", 1):
        for size in (32, 200, 64):
            expect(size, 8, colours=False)
    with cases.case("each buffer is the object rounded up to its alignment", 1):
        for size, align in ((100, 8), (100, 64), (24, 16), (1, 8), (3, 8)):
            expect(size, align, colours=False)
    with cases.case("colours: one per alignment step of slack, and offset 0", 1):
        for size, align in ((480, 8), (100, 16), (40, 64), (512, 8)):
            _, _, slack, colours = geometry(size, align, 4096)
            cases.expect(
                colours == slack // max(align, 8) + 1,
                f"geometry({size}, {align}, 4096) gave {colours} colours for {slack} bytes of slack; "
                f"expected {slack // max(align, 8) + 1}: offsets 0, {align}, ... up to the slack",
            )
    with cases.case("large objects: off-slab, the fewest pages that waste at most 1/8", 1):
        for size in (512, 600, 1000, 2100, 3000):
            expect(size, 8, colours=False)
    with cases.case("every size from 1 to a page, aligns 8 to 256, pages of 4 and 8 KiB", 1):
        for page in (4096, 8192):
            for align in (8, 16, 64, 256):
                for size in range(1, page + 1, 13):
                    expect(size, align, page)
    return cases


def name(slab: int, inuse: int, per: int) -> str:
    state = "full" if inuse == per else "free" if inuse == 0 else "partial"
    return f"slab {slab} {state} ({inuse}/{per})"


def say(slabs, per: int) -> str:
    return " -> ".join(name(s, n, per) for s, n in slabs) or "no slabs"


def run(per_slab: int, program) -> list[tuple[int, int]]:
    """Run ``program`` on a real SlabCache; its list as (slab number, in use), read from memory."""
    cache = SlabCache("obj", SIZE_FOR[per_slab], 8)
    read, objects, numbers, made = cache.memory.read_word, [], {}, 0

    def structs() -> list[int]:
        found, s = [], cache._head.next.struct  # the first slab; the rest by their next words
        while s:
            found.append(s)
            s = read(s + 8 * NEXT)
        return found

    for op in program:
        if op == "alloc":
            objects.append(cache.alloc())
        elif op == "reap":
            cache.reap()
            kept = set(structs())
            numbers = {s: n for s, n in numbers.items() if s in kept}
        else:
            cache.free(objects[op[1]])
        for s in structs():
            if s not in numbers:
                numbers[s], made = made, made + 1
    return [(numbers[s], read(s + 8 * INUSE)) for s in structs()]


def as_pairs(answer):
    """The learner's answer as a list of tuples, or as it is when it is not a list of pairs."""
    ok = isinstance(answer, (list, tuple)) and all(isinstance(x, (list, tuple)) for x in answer)
    return [tuple(x) for x in answer] if ok else answer


def shown(slabs, per: int) -> str:
    """The learner's answer in words, if it is a list of (slab, in use) pairs."""
    pairs = isinstance(slabs, list) and all(isinstance(x, tuple) and len(x) == 2 for x in slabs)
    return say(slabs, per) if pairs else repr(slabs)


def random_program(per_slab: int, ops: int, seed: int) -> list:
    rng, live, program, made = random.Random(seed), [], [], 0
    for _ in range(ops):
        if live and rng.random() < 0.45:
            program.append(("free", live.pop(rng.randrange(len(live)))))
        elif rng.random() < 0.05:
            program.append("reap")
        else:
            program.append("alloc")
            live.append(made)
            made += 1
    return program


def describe_op(program, i: int) -> str:
    op = program[i]
    return f"operation {i} ({op if isinstance(op, str) else f'free of object {op[1]}'})"


def check_slab_list(fns: dict) -> Cases:
    slab_list, cases = fns["slab_list"], Cases()

    def expect(per: int, program, why: str) -> None:
        got, want = slab_list(per, list(program)), run(per, program)
        mine = as_pairs(got)
        cases.expect(
            mine == want,
            f"{why}. memlab's list, read from the slab structures: {say(want, per)}; yours: {shown(mine, per)}",
        )

    A, F, R = "alloc", (lambda k: ("free", k)), "reap"
    with cases.case("allocations fill a slab, then the cache grows one", 1):
        expect(4, [A] * 6, "6 allocations, 4 per slab")
    with cases.case("a full slab with a freed object goes to the front of the partial ones", 1):
        expect(4, [A] * 12 + [F(1), F(9), F(5)], "12 allocations, then one object freed in slabs 0, 2 and 1")
    with cases.case("a slab whose last object is freed goes to the end of the list", 1):
        expect(3, [A] * 9 + [F(6), F(3), F(4), F(5)], "slabs 0-2 full; one object of slab 2 freed, then all of slab 1")
    with cases.case("allocation takes the first slab with a free buffer: partial before free", 1):
        expect(3, [A] * 9 + [F(6), F(3), F(4), F(5), A, A], "as before, then 2 allocations")
    with cases.case("a reap destroys the free slabs; a new slab gets the next number", 1):
        expect(3, [A] * 9 + [F(3), F(4), F(5), R, A, A, A], "slab 1 emptied and reaped, then 3 allocations")
    with cases.case("400 random operations, step by step", 1):
        program = random_program(5, 400, seed=8)
        for i in range(0, len(program) + 1, 20):
            prefix = program[: max(i, 1)]
            got, want = slab_list(5, list(prefix)), run(5, prefix)
            mine = as_pairs(got)
            cases.expect(
                mine == want,
                f"a seeded program (random_program(5, 400, seed=8)) first differs after "
                f"{describe_op(program, len(prefix) - 1)}: memlab's list {say(want, 5)}; yours {shown(mine, 5)}",
            )
    return cases


EXAMPLE = ["alloc"] * 9 + [("free", 6), ("free", 3), ("free", 4), ("free", 5), "alloc"]


def demo(geometry, slab_list):
    """EXAMPLE on a real cache of 1200-byte objects; the title compares your answers with it."""
    from ...viz.slab import slab_view
    from ...widgets.player import Player

    cache = SlabCache("obj-1200", SIZE_FOR[3], 8)
    objects = []
    with cache.record() as rec:
        for op in EXAMPLE:
            objects.append(cache.alloc()) if op == "alloc" else cache.free(objects[op[1]])
    mine, real = geometry(1200, 8, 4096), memlab_geometry(1200, 8, 4096)
    predicted = [tuple(x) for x in slab_list(3, EXAMPLE)] == run(3, EXAMPLE)
    title = (
        f"Your geometry(1200, 8, 4096): {tuple(mine)} ({'right' if tuple(mine) == real else f'memlab: {real}'}); "
        f"your slab list: {'matches the cache' if predicted else 'differs from the cache'}"
    )
    return Player(rec.recording, slab_view(), title=title)


EXERCISE = Exercise(
    "08_slab_allocation",
    "Slab allocation: geometry and the slab list",
    (
        Question("geometry", "objects, slack and colours of a slab", ("geometry",), 5, check_geometry),
        Question("slab_list", "full, partial and free slabs", ("slab_list",), 6, check_slab_list),
    ),
)
