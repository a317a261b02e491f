"""The machine's production allocators: each trace replayed natively, in a process of its own,
its heap measured by the allocator's own statistic and by the resident set."""

import dataclasses
import functools
import json
import subprocess
import textwrap

import pytest

from memlab.allocators.registry import REGISTRY
from memlab.cli import main
from memlab.errors import BadRequest
from memlab.traces import KEYS, from_ops, native, read_rep, replay, replay_all, shipped, write_rep
from memlab.traces import production as production_module
from memlab.traces.production import (
    LIBRARIES,
    OVER,
    SLACK,
    Production,
    ProductionResult,
    ProductionUnavailable,
    available,
    html_table,
    names,
    text_table,
)
from memlab.traces.production import run as run_module

REASONS = {name: available(name) for name in names()}
try:
    NO_REPLAYER = None if production_module.replayer() else "?"
except ProductionUnavailable as e:
    NO_REPLAYER = str(e)
needs_replayer = pytest.mark.skipif(NO_REPLAYER is not None, reason=f"{NO_REPLAYER}")
HUGE = 1 << 62
SMALL = from_ops([("a", 0, 100), ("a", 1, 200), ("f", 0, 0), ("r", 1, 400), ("a", 2, 50), ("f", 1, 0)], "small")


def needs(name):
    return pytest.mark.skipif(REASONS[name] is not None, reason=f"{REASONS[name]}")


def each_library():
    return [pytest.param(name, marks=needs(name)) for name in names()]


@functools.cache
def replayed(name, trace_name):
    """One replay of a shipped trace per allocator, shared by the tests that read it."""
    return replay(shipped.load(trace_name), name)


def live_blocks_after(trace, last):
    live = set()
    for kind, ident, _ in trace.ops[: last + 1]:
        (live.discard if kind == "f" else live.add)(ident)
    return len(live)


def test_the_names_cannot_be_confused_with_memlab_simulations():
    assert names() == ["glibc", "libjemalloc", "libmimalloc", "libtcmalloc"]
    assert not set(names()) & set(REGISTRY), "a simulation and a library would share a name"


@pytest.mark.parametrize("trace_name", shipped.names())
@pytest.mark.parametrize("name", each_library())
def test_every_shipped_trace_through_every_production_allocator(name, trace_name):
    trace = shipped.load(trace_name)
    r = replayed(name, trace_name)
    assert isinstance(r, ProductionResult) and (r.allocator, r.trace) == (name, trace_name)
    assert (r.errors, r.stopped) == (0, None), r.messages
    assert r.peak_live_bytes == trace.peak_live_bytes, "the peak of live bytes is the trace's, natively too"
    assert 0 < r.utilization <= 1 and r.fragmentation >= 1
    assert r.ns_per_op > 0 and r.ops_per_second == pytest.approx(1e9 / r.ns_per_op)
    soname = LIBRARIES[name].soname or "libc.so"
    assert soname.split(".so")[0] in r.library, f"served by {r.library}"
    assert r.timeline[-1][:2] == (len(trace), trace.live_at_end), "the last sample is taken after the last operation"
    assert max(own for _, _, own in r.timeline) <= r.heap_bytes


@pytest.mark.parametrize("trace_name", shipped.names())
@pytest.mark.parametrize("name", each_library())
def test_the_two_measures_agree_within_the_stated_tolerance(name, trace_name):
    trace = shipped.load(trace_name)
    r = replayed(name, trace_name)
    own, rss, live = r.heap_bytes, r.heap_bytes_rss, trace.peak_live_bytes
    assert rss is not None
    assert own >= live - SLACK and rss >= live - SLACK, "both hold at least the live data"
    assert rss <= own * (1 + OVER) + SLACK, "the statistic misses nothing resident but metadata"
    if name in ("glibc", "libtcmalloc"):  # they write into everything they set aside
        assert rss >= own * (1 - OVER) - SLACK
    assert r.cross_check() is None


