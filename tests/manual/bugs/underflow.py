"""Heap buffer underflow: an access before the start of a block (ASan reports it as
heap-buffer-overflow "located N bytes to the left of"; memcheck: "N bytes before a block")."""

from memlab.manual.errors import HeapBufferUnderflow

EXPECT = HeapBufferUnderflow


def index_minus_one(heap):
    values = heap.malloc(8 * 4)
    for i in range(4):
        values.i64[i] = i
    values.i64[-1] = 0  # BUG  Python's "last item" is C's "before the first"


def countdown_one_too_far(heap):
    n = 5
    buffer = heap.malloc(n)
    i = n - 1
    while i >= -1:  # should stop at 0
        buffer.u8[i] = 0  # BUG
        i -= 1


def peek_at_the_header(heap):
    p = heap.malloc(24)
    p.u64[0] = 0
    header = p - 8  # "malloc keeps the size just before the block"
    return header.u64[0]  # BUG


PROGRAMS = [index_minus_one, countdown_one_too_far, peek_at_the_header]
