"""Invalid free: freeing an address malloc never returned (ASan: "attempting free on address
which was not malloc()-ed"; memcheck: "Invalid free()")."""

from memlab.errors import InvalidFree

EXPECT = InvalidFree


def interior_pointer(heap):
    text = heap.malloc(16)
    heap.strcpy(text, "  hello")
    start = text + 2  # skip the blanks
    heap.free(start)  # BUG


def field_of_a_struct(heap):
    node = heap.malloc(24)  # struct { long key; long value; node *next; }
    node.u64[0] = 1
    node.u64[1] = 2
    node.ptr[2] = None
    heap.free(node + 8)  # BUG  the address of node->value, not of node


def never_allocated(heap):
    heap.malloc(8)
    somewhere = heap.NULL + 0x7F8  # an address malloc never returned (here: in the zero page)
    heap.free(somewhere)  # BUG


def freeing_a_value(heap):
    cell = heap.malloc(8)
    cell.u64[0] = 4096 + 27  # a number, not a pointer
    heap.free(cell.ptr[0])  # BUG


PROGRAMS = [interior_pointer, field_of_a_struct, never_allocated, freeing_a_value]