def test_the_cross_check_names_a_measure_that_disagrees():
    r = ProductionResult("libtcmalloc", "t", 1, 1 << 20, 2 << 20, 0.5, 2.0, 1.0, 0, heap_bytes_rss=1 << 20)
    assert r.cross_check() == "resident 1,048,576 bytes is more than 5% + 65,536 below the statistic 2,097,152"
    r.heap_bytes_rss = 3 << 20
    assert r.cross_check().startswith("resident 3,145,728 bytes exceeds the statistic 2,097,152")
    r.heap_bytes_rss = 1 << 19
    assert r.cross_check().startswith("a measure below the peak of live bytes (1,048,576)")
    assert dataclasses.replace(r, allocator="libjemalloc", heap_bytes_rss=1 << 20).cross_check() is None


@needs("libmimalloc")
def test_mimalloc_counts_its_pages_per_block_size_at_the_peak():
    trace = shipped.load("python-startup")
    r = replayed("libmimalloc", "python-startup")
    peak_op, _ = run_module.encode(trace)
    assert sum(p.used for p in r.pages) == live_blocks_after(trace, peak_op) == 8414
    assert all(p.pages >= 1 and p.committed >= p.used * p.block_size for p in r.pages)
    assert [p.block_size for p in r.pages] == sorted({p.block_size for p in r.pages}), "one row per block size"
    first = Production("libmimalloc").replay(trace, repeat=1, census=0)
    assert [(p.pages, p.used) for p in first.pages] == [(1, 1)], "after the first malloc: one block on one page"
    small = Production("libmimalloc").replay(SMALL, repeat=1).pages
    assert sorted(p.used for p in small) == [0, 0, 1, 1], (
        "at the peak (op 5 of 6) blocks of 400 and 50 bytes are live; the pages of the freed 100 and 200 stay, empty"
    )
    others = [replayed(name, "python-startup") for name in names() if name != "libmimalloc" and not REASONS[name]]
    assert all(r.pages is None for r in others), "only mimalloc counts pages"


@pytest.mark.parametrize("name", each_library())
def test_a_failing_request_is_reported_with_its_file_and_line(name, tmp_path):
    rep = write_rep(from_ops([("a", 0, 100), ("a", 1, HUGE), ("a", 2, 200), ("r", 0, HUGE), ("f", 0, 0)], "huge"),
                    tmp_path / "huge.rep")  # fmt: skip
    [r] = replay_all([read_rep(rep)], [name], progress=False)
    assert r.stopped is None and r.errors == 2
    assert r.messages == [
        f"{rep}, line 6: OutOfMemory: {name} malloc({HUGE}) returned NULL",
        f"{rep}, line 8: OutOfMemory: {name} realloc(block 0, {HUGE}) returned NULL",
    ]
    assert r.peak_live_bytes == 300, "the failed requests hold nothing; the others were served"
    assert r.ns_per_op > 0


@pytest.mark.parametrize("name", ["libjemalloc", "libmimalloc", "libtcmalloc"])
@needs_replayer
def test_a_missing_library_says_so_in_one_line_and_the_rest_runs(name):
    heard = []
    spec = f"{name}:lib=libnosuch.so.9"
    results = replay_all([SMALL], [spec, "buddy"], progress=False, on_skip=lambda s, why: heard.append((s, why)))
    assert [r.allocator for r in results] == ["buddy"]
    [(skipped, why)] = heard
    assert skipped == spec and "\n" not in why
    assert why.startswith(f"{name}: cannot load libnosuch.so.9: ") and "cannot open shared object file" in why
    assert available(name, "libnosuch.so.9") == why


