"""Two semispaces: the memory under Cheney's copying collector (CACM 1970).

One region of the parent allocator, cut in two equal halves. New objects are bump-allocated in
*from-space*; *to-space* waits, empty, for the next collection. At the flip the halves swap
roles: the survivors, copied to the start of to-space, become the new from-space, and what
was left behind is dropped whole, never freed object by object. Simplification: the region
has a fixed size (V8, for one, grows its young generation's semispaces when many objects survive).
"""

from __future__ import annotations

from ..allocators.base import ALLOCATED, FREE, Allocator, Block
from ..errors import OutOfMemory
from ..memory import align_up, check_size


class SemiSpace(Allocator):
    """Two equal halves of one block of the parent allocator; bump allocation in from-space."""

    name = "semispace"

    def __init__(self, parent: Allocator, size: int) -> None:
        super().__init__(os=parent.os)
        check_size(size, "semispace size")
        self.size = align_up(size, 16)
        self.region = parent.alloc(2 * self.size)
        self.current = 0  # which half is from-space
        self.top = self.base(0)

    def base(self, half: int) -> int:
        return self.region + half * self.size

    @property
    def from_space(self) -> tuple[int, int]:
        return self.base(self.current), self.base(self.current) + self.size

    @property
    def to_space(self) -> tuple[int, int]:
        return self.base(1 - self.current), self.base(1 - self.current) + self.size

    def room(self) -> int:
        return self.from_space[1] - self.top

    def _alloc(self, size: int, align: int) -> int:
        address = align_up(self.top, align)
        if address + size > self.from_space[1]:
            raise OutOfMemory(
                f"from-space full: {size} bytes do not fit in the {self.from_space[1] - address} bytes left "
                f"of a {self.size}-byte semispace",
                address=address,
            )
        self.top = address + size
        return address

    def _free(self, address: int, size: int) -> None:
        """Objects are never freed one by one: the whole from-space is dropped at the flip."""

    def flip(self, survivors: dict[int, int], top: int) -> None:
        """To-space becomes from-space, holding ``survivors`` (address -> size) up to ``top``."""
        self.current = 1 - self.current
        self.top = top
        self._live = {a: (s, self.step) for a, s in survivors.items()}
        self._live_bytes = sum(survivors.values())

    def layout(self) -> list[Block]:
        lo, hi = self.from_space
        blocks = [Block(a, s, ALLOCATED, requested=s) for a, (s, _) in sorted(self._live.items())]
        if hi > self.top:
            blocks.append(Block(self.top, hi - self.top, FREE, "from-space, unused"))
        to_lo, to_hi = self.to_space
        blocks.append(Block(to_lo, to_hi - to_lo, FREE, "to-space, reserved for the next collection"))
        return sorted(blocks, key=lambda b: b.address)

    def extent(self) -> tuple[int, int]:
        return self.region, self.region + 2 * self.size
