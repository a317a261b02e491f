"""Objects that lie: an int whose == is always True, an object whose __class__ says int, a huge
int, a recursion bomb of nested lists, and a heap left holding lying objects."""


class Yes(int):
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = int.__hash__


class Liar:
    @property
    def __class__(self):
        return int

    def __eq__(self, other):
        return True

    def __index__(self):
        return 0


def buddy_of(heap, block, order):
    return Yes(0)


def split(heap, block, j, k):
    heap.order_of[block] = Liar()
    return Liar()


def merge(heap, block, order):
    bomb = []
    for _ in range(100_000):
        bomb = [bomb]
    heap.free_area[order] = {block: Yes(1), "bomb": bomb}
    return 10**100_000