@needs_replayer
def test_a_missing_default_library_says_how_to_install_it(monkeypatch):
    gone = dataclasses.replace(LIBRARIES["libjemalloc"], soname="libjemalloc.so.999")
    monkeypatch.setitem(LIBRARIES, "libjemalloc", gone)
    with pytest.raises(ProductionUnavailable) as caught:
        replay(SMALL, "libjemalloc")
    assert str(caught.value) == (
        "libjemalloc: cannot load libjemalloc.so.999: cannot open shared object file; "
        "Debian/Ubuntu: apt-get install libjemalloc2"
    )


@needs("libmimalloc")
def test_a_library_that_is_not_the_one_named_is_refused():
    assert available("libjemalloc", "libmimalloc.so.2") == (
        "libjemalloc: cannot load libmimalloc.so.2: libmimalloc.so.2 is not loaded "
        "(LD_PRELOAD found no such library, or it is not jemalloc)"
    )
    assert available("libtcmalloc", "libmimalloc.so.2") == (
        "libtcmalloc: cannot load libmimalloc.so.2: libmimalloc.so.2 has no tc_version (is it the right library?)"
    )


def fake_tcmalloc(tmp_path, body):
    """A shared library with TCMalloc's entry points, built with the C compiler."""
    source = tmp_path / "fake.c"
    source.write_text(
        textwrap.dedent(
            """
            #include <stdlib.h>
            #include <string.h>
            static int calls;
            const char *tc_version(int *major, int *minor, const char **patch) {
                *major = 0, *minor = 1, *patch = "-fake";
                return "fake";
            }
            int MallocExtension_GetNumericProperty(const char *name, size_t *value) { *value = 0; return 1; }
            void tc_free(void *p) { free(p); }
            void *tc_realloc(void *p, size_t n) { return realloc(p, n); }
            """
        )
        + body
    )
    lib = tmp_path / "libfake.so"
    cc = production_module.helper.compiler()
    subprocess.run([*cc, "-shared", "-fPIC", "-o", str(lib), str(source)], check=True)
    return str(lib)


@needs_replayer
def test_a_library_that_aborts_stops_its_row_and_the_rest_runs(tmp_path):
    lib = fake_tcmalloc(tmp_path, "void *tc_malloc(size_t n) { if (++calls == 50) abort(); return malloc(n); }\n")
    [dies, after] = replay_all([shipped.load("sort")], [f"libtcmalloc:lib={lib}", "buddy"], progress=False)
    assert dies.stopped == "the measure run was killed by SIGABRT" and dies.errors == 1
    assert after.allocator == "buddy" and after.stopped is None
    assert "stopped: the measure run was killed by SIGABRT" in text_table([dies])


@needs_replayer
def test_a_statistic_that_says_nothing_yields_no_utilization(tmp_path):
    lib = fake_tcmalloc(tmp_path, "void *tc_malloc(size_t n) { return malloc(n); }\n")
    r = replay(SMALL, f"libtcmalloc:lib={lib}")
    assert (r.version, r.heap_bytes, r.utilization, r.peak_live_bytes) == ("0.1-fake", 0, None, 450)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("libjemalloc:arena=2", "allocator spec 'libjemalloc:arena=2': libjemalloc takes only lib=FILE"),
        ("glibc:lib=libc.so.6", "allocator spec 'glibc:lib=libc.so.6': glibc takes no options"),
        ("jemalloc", "no allocator named 'jemalloc'; known: .*, glibc, libjemalloc, libmimalloc, libtcmalloc"),
    ],
)
def test_bad_specs_are_typed_errors(spec, message):
    with pytest.raises(BadRequest, match=message):
        replay(SMALL, spec)


@needs("glibc")
@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"not a trace at all, but long enough for a header.", "standard input is not a memlab binary trace"),
        (b"MLTRACE1" + bytes(8), "the trace ended early: 32 bytes missing"),
    ],
)
def test_the_replayer_refuses_bad_input_with_a_message(data, message):
    done = subprocess.run([str(production_module.replayer()), "glibc", "measure"], input=data, capture_output=True)
    assert (done.returncode, done.stderr.decode().strip(), done.stdout) == (2, message, b"")


