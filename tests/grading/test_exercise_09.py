"""Exercise 09 (pages and the OS): the solution scores full marks, classic mistakes get partial
marks with a message that names them, and the exercise's allocator keeps the OS's books."""

from __future__ import annotations

import pytest
from exercise_kit import answers, solution_path
from exercise_kit import graded as graded_on

from memlab.errors import BadSize, InvalidFree
from memlab.grading import Limits, check
from memlab.grading.checks import exercise
from memlab.grading.checks.e09_pages_and_the_os import ExercisePages, count, demo
from memlab.grading.grader import grade

SOLUTION = solution_path("09")


def namespace(*code: str) -> dict:
    """The solution's definitions, with some functions replaced by the given code."""
    return answers("09", *code)


def graded(ns: dict, name: str) -> tuple[float, str]:
    return graded_on("09", name, ns)


def test_the_solution_scores_full_marks_with_its_hidden_tests():
    feedback = check("09", namespace())
    assert feedback.score == feedback.max_score == 12, str(feedback)
    (result,) = grade([SOLUTION], limits=Limits(seconds=10))
    assert result.score == result.max_score == 14
    assert [t.name for t in result.tests if "hidden" in t.name] == ["page_alloc: hidden test 1", "glibc: hidden test 1"]


WRONG = {
    "one page too many at a multiple": (
        "pages_needed",
        "def pages_needed(size, page_size):\n    return size // page_size + 1",
        2,
        "pages_needed(4096, 4096) is 2; expected 1 (round up only when there is a remainder)",
    ),
    "rounding down": (
        "pages_needed",
        "def pages_needed(size, page_size):\n    return size // page_size",
        1,
        "pages_needed(1, 4096) is 0; expected 1",
    ),
    "the excess pages kept": (
        "page_alloc",
        """def page_alloc(pa, size, align):
    length = pages_needed(size, pa.page_size) * pa.page_size
    if align <= pa.page_size:
        return pa.mmap(length)
    raw = pa.mmap(length + align)
    return (raw + align - 1) & -align""",
        3,
        "the OS maps [('0xf5000', 40960), ('0xff000', 4096)]; expected [('0xf8000', 8192), ('0xff000', 4096)]: "
        "32768 bytes of excess pages stay mapped",
    ),
    "alignment ignored": (
        "page_alloc",
        "def page_alloc(pa, size, align):\n    return pa.mmap(pages_needed(size, pa.page_size) * pa.page_size)",
        2,
        "alloc(5000, align=16384) returned 0xfd000, not a multiple of 16384",
    ),
    "above the threshold, not at it": (
        "glibc",
        """def glibc_malloc(m, size):
    if size > m.mmap_threshold:
        return m.pages.alloc(size)
    return m.heap.alloc(size)""",
        4,
        "malloc(131072) did not go to mmap; requests of 131072 bytes or more do (>=)",
    ),
    "a threshold that never adapts": (
        "glibc",
        """def glibc_free(m, address):
    if m.is_mmapped(address):
        m.pages.free(address)
    else:
        m.heap.free(address)""",
        3,
        "after freeing a mapped chunk of 200704 bytes (49 pages) the threshold is 131072; expected 200704",
    ),
    "a threshold that falls": (
        "glibc",
        """def glibc_free(m, address):
    if m.is_mmapped(address):
        if m.chunk_size(address) <= m.MMAP_THRESHOLD_MAX:
            m.mmap_threshold = m.chunk_size(address)
        m.pages.free(address)
    else:
        m.heap.free(address)""",
        4,
        "after freeing chunks of 303104 then 143360 bytes the threshold is 143360; expected 303104 (it only rises)",
    ),
    "a threshold without a cap": (
        "glibc",
        """def glibc_free(m, address):
    if m.is_mmapped(address):
        m.mmap_threshold = max(m.mmap_threshold, m.chunk_size(address))
        m.pages.free(address)
    else:
        m.heap.free(address)""",
        4,
        "after freeing a 614400-byte chunk the threshold is 614400; expected 303104: it stops at m.MMAP_THRESHOLD_MAX",
    ),
}


@pytest.mark.parametrize("name", WRONG)
def test_classic_wrong_answers_get_partial_marks_with_a_helpful_message(name):
    question, code, expected, message = WRONG[name]
    ns = namespace(code)
    earned, messages = graded(ns, question)
    assert earned == expected, messages
    assert message in messages
    if question != "pages_needed":  # page_alloc calls pages_needed; the others stand alone
        for other in {"pages_needed", "page_alloc", "glibc"} - {question}:
            assert graded(ns, other)[0] == exercise("09").question(other).points


def test_munmap_cuts_the_table_as_the_os_cuts_its_mappings_and_refuses_what_is_not_mapped():
    pa = ExercisePages()
    raw = pa.mmap(5 * 4096 - 100)  # rounded up to 5 pages, like the kernel does
    assert pa.os.regions() == [(raw, 5 * 4096)] and pa.footprint == 5 * 4096
    pa.munmap(raw + 4096, 4096)  # a hole in the middle
    assert pa.os.regions() == [(raw, 4096), (raw + 8192, 3 * 4096)]
    assert pa.mapped_pages == 4 and pa.footprint == 4 * 4096
    before = (pa.layout(), pa.os.regions(), pa.footprint, dict(pa.os.syscalls))
    for address, length in ((raw + 4096, 4096), (raw + 100, 4096), (raw + 8192, 4 * 4096)):
        with pytest.raises(InvalidFree):
            pa.munmap(address, length)
        assert (pa.layout(), pa.os.regions(), pa.footprint, dict(pa.os.syscalls)) == before
    for length in (0, -4096, 4096.0):
        with pytest.raises(BadSize):
            pa.mmap(length)
        assert (pa.layout(), pa.os.regions(), pa.footprint, dict(pa.os.syscalls)) == before
    pa.check()


def test_watching_the_solution_shows_the_trim_and_counting_shows_few_system_calls(capsys):
    ns = namespace()
    player = demo(ns["page_alloc"])
    script = player.recording.script()
    assert "5. grow: mmap gives 20480 bytes at 0xf7000" in script
    assert "6. shrink: munmap returns 4096 bytes at 0xf7000" in script
    assert "7. shrink: munmap returns 8192 bytes at 0xfa000" in script
    assert "8. alloc 5000 bytes at 0xf8000" in script
    player.seek(len(player.recording) - 1)
    assert "free the 5000-byte block at 0xf8000" in player.caption
    count(ns["glibc_malloc"], ns["glibc_free"])
    assert capsys.readouterr().out.splitlines() == [
        "3000 operations, 13 system calls: {'mmap': 2, 'munmap': 2, 'sbrk': 9}",
        "(the page allocator of notebook 09 would make 3000: one per malloc and one per free)",
        "mmap threshold now 303104 bytes (it started at 131072)",
    ]
