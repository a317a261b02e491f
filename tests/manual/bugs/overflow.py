"""Heap buffer overflow: an access past the end of a block (ASan: heap-buffer-overflow,
"located 0 bytes to the right of N-byte region"; memcheck: "0 bytes after a block of size N")."""

from memlab.manual.errors import HeapBufferOverflow

EXPECT = HeapBufferOverflow


def off_by_one_loop(heap):
    n = 4
    squares = heap.malloc(4 * n)
    for i in range(n + 1):  # <= instead of <
        squares.i32[i] = i * i  # BUG


def strcpy_without_room_for_nul(heap):
    word = "memory"
    copy = heap.malloc(len(word))  # strlen(word) bytes: no room for the NUL
    heap.strcpy(copy, word)  # BUG


def wide_read_at_the_end(heap):
    flags = heap.malloc(5)
    heap.memset(flags, 0, 5)
    return flags.u64[0]  # BUG  an 8-byte read of a 5-byte block


def memcpy_too_much(heap):
    source = heap.calloc(64, 1)
    target = heap.malloc(32)
    heap.memcpy(target, source, 64)  # BUG


PROGRAMS = [off_by_one_loop, strcpy_without_room_for_nul, wide_read_at_the_end, memcpy_too_much]