@needs("glibc")
def test_a_corrupt_operation_is_named():
    _, data = run_module.encode(SMALL)
    corrupt = data[:48] + (99 << 2).to_bytes(8, "little") + data[56:]  # operation 0 names block 99 of 3
    done = subprocess.run([str(production_module.replayer()), "glibc", "time"], input=corrupt, capture_output=True)
    assert (done.returncode, done.stderr.decode().strip()) == (2, "operation 0 is corrupt")


@needs("glibc")
def test_past_the_write_limit_the_resident_set_is_not_measured(monkeypatch):
    monkeypatch.setattr(run_module, "WRITE_LIMIT", 300)
    r = replay(SMALL, "glibc")
    assert r.heap_bytes_rss is None and r.utilization is not None and r.cross_check() is None


def test_without_a_compiler_glibc_replays_in_this_process(monkeypatch, tmp_path):
    monkeypatch.setenv("CC", "no-such-compiler")
    monkeypatch.setenv("MEMLAB_CACHE", str(tmp_path))
    why = "no C compiler (no-such-compiler) to build the replayer of the production allocators"
    assert available("libjemalloc") == why
    heard = []
    results = replay_all([SMALL], ["glibc", "libjemalloc"], progress=False, on_skip=lambda s, why: heard.append(s))
    assert heard == ["libjemalloc"]
    [r] = results
    assert not isinstance(r, ProductionResult) and r.peak_live_bytes == 450 and r.heap_bytes >= 450


@needs_replayer
def test_the_replayer_is_built_once_into_the_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("MEMLAB_CACHE", str(tmp_path))
    first = production_module.replayer()
    assert first.parent == tmp_path and first.name.startswith("replayer-")
    assert production_module.replayer() == first and [p.name for p in tmp_path.iterdir()] == [first.name]


@needs("glibc")
def test_the_command_line_prints_both_measures_and_json_adds_keys(capsys):
    assert main(["replay", "sort", "-a", "glibc", "-a", "buddy", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert list(rows[0]) == [*KEYS, *run_module.EXTRA] and list(rows[1]) == list(KEYS)
    assert rows[0]["peak_live_bytes"] == rows[1]["peak_live_bytes"] == 3_051_804
    assert rows[0]["ns_per_op"] > 0 and rows[0]["heap_bytes_rss"] > 0 and rows[0]["pages"] is None
    assert main(["replay", "sort", "-a", "glibc", "-a", "buddy"]) == 0
    lines = capsys.readouterr().out.splitlines()
    second = lines.index(
        "allocator  trace  peak live       heap   util  heap (RSS)  util (RSS)  warm ns/op  cold ns/op"
    )
    assert [line.split()[:2] for line in lines[second + 2 :]] == [["glibc", "sort"]], "production rows only"


def test_production_means_all_four(capsys):
    assert main(["replay", "sort", "-a", "production", "--json"]) == 0
    ran = [r["allocator"] for r in json.loads(capsys.readouterr().out)]
    in_process = native.available() is None  # where the replayer cannot be built, glibc runs in this process
    assert ran == [name for name in names() if REASONS[name] is None or (name == "glibc" and in_process)]


def test_an_unavailable_allocator_has_a_one_line_row():
    missing = {"libjemalloc": "cannot load libjemalloc.so.2"}
    assert text_table([], missing).splitlines()[-1] == "libjemalloc  not available: cannot load libjemalloc.so.2"
    assert "<td colspan='8'>not available: cannot load libjemalloc.so.2</td>" in html_table([], missing)


def test_tables_show_labels_and_leave_memlab_speeds_out():
    r = replay(SMALL, "freelist:list=explicit,fit=best")
    [row] = text_table([r], labels={r.allocator: "best fit"}).splitlines()[2:]
    assert row.split() == ["best", "fit", "small", "450", f"{r.heap_bytes:,}", f"{450 / r.heap_bytes:.1%}", *"----"]
