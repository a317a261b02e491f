"""Leaks: blocks still allocated at the end that nothing points to (LeakSanitizer: "Direct leak of
N byte(s) in K object(s)"; memcheck: "definitely lost" / "indirectly lost").

The allocation the checker must report as a direct leak is marked ``# LEAK``."""

from memlab.manual.errors import MemoryLeak

EXPECT = MemoryLeak


def forgotten_buffer(heap):
    line = heap.malloc(80)  # LEAK
    heap.strcpy(line, "a line of input")
    return heap.strlen(line)  # returns without free(line)


def only_the_head_freed(heap):
    head = heap.malloc(16)  # struct { long key; node *next; }
    head.u64[0] = 0
    second = heap.malloc(16)  # LEAK
    second.u64[0] = 1
    second.ptr[1] = None
    third = heap.malloc(16)
    third.u64[0] = 2
    third.ptr[1] = None
    second.ptr[1] = third
    head.ptr[1] = second
    heap.free(head)  # second and third are lost: second directly, third through it


def pointer_overwritten(heap):
    config = heap.malloc(32)  # LEAK
    heap.strcpy(config, "defaults")
    config = heap.malloc(32)  # the only pointer to the first block is gone
    heap.strcpy(config, "user settings")
    heap.free(config)


def lost_cycle(heap):
    a = heap.malloc(16)  # LEAK
    b = heap.malloc(16)
    a.ptr[0] = b
    b.ptr[0] = a  # a and b point at each other; nothing else points at them
    a.u64[1] = b.u64[1] = 0


PROGRAMS = [forgotten_buffer, only_the_head_freed, pointer_overwritten, lost_cycle]
