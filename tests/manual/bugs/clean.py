"""Correct programs: a DebugAllocator must report nothing for them, and find no leak."""

import random

EXPECT = None


def linked_list(heap):
    head = heap.NULL
    for key in range(20):
        node = heap.malloc(16)
        node.u64[0] = key
        node.ptr[1] = head
        head = node
    total = 0
    while head:
        total += head.u64[0]
        after = head.ptr[1]  # read next before freeing the node
        heap.free(head)
        head = after
    assert total == sum(range(20))


def growing_buffer(heap):
    capacity, length = 4, 0
    data = heap.malloc(capacity)
    for value in range(100):
        if length == capacity:
            capacity *= 2
            data = heap.realloc(data, capacity)
        data.u8[length] = value
        length += 1
    assert [data.u8[i] for i in range(length)] == list(range(100))
    heap.free(data)


def strings(heap):
    words = ["alpha", "beta", "gamma"]
    copies = []
    for word in words:
        copy = heap.malloc(len(word) + 1)  # room for the NUL
        heap.strcpy(copy, word)
        copies.append(copy)
    joined = heap.calloc(32, 1)
    at = 0
    for copy in copies:
        n = heap.strlen(copy)
        heap.memcpy(joined + at, copy, n)
        at += n
    assert heap.string(joined) == "alphabetagamma"
    for copy in copies + [joined]:
        heap.free(copy)


def matrix(heap):
    rows, cols = 4, 5
    row_table = heap.malloc(8 * rows)
    for r in range(rows):
        row = heap.calloc(cols, 8)
        row_table.ptr[r] = row
        for c in range(cols):
            row.f64[c] = r * cols + c
    assert sum(row_table.ptr[r].f64[c] for r in range(rows) for c in range(cols)) == sum(range(20))
    for r in range(rows):
        heap.free(row_table.ptr[r])
    heap.free(row_table)


def free_null_and_realloc_null(heap):
    heap.free(heap.NULL)  # allowed in C
    p = heap.realloc(heap.NULL, 24)  # realloc(NULL, n) is malloc(n)
    heap.memset(p, 0, 24)
    assert p.u64[2] == 0
    heap.free(p)


def random_well_behaved(heap, seed=7, steps=400):
    """A seeded random program that only ever touches what it owns."""
    rng = random.Random(seed)
    live = {}
    for _ in range(steps):
        if live and rng.random() < 0.45:
            p, data = live.pop(rng.choice(list(live)))
            assert p.read(len(data)) == data
            heap.free(p)
        elif live and rng.random() < 0.2:
            key = rng.choice(list(live))
            p, data = live[key]
            n = rng.randint(1, 96)
            p = heap.realloc(p, n)
            kept = data[:n] + bytes(rng.randrange(256) for _ in range(n - len(data[:n])))
            p.write(kept)
            live[key] = (p, kept)
        else:
            n = rng.randint(1, 96)
            p = heap.malloc(n)
            data = bytes(rng.randrange(256) for _ in range(n))
            p.write(data)
            live[object()] = (p, data)
    for p, data in live.values():
        assert p.read(len(data)) == data
        heap.free(p)


PROGRAMS = [linked_list, growing_buffer, strings, matrix, free_null_and_realloc_null, random_well_behaved]
