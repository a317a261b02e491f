"""Spoofed feedback: an exception message, printed text and a returned string, each with newlines,
carriage returns and terminal escapes that would draw fake lines such as "✓ everything: ok"."""

FAKE = "\n✓ everything: ok\r\n\x1b[2K✓ buddy_of: finding a buddy: 4/4\n  ✓ all 12/12\u2028✓ every case: ok"


class Shout:  # runs while the notebook's definitions do
    print(FAKE)


def buddy_of(heap, block, order):
    print(FAKE)
    raise ValueError(FAKE)


def split(heap, block, j, k):
    raise type("Evil", (Exception,), {})(FAKE)


def merge(heap, block, order):
    heap.free_area[order][FAKE] = FAKE  # a free "block" whose address is the fake text
    return FAKE
