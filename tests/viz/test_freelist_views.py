"""What a learner sees of the free-list heap: decoded boundary tags, the hexdump, and the three
lecture demos (placement, the four coalescing cases, segregated fits)."""

import memlab.demos
from memlab.allocators.freelist.heap import FreeListHeap
from memlab.demos.coalescing import four_cases
from memlab.viz.hexdump import byte_roles, hexdump_text
from memlab.viz.tags import tag_words, tags_html, tags_text
from memlab.widgets import heap_player


def three_blocks(**kw):
    heap = FreeListHeap(chunk=64, **kw)
    return heap, [heap.alloc(n) for n in (8, 20, 8)]  # 16 + 32 + 16 = the whole 64-byte chunk


def test_tags_text_decodes_every_header_and_footer_word():
    heap, (a, b, c) = three_blocks()
    before = heap.snapshot()
    heap.free(b)
    assert tags_text(heap.snapshot(), before) == "\n".join(
        [
            f"  {heap.prologue - 4:#06x}  00 00 00 00  padding (keeps payloads 8-aligned)",
            f"  {heap.prologue:#06x}  09 00 00 00  prologue header: size 8, allocated",
            f"  {heap.prologue + 4:#06x}  09 00 00 00  prologue footer: size 8, allocated",
            f"  {a - 4:#06x}  11 00 00 00  header: size 16, allocated",
            f"  {a + 8:#06x}  11 00 00 00  footer: size 16, allocated",
            f"* {b - 4:#06x}  20 00 00 00  header: size 32, free",
            f"* {b + 24:#06x}  20 00 00 00  footer: size 32, free",
            f"  {c - 4:#06x}  11 00 00 00  header: size 16, allocated",
            f"  {c + 8:#06x}  11 00 00 00  footer: size 16, allocated",
            f"  {c + 12:#06x}  01 00 00 00  epilogue: size 0, allocated",
        ]
    )


def test_free_blocks_on_an_explicit_list_show_their_links_and_the_head():
    heap, (a, b, c) = three_blocks(list="explicit")
    heap.free(a)
    heap.free(c)
    words = {t.address: t for t in tag_words(heap.snapshot())}
    assert words[heap.heads_address].meaning == f"list head: {c:#x} (the block at {c - 4:#x})"
    assert words[c].meaning == "pred: none (end of list)", "LIFO: c was freed last, so it is first"
    assert words[c + 4].meaning == f"succ: {a:#x} (the block at {a - 4:#x})"
    assert words[a + 4].meaning == "succ: none (end of list)"
    assert b not in words, "an allocated block's payload is not metadata"


def test_segregated_heads_name_their_size_class_and_empty_ones_are_hidden():
    heap, (a, b, c) = three_blocks(list="segregated")
    heap.free(b)
    html = tags_html(heap.snapshot())
    assert f"head of class 2 (32 bytes): {b:#x}" in html
    assert "14 empty list heads not shown" in html
    assert "head of class 0" not in html
    lists = tags_html(heap.snapshot(), free_only=True)
    assert "size 16, allocated" not in lists and "header: size 32, free" in lists and "succ: none" in lists
    assert "14 empty list heads and the tags of allocated blocks not shown" in lists


def test_the_hexdump_shades_header_and_footer_bytes_as_metadata_and_marks_changes():
    heap, (a, b, c) = three_blocks()
    before = heap.snapshot()
    heap.free(b)
    after = heap.snapshot()
    roles = byte_roles(after)
    assert [roles[b - 4 + i] for i in range(4)] == ["metadata"] * 4
    assert roles[b] == "free" and roles[a] == "allocated"
    assert [roles[b + 24 + i] for i in range(4)] == ["metadata"] * 4
    dump = hexdump_text(after, previous=before, start=b - 4, length=16)
    assert dump.splitlines()[1].split() == ["^^"], "only the allocated bit of the header changed"


def test_a_heap_player_with_hexdump_shows_map_and_bytes():
    heap, (a, b, c) = three_blocks()
    with heap.record() as rec:
        heap.free(b)
    player = heap_player(rec.recording, hexdump=True)
    player.seek(-1)
    assert "<svg" in player.html and "<pre" in player.html
    assert player.caption.endswith("stays as it is"), player.caption


def test_placement_demo_shows_best_fit_growing_and_first_fit_not():
    player = memlab.demos.demo("freelist")
    script = player.recording.script()
    assert "best fit done: the heap had to grow by 664 bytes" in script
    player.seek(-1)
    assert player.caption.endswith("first fit done: all three fit, the heap did not grow; footprint 680 bytes")
    assert "680 bytes" in player.html, "the heap map's label: 680 bytes in all, no growth"
    assert player.title == "Free lists: best fit is not always best"


def test_coalescing_demo_walks_the_four_cases_and_ends_with_one_free_block():
    player = memlab.demos.demo("coalescing")
    cases = [e.case for e in player.recording.events if e.kind == "coalesce"]
    assert cases == [1, 2, 3, 2, 4]
    player.seek(-1)
    assert "case 4: coalesce 48 + 16 + 64 into one 128-byte free block" in player.caption
    assert player.html.count("size 128, free") == 2, "header and footer of the one block left"
    assert "size 16, allocated" not in player.html


def test_segregated_demo_counts_a_short_search_against_the_implicit_walk():
    player = memlab.demos.demo("segregated")
    player.seek(-1)
    assert player.caption.endswith(
        "alloc(200) needs 208 bytes: search starts at class 136-256, examines 2 free blocks; "
        "an implicit list examines 13 blocks"
    )
    assert "head of class" in player.html


def test_the_demos_are_listed_in_course_order():
    topics = memlab.demos.topics()
    assert [t for t in topics if t in ("freelist", "coalescing", "segregated")] == [
        "freelist",
        "coalescing",
        "segregated",
    ]


def test_the_player_outlines_the_block_being_split():
    player = memlab.demos.demo("freelist")
    split = next(f for f in player.recording if f.event is not None and f.event.kind == "split")
    player.seek(split.index)
    assert player.caption.endswith("split 304-byte free block at 0x1164 into 256 + 48")
    assert 'stroke="#000000" stroke-width="2.5"' in player.html, "the split block is outlined"
    player.seek(0)
    assert 'stroke="#000000" stroke-width="2.5"' not in player.html, "nothing is outlined before any event"


def test_each_coalescing_case_rewrites_only_the_outer_header_and_footer():
    recording = four_cases()
    merges = [f for f in recording if f.event is not None and f.event.kind == "coalesce"]
    for frame in merges:
        event = frame.event
        before = recording[frame.index - 2].snapshot  # before the block was freed
        changed = {t.address for t in tag_words(frame.snapshot, before) if t.changed}
        assert changed == {event.address, event.address + event.size - 4}, event.describe()
