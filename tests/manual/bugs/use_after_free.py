"""Use after free: reading or writing a block through a pointer kept after free()
(ASan: heap-use-after-free; memcheck: "Address ... is 0 bytes inside a block of size N free'd")."""

from memlab.errors import UseAfterFree

EXPECT = UseAfterFree


def read_dangling(heap):
    p = heap.malloc(16)
    p.i32[0] = 42
    heap.free(p)
    return p.i32[0]  # BUG


def write_dangling(heap):
    session = heap.malloc(32)
    session.u64[0] = 1
    heap.free(session)  # logout
    session.u64[1] = 99  # BUG  a late update of the freed session


def free_list_nodes(heap):
    head = heap.NULL
    for key in range(3):
        node = heap.malloc(16)  # struct { long key; node *next; }
        node.u64[0] = key
        node.ptr[1] = head
        head = node
    node = head
    while node:
        heap.free(node)
        node = node.ptr[1]  # BUG  reads node->next after freeing node


def stale_pointer_after_realloc(heap):
    items = heap.malloc(8)
    items.u64[0] = 1
    other = heap.malloc(8)  # so items cannot grow in place
    other.u64[0] = 2
    bigger = heap.realloc(items, 256)
    bigger.u64[1] = 2
    return items.u64[0]  # BUG  items was freed when realloc moved it


PROGRAMS = [read_dangling, write_dangling, free_list_nodes, stale_pointer_after_realloc]
