"""Replay: the same measurements for every allocator, glibc beside them, --check, progress."""

import io

import pytest

import memlab
from memlab.errors import BadRequest, HeapCorruption
from memlab.traces import KEYS, build, from_ops, general_purpose, replay, replay_all, shipped
from memlab.traces import native as native_module
from memlab.traces.progress import Progress, bar
from memlab.traces.report import as_json, html_table, messages, text_table

GLIBC = native_module.available()
needs_glibc = pytest.mark.skipif(GLIBC is not None, reason=f"the machine's malloc cannot be measured: {GLIBC}")
SMALL = from_ops([("a", 0, 100), ("a", 1, 200), ("f", 0, 0), ("r", 1, 400), ("a", 2, 50), ("f", 1, 0)], "small")


def fast(spec):
    """The allocator a test replays a large trace through (implicit first fit is O(blocks) per call)."""
    return "freelist:list=segregated" if spec == "freelist" else spec


def test_general_purpose_allocators_are_the_ones_that_take_any_size_in_any_order():
    names = general_purpose()
    assert {"freelist", "buddy", "slab", "tcmalloc"} <= set(names)
    assert "pool" not in names, "a pool serves one block size"


def test_wrappers_are_not_strategies_whatever_was_imported_first():
    import memlab.compose  # noqa: F401 - registers stackfallback and threadsafe
    from memlab.traces.replay import skipped

    assert not {"stackfallback", "threadsafe"} & set(general_purpose())
    assert skipped()["threadsafe"] == "wraps another allocator (memlab.compose): replay the allocator it wraps"


def test_measurements_by_hand_on_a_small_trace():
    r = replay(SMALL, "freelist", progress=False)
    assert r.peak_live_bytes == 450, "live: 100, 300, 200, 400, 450, 50"
    heap = memlab.allocator("freelist")
    assert r.heap_bytes == heap.stats().footprint, "the first 4 KiB chunk holds the whole trace"
    assert r.utilization == pytest.approx(450 / r.heap_bytes)
    assert r.fragmentation == pytest.approx(r.heap_bytes / 450), "the heap held this much at the peak"
    assert r.errors == 0 and r.stopped is None and r.ops == 6 and r.ops_per_second > 0
    assert list(r.as_dict()) == list(KEYS)


@pytest.mark.parametrize("name", shipped.names())
def test_peak_live_bytes_is_a_property_of_the_trace(name):
    trace = shipped.load(name)
    specs = [fast(s) for s in general_purpose()] + ([] if GLIBC else ["glibc"])
    results = [replay(trace, spec, progress=False) for spec in specs]
    assert {r.peak_live_bytes for r in results} == {trace.peak_live_bytes}
    assert all(r.errors == 0 and r.stopped is None for r in results), messages(results)
    assert all(0 < r.utilization <= 1 for r in results)


@pytest.mark.parametrize("spec", general_purpose())
def test_check_after_every_operation_passes_on_a_real_trace(spec):
    r = replay(shipped.load("sort"), spec, check=True, progress=False)
    assert (r.errors, r.stopped) == (0, None)


@pytest.mark.parametrize("name", ["ls-zoneinfo", "cc1-hello", "python-startup"])
@pytest.mark.parametrize("spec", general_purpose())
def test_check_every_few_operations_passes_on_the_larger_real_traces(name, spec):
    every = 50 if name == "ls-zoneinfo" else 1000
    r = replay(shipped.load(name), fast(spec), check=every, progress=False)
    assert (r.errors, r.stopped) == (0, None)


def test_check_stops_at_the_first_broken_invariant_and_names_the_line():
    heap = memlab.allocator("freelist")
    calls = []

    def broken():
        calls.append(1)
        if len(calls) == 3:
            raise HeapCorruption("free block 0x10 is not coalesced with its right neighbour")

    heap.check = broken
    r = replay(shipped.load("sort"), heap, check=True, progress=False, label="broken")
    assert r.allocator == "broken" and r.errors == 1
    assert r.stopped.endswith(
        "sort.rep, line 7: HeapCorruption: free block 0x10 is not coalesced with its right neighbour"
    )
    assert len(calls) == 3, "nothing runs after the broken check"


def test_check_every_n_checks_less_often_and_once_at_the_end():
    heap = memlab.allocator("freelist")
    calls = []
    heap.check = lambda: calls.append(1)
    replay(SMALL, heap, check=4, progress=False)
    assert len(calls) == 2, "after operation 4 and after the last one"
    with pytest.raises(BadRequest, match="check=-1"):
        replay(SMALL, "freelist", check=-1)


