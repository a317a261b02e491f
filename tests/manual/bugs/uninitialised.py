"""Reads of uninitialised heap memory (MemorySanitizer: use-of-uninitialized-value; memcheck:
"Use of uninitialised value", with --track-origins: "created by a heap allocation")."""

from memlab.manual.errors import UninitialisedRead

EXPECT = UninitialisedRead


def read_before_write(heap):
    counter = heap.malloc(8)  # malloc, not calloc: the bytes are whatever was there
    counter.u64[0] = counter.u64[0] + 1  # BUG


def field_never_set(heap):
    point = heap.malloc(12)  # struct { int x, y, z; }
    point.i32[0] = 3
    point.i32[1] = 4
    return point.i32[0] + point.i32[1] + point.i32[2]  # BUG  z was never set


def grown_by_realloc(heap):
    items = heap.malloc(4 * 2)
    items.i32[0], items.i32[1] = 10, 20
    items = heap.realloc(items, 4 * 4)  # the two new ints are not initialised
    return sum(items.i32[i] for i in range(4))  # BUG


def loop_misses_the_last(heap):
    n = 6
    table = heap.malloc(n)
    for i in range(n - 1):
        table.u8[i] = 1
    return sum(table.u8[i] for i in range(n))  # BUG


PROGRAMS = [read_before_write, field_never_set, grown_by_realloc, loop_misses_the_last]
