"""The bug corpus (tests/manual/bugs): every bug caught with the right class, at the right line, on
every allocator that can run it; the clean programs produce no report and leak nothing."""

import importlib.util
import inspect
from pathlib import Path

import pytest

import memlab
from memlab.allocators import REGISTRY
from memlab.manual import DebugAllocator, ManualHeap, SegmentationFault

CORPUS = Path(__file__).parent / "bugs"
WRAPPERS = {"debug", "stackfallback", "threadsafe", "failing", "testing"}
ONE_SIZE = {"pool", "objectpool", "stack"}  # blocks of one size: realloc never needs to move
GROWS_IN_PLACE = {"page"}  # a block owns whole pages: a realloc within its page never moves it


def load(name):
    spec = importlib.util.spec_from_file_location(f"bugs_{name}", CORPUS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


BUGGY = ["double_free", "invalid_free", "use_after_free", "overflow", "underflow", "uninitialised"]
MODULES = {name: load(name) for name in [*BUGGY, "leaks", "clean"]}


def cases(names):
    return [pytest.param(m, p, id=f"{m}.{p.__name__}") for m in names for p in MODULES[m].PROGRAMS]


def inner_names():
    """General-purpose allocators the corpus can run on (not stacks, pools of one size, wrappers)."""
    picked = []
    for name in memlab.names():
        entry = REGISTRY[name]
        if name not in WRAPPERS | ONE_SIZE and entry.free_order == "any" and entry.max_request >= 256:
            picked.append(name)
    return picked


INNERS = inner_names()


def heap_over(name, **options):
    entry = REGISTRY[name]
    return ManualHeap(DebugAllocator(entry.factory(**entry.test_options), **options))


def marked_line(program, mark):
    lines, start = inspect.getsourcelines(program)
    return [start + i for i, line in enumerate(lines) if f"# {mark}" in line]


def test_every_class_has_at_least_three_programs():
    for name in [*BUGGY, "leaks"]:
        assert len(MODULES[name].PROGRAMS) >= 3, name
    assert len(MODULES["clean"].PROGRAMS) >= 3
    assert "bump" in INNERS


@pytest.mark.parametrize("inner", INNERS)
@pytest.mark.parametrize("module, program", cases(BUGGY))
def test_bug_is_caught_with_its_class_at_its_line(inner, module, program):
    if inner in GROWS_IN_PLACE and program.__name__ == "stale_pointer_after_realloc":
        pytest.skip(f"{inner} grows the block in place, so realloc leaves no stale pointer to catch")
    heap = heap_over(inner)
    expect = MODULES[module].EXPECT
    with pytest.raises(memlab.MemlabError) as caught:
        program(heap)
    error = caught.value
    assert type(error) is expect, f"{program.__name__}: {type(error).__name__}: {error}"
    report = error.report
    assert report.error_type is expect and heap.reports == [report]
    assert report.site is not None and report.site.line in marked_line(program, "BUG")
    assert report.kind in str(report) and report.kind in str(error)
    assert f"step {report.step}" in report.asan()
    heap.allocator.check()  # the wrapped heap is intact after the report


@pytest.mark.parametrize("module, program", cases(BUGGY))
def test_without_halting_the_program_runs_on_and_the_bug_is_reported_first(module, program):
    heap = heap_over("bump", halt=False)
    try:
        program(heap)
    except SegmentationFault:  # following a dangling pointer's garbage: a real process dies too
        assert heap.reports[-1].kind == "SEGV"
    assert heap.reports, program.__name__
    assert heap.reports[0].error_type is MODULES[module].EXPECT
    heap.allocator.check()


@pytest.mark.parametrize("inner", INNERS)
@pytest.mark.parametrize("module, program", cases(["leaks"]))
def test_leak_is_found_and_its_allocation_named(inner, module, program):
    heap = heap_over(inner)
    program(heap)
    assert heap.reports == []
    report = heap.leak_check()
    assert report, program.__name__
    error = report.error()
    assert type(error) is MODULES[module].EXPECT and error.report is report
    direct_lines = {b.alloc_site.line for b in report.of("direct")}
    assert set(marked_line(program, "LEAK")) <= direct_lines
    assert "Direct leak of" in report.lsan() and "definitely lost" in report.memcheck()


def test_a_lost_list_tail_is_an_indirect_leak():
    heap = heap_over("bump")
    MODULES["leaks"].only_the_head_freed(heap)
    report = heap.leak_check()
    assert [b.size for b in report.of("direct")] == [16]
    assert [b.size for b in report.of("indirect")] == [16]
    assert "Indirect leak of 16 byte(s) in 1 object(s)" in report.lsan()


@pytest.mark.parametrize("inner", INNERS)
@pytest.mark.parametrize("module, program", cases(["clean"]))
def test_clean_programs_produce_no_report(inner, module, program):
    for halt in (True, False):
        heap = heap_over(inner, halt=halt)
        program(heap)
        assert heap.reports == []
        assert not heap.leak_check().entries
        heap.allocator.check()
