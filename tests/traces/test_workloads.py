"""Real programs are not random: trace statistics, and the workloads demo as a lecturer sees it."""

import memlab.demos
from memlab.demos.workloads import OPENING
from memlab.traces import from_ops, generate, shipped
from memlab.traces.stats import describe, lifetimes, live_curve, short_lived, size_profile

TRACE = from_ops([("a", 0, 16), ("a", 1, 16), ("f", 0, 0), ("a", 2, 32), ("r", 2, 48), ("f", 2, 0)], "t")


def test_statistics_by_hand():
    p = size_profile(TRACE, top=1)
    assert (p.requests, p.distinct, p.top) == (4, 3, [(16, 2)])
    assert p.top_share == 0.5
    assert lifetimes(TRACE) == [2, 2], "block 0 from op 0 to 2, block 2 from op 3 to 5 (realloc keeps it alive)"
    assert short_lived(TRACE, within=2) == 2 / 3, "two of three blocks die within 2 ops; block 1 never does"
    assert live_curve(TRACE) == [16, 32, 16, 48, 64, 16]


def test_real_traces_use_few_sizes_and_random_ones_many():
    real = size_profile(shipped.load("python-startup"))
    random = size_profile(generate("random", 20_000, 1))
    assert real.top_share > 0.5 > 0.05 > random.top_share
    assert describe(shipped.load("sort")).startswith("sort: 427 ops, 45 distinct sizes, top 10 sizes = 59% of requests")


def test_every_shipped_program_opens_a_file_the_same_way_early_on():
    for trace in shipped.load_all():
        ops = trace.ops[:60]
        starts = [i for i in range(len(ops) - 4) if tuple(op[2] for op in ops[i : i + 4]) == OPENING]
        assert starts, f"{trace.name}: no 472, 4096, 1600, 1024 among its first 60 calls"
        run = ops[starts[0] : starts[0] + 5]
        assert [op[0] for op in run] == ["a", "a", "a", "a", "r"], trace.name
        assert run[4][1:] == (run[3][1], 2048), f"{trace.name}: the 1024-byte block grows to 2048"


def test_the_demo_replays_the_opening_of_ls_on_a_heap_map():
    player = memlab.demos.demo("workloads")
    assert 10 <= len(player.recording) <= 40
    player.seek(-1)
    assert player.caption.startswith(f"Step {len(player.recording) - 1} of")
    assert "after 15 calls 2 blocks are live (3,648 bytes)" in player.caption
    live = [b for b in player.frame.snapshot.blocks if b.state == "allocated"]
    assert sorted(b.requested for b in live) == [1600, 2048]
    assert all(f"{b.address:#x}" in player.html for b in live), "both live blocks are drawn and labelled"
    script = player.recording.script()
    assert "realloc moves 1024 bytes" in script and "alloc 4096 bytes" in script
