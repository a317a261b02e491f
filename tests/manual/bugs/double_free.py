"""Double free: the same block freed twice (ASan: double-free; glibc aborts with
"free(): double free detected in tcache 2")."""

from memlab.errors import DoubleFree

EXPECT = DoubleFree


def free_twice(heap):
    p = heap.malloc(32)
    p.u64[0] = 1
    heap.free(p)
    heap.free(p)  # BUG


def two_owners(heap):
    # a "shallow copy": two structs hold the same buffer, and both clean up
    name = heap.malloc(16)
    heap.strcpy(name, "ada")
    first = heap.malloc(16)
    second = heap.malloc(16)
    first.ptr[0] = name
    second.ptr[0] = name
    heap.free(first.ptr[0])
    heap.free(first)
    heap.free(second.ptr[0])  # BUG
    heap.free(second)


def parse_number(heap, buffer, text):
    heap.strcpy(buffer, text)
    if not text.isdigit():
        heap.free(buffer)  # the error path cleans up ...
        return None
    return int(text)


def error_path_frees_twice(heap):
    buffer = heap.malloc(16)
    if parse_number(heap, buffer, "12x") is None:
        heap.free(buffer)  # BUG  ... and so does the caller


def free_after_realloc(heap):
    p = heap.malloc(8)
    p.u64[0] = 7
    neighbour = heap.malloc(8)  # so p cannot grow in place
    q = heap.realloc(p, 200)
    heap.free(q)
    heap.free(neighbour)
    heap.free(p)  # BUG  realloc already freed p when it moved the block


PROGRAMS = [free_twice, two_owners, error_path_frees_twice, free_after_realloc]