def test_requests_an_allocator_cannot_serve_are_counted_not_fatal():
    trace = from_ops([("a", 0, 100), ("a", 1, 5000), ("a", 2, 100), ("f", 0, 0)], "big")
    r = replay(trace, "bump:size=4096", progress=False)
    assert r.errors == 1 and r.stopped is None
    assert "trace big, op 2: OutOfMemory" in r.messages[0]
    assert messages([r])[0].startswith("bump:size=4096 on big: 1 request(s) failed; first: trace big, op 2")


def test_spec_errors_are_typed():
    with pytest.raises(BadRequest, match="no allocator named 'nosuch'; known: .*glibc"):
        build("nosuch")
    with pytest.raises(BadRequest, match="glibc takes no options"):
        build("glibc:fast=1")
    with pytest.raises(BadRequest, match="fit='worstest'"):
        build("freelist:fit=worstest")


def test_replay_options_let_fixed_capacity_allocators_hold_the_trace():
    trace = shipped.load("sort")
    assert build("bump", trace).capacity >= trace.total_bytes(), "a bump allocator never reuses"
    assert build("buddy", trace).max_order >= max(s for _, _, s in trace.ops).bit_length() - 1


@needs_glibc
def test_glibc_is_replayed_with_the_same_measurements():
    [r] = replay_all([SMALL], ["glibc"], progress=False)
    assert r.allocator == "glibc" and r.peak_live_bytes == 450 and r.errors == 0
    assert r.heap_bytes >= 450 and 0 < r.utilization <= 1 and r.ops_per_second > 0


def test_glibc_unavailable_is_skipped_with_the_reason(monkeypatch, tmp_path):
    def missing():
        raise native_module.NativeUnavailable("glibc: not available on plan9")

    monkeypatch.setenv("CC", "no-such-compiler")  # no native replayer: glibc in this process ...
    monkeypatch.setenv("MEMLAB_CACHE", str(tmp_path))
    monkeypatch.setattr(native_module, "_library", missing)  # ... which is not there either
    heard = []
    results = replay_all(
        [SMALL, SMALL], ["glibc", "buddy"], progress=False, on_skip=lambda s, why: heard.append((s, why))
    )
    assert [r.allocator for r in results] == ["buddy", "buddy"]
    assert heard == [("glibc", "glibc: not available on plan9")], "said once, not once per trace"


def test_tables_and_json_show_every_result():
    results = [replay(SMALL, spec, progress=False) for spec in ("freelist", "buddy")]
    table = text_table(results)
    assert table.splitlines()[0].split() == [
        "allocator",
        "trace",
        "ops",
        "peak",
        "live",
        "heap",
        "util",
        "frag",
        "ops/s",
        "errors",
    ]
    assert table.splitlines()[2].split()[:4] == ["freelist", "small", "6", "450"]
    assert "ops/s" not in text_table(results, speed=False)
    assert html_table(results).count("<tr>") == 3
    assert '"peak_live_bytes": 450' in as_json(results)


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_draws_on_a_terminal_and_ends_its_line():
    stream = Terminal()
    p = Progress(1000, "sort · buddy", delay=0.0, stream=stream)
    assert p.mode == "terminal"
    p.update(300)
    p.close()
    assert stream.getvalue() == (
        "\rsort · buddy [#########.....................]  30% 300/1,000 ops"
        "\rsort · buddy [#########.....................]  30% 300/1,000 ops\n"
    )


def test_progress_bar_is_silent_in_a_pipe_and_before_its_delay():
    pipe = io.StringIO()
    p = Progress(1000, stream=pipe, delay=0.0)
    p.update(500)
    p.close()
    quiet = Progress(1000, stream=Terminal(), delay=60.0)
    quiet.update(500)
    quiet.close()
    assert pipe.getvalue() == "" and quiet.stream.getvalue() == ""
    assert bar(1, 4, width=8) == "[##......]  25%"


def test_progress_bar_in_a_notebook_is_drawn_and_redrawn_in_place(monkeypatch):
    from memlab.traces import progress as progress_module

    class Handle:
        def __init__(self, first):
            self.shown = [first.data]

        def update(self, obj):
            self.shown.append(obj.data)

    handles = []

    def display(obj, display_id=False):
        assert display_id, "a handle, so that later draws replace the bar instead of adding bars"
        handles.append(Handle(obj))
        return handles[-1]

    monkeypatch.setattr(progress_module, "in_notebook", lambda: True)
    monkeypatch.setattr("IPython.display.display", display)
    p = Progress(200, "replay", delay=0.0)
    assert p.mode == "notebook"
    p.update(50)
    p._last = -1.0  # the next update is not throttled
    p.update(200)
    p.close()
    [handle] = handles
    assert len(handle.shown) == 3, "drawn once, then redrawn in place"
    assert '<svg width="240"' in handle.shown[0] and 'aria-label="25% done"' in handle.shown[0]
    assert "replay [##############################] 100% 200/200 ops" in handle.shown[-1]
