"""malloclab .rep traces: the 4- and 2-line headers, CRLF, writing, and bad files named by line."""

import pytest

from memlab.errors import BadRequest
from memlab.traces import Trace, TraceError, format_rep, from_ops, parse_rep, read_rep, write_rep
from memlab.traces.generators import GENERATORS, generate, suite

FOUR = """20000
3
6
1
a 0 512
a 1 128
r 0 640
f 1
a 2 16
f 0
"""


def test_four_line_header_and_every_operation():
    t = parse_rep(FOUR, name="tiny")
    assert t.heap_hint == 20000 and t.weight == 1 and t.num_ids == 3
    assert t.ops == [("a", 0, 512), ("a", 1, 128), ("r", 0, 640), ("f", 1, 0), ("a", 2, 16), ("f", 0, 0)]
    assert t.peak_live_bytes == 768, "640 + 128 after the realloc"
    assert t.live_at_end == 16
    assert t.counts() == {"allocs": 3, "reallocs": 1, "frees": 2}
    assert repr(t) == "<Trace tiny: 6 ops, 3 ids, peak 768 bytes live>"


def test_two_line_header_variant_reads_the_same_operations():
    two = "\n".join(FOUR.splitlines()[1:3] + FOUR.splitlines()[4:]) + "\n"
    t = parse_rep(two)
    assert t.ops == parse_rep(FOUR).ops
    assert t.num_ids == 3 and t.weight == 1


def test_crlf_line_ends_and_blank_lines_are_tolerated():
    crlf = FOUR.replace("\n", "\r\n").replace("a 1 128", "\r\na 1 128")
    assert parse_rep(crlf).ops == parse_rep(FOUR).ops


def test_write_then_read_gives_the_same_trace(tmp_path):
    t = parse_rep(FOUR, name="tiny")
    path = write_rep(t, tmp_path / "tiny.rep")
    assert path.read_text().splitlines()[:4] == ["20000", "3", "6", "1"]
    back = read_rep(path)
    assert back.ops == t.ops and back.name == "tiny" and back.heap_hint == 20000
    assert format_rep(back) == format_rep(t)


def test_balanced_frees_what_is_left():
    t = parse_rep(FOUR, name="tiny").balanced()
    assert t.name == "tiny-bal" and t.ops[-1] == ("f", 2, 0) and t.live_at_end == 0


BAD = [
    ("20000\n2\n2\n1\na 0 8\nx 1 8\n", "line 6: unknown operation 'x'"),
    ("20000\n2\n2\n1\na 0 8\nf 1\n", "line 6: free of id 1, which is not allocated"),
    ("20000\n2\n1\n1\na 0 -8\n", "line 5: size -8 is negative"),
    ("20000\n2\n2\n", "end of file: truncated header: 3 number line(s), expected 4 (or 2)"),
    ("20000\n2\n5\nabc 1\n", "line 4: truncated header: 3 number line(s)"),
    ("20000\n2\n2\n1\na 0 8\na 1\n", "line 6: truncated line 'a 1': a needs 2 numbers"),
    ("20000\n2\n3\n1\na 0 8\nf 0\n", "truncated: the header (line 3) declares 3 operations, the file has 2"),
    ("20000\n2\n1\n1\na 0 8\nf 0\n", "line 6: one operation too many"),
    ("20000\n2\n1\n1\na 5 8\n", "line 5: id 5 is out of range"),
    ("20000\n2\n2\n1\na 0 8\na 0 8\n", "line 6: id 0 is allocated again before it is freed"),
    ("20000\n2\n1\n1\nr 0 8\n", "line 5: realloc of id 0, which is not allocated"),
    ("20000\n2\n1\n1\na 0 8 9\n", "line 5: unexpected '9'"),
    ("20000\n2\n1\n1\na 0 0\n", "line 5: size 0"),
    ("--123-- malloc(8) = 0x10\n", "this is a valgrind log, not a .rep trace"),
]


@pytest.mark.parametrize(("text", "message"), BAD)
def test_bad_trace_names_the_file_and_line(tmp_path, text, message):
    path = tmp_path / "bad.rep"
    path.write_text(text)
    with pytest.raises(TraceError) as caught:
        read_rep(path)
    assert str(caught.value).startswith(str(path)), "the file is named first"
    assert message in str(caught.value)


def test_missing_file_is_a_typed_error(tmp_path):
    with pytest.raises(TraceError, match="cannot read"):
        read_rep(tmp_path / "nope.rep")


def test_trace_errors_are_memlab_errors_a_cli_can_print():
    assert issubclass(TraceError, BadRequest)


def test_traces_built_in_code_are_validated_and_named_by_op():
    with pytest.raises(TraceError, match=r"trace t, op 2: free of id 7"):
        from_ops([("a", 0, 8), ("f", 7, 0)], name="t")
    with pytest.raises(TraceError, match=r"op 1: .* is not an operation"):
        Trace([("a", 0)], "t")


@pytest.mark.parametrize("kind", sorted(GENERATORS))
def test_generators_are_seeded_balanced_and_valid(kind):
    one, again, other = generate(kind, 2000, 1), generate(kind, 2000, 1), generate(kind, 2000, 2)
    assert one.ops == again.ops, "the same seed gives the same trace"
    assert one.ops != other.ops or kind == "coalescing", "another seed gives another trace"
    assert one.live_at_end == 0, "everything is freed at the end"
    assert 1500 <= len(one) <= 2000 and one.peak_live_bytes > 0
    assert parse_rep(format_rep(one)).ops == one.ops


def test_unknown_generator_lists_the_known_ones():
    with pytest.raises(BadRequest, match="no generator named 'zigzag'; known: random, ramp"):
        generate("zigzag")


def test_suite_has_one_trace_per_kind():
    names = [t.name for t in suite(ops=500)]
    assert names == [
        f"{k}-0" for k in ("random", "binary", "coalescing", "realloc", "ramp", "peaks", "plateau", "phases")
    ]


# -- long traces and large block ids: memory grows with what a trace holds, not with its largest id -------
def traced_peak(fn):
    """The most memory Python held while ``fn`` ran, in bytes (tracemalloc counts every allocation)."""
    import tracemalloc

    tracemalloc.start()
    try:
        result = fn()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("big", [99_999_999, 10**12, 2**63 - 1])
def test_a_large_block_id_costs_no_more_than_a_small_one(tmp_path, big):
    from memlab.traces import replay

    path = tmp_path / "ids.rep"
    path.write_text(f"20000\n{big + 1}\n6\n1\na {big} 64\na 7 32\nr {big} 128\nf 7\nf {big}\na 3 8\n")
    trace, parsed = traced_peak(lambda: read_rep(path))
    assert trace.num_ids == big + 1 and trace.num_slots == 2  # two blocks live at once at most
    assert list(trace.slots) == [0, 1, 0, 1, 0, 0], "each block gets the lowest slot free when it is allocated"
    result, replayed = traced_peak(lambda: replay(trace, "freelist", progress=False))
    assert result.errors == 0 and result.peak_live_bytes == 160
    assert parsed < 1 << 20 and replayed < 4 << 20, "id 99,999,999 used to make the replay take 1.58 GB"


def test_ids_and_sizes_beyond_64_bits_are_refused_by_line(tmp_path):
    path = tmp_path / "huge.rep"
    path.write_text(f"{2**64}\n1\na {2**64 - 1} 8\n")
    with pytest.raises(TraceError, match=r"huge.rep, line 3: block id 18446744073709551615 is too large"):
        read_rep(path)
    path.write_text(f"{2**64}\n1\na 5 {2**63}\n")
    with pytest.raises(TraceError, match=r"huge.rep, line 3: size 9223372036854775808 is too large"):
        read_rep(path)


def test_a_long_trace_is_held_in_far_fewer_bytes_than_tuples_would_take(tmp_path):
    n = 200_000
    trace = generate("random", n, 1)
    path = write_rep(trace, tmp_path / "long.rep")
    back, peak = traced_peak(lambda: read_rep(path))
    assert back.ops[:100] == trace.ops[:100] and len(back) == len(trace)
    assert peak / len(trace) < 60, f"{peak / len(trace):.0f} bytes an operation while parsing (a list of tuples: ~150)"


def test_a_file_that_is_no_trace_is_refused_at_its_first_line(tmp_path):
    for data, words in [
        (b"x" * 100_000, "line 1: longer than 4096 bytes: this is not a .rep trace"),
        (b"\0" * 100, "line 1: holds NUL bytes"),
    ]:
        path = tmp_path / "junk.rep"
        path.write_bytes(data)
        with pytest.raises(TraceError, match=words):
            read_rep(path)


def test_running_out_of_memory_while_parsing_is_a_trace_error_naming_the_file(tmp_path, monkeypatch):
    from memlab.traces import rep

    path = write_rep(generate("random", 500, 1), tmp_path / "big.rep")
    real = rep._rows

    def tight(lines, label):  # memory runs out after 300 lines
        for i, row in enumerate(real(lines, label)):
            if i == 300:
                raise MemoryError
            yield row

    monkeypatch.setattr(rep, "_rows", tight)
    with pytest.raises(
        TraceError, match=r"big.rep: not enough memory to hold the trace \(stopped after 29\d operations\)"
    ):
        read_rep(path)


def test_a_byte_order_mark_is_not_a_truncated_header(tmp_path):
    path = tmp_path / "bom.rep"
    path.write_bytes(b"\xef\xbb\xbf" + FOUR.encode())
    assert read_rep(path).ops == parse_rep(FOUR).ops
    assert parse_rep("\ufeff" + FOUR).ops == parse_rep(FOUR).ops
