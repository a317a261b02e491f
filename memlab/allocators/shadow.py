"""The shadow table: memlab's own record of the live blocks, kept beside the simulated heap.

Valgrind's Memcheck and AddressSanitizer keep *shadow memory* that says which bytes a program
may touch. memlab keeps the same knowledge per block: payload address, requested size and the
step that allocated it, plus the addresses freed since. A real ``free`` trusts its argument;
:meth:`ShadowTable._live_size` consults the table first and turns a bad pointer into the typed
error that names it: a double free, a use after free, an interior pointer, or no block at all.

:class:`ShadowTable` is a mixin for :class:`~memlab.allocators.base.Allocator`, which owns
``_live``, ``_freed`` and the live-byte counters.
"""

from __future__ import annotations

from ..errors import DoubleFree, InvalidFree, UseAfterFree, describe_block


class ShadowTable:
    """Looking up and resizing live blocks, and the errors for pointers that are not one."""

    def _block_of(self, address: int) -> tuple[int, int] | None:
        """The live (payload address, size) containing ``address``, if any."""
        for start, (size, _) in self._live.items():
            if start <= address < start + size:
                return start, size
        return None

    def _set_size(self, address: int, size: int) -> None:
        old, since = self._live[address]
        self._live[address] = (size, since)
        self._live_bytes += size - old
        self._peak_live = max(self._peak_live, self._live_bytes)

    def _live_size(self, address: object, what: str) -> int:
        """The size of the live block at ``address``, or the right typed error."""
        entry = self._live.get(address) if isinstance(address, int) else None
        if entry is not None:
            return entry[0]
        if not isinstance(address, int) or isinstance(address, bool):
            raise InvalidFree(f"{what} of {address!r}: not an address", step=self.step)
        if address in self._freed:
            cls = DoubleFree if what == "free" else UseAfterFree
            text = "double free" if what == "free" else f"{what} of a freed block"
            raise cls(
                f"{text} at {address:#x}",
                address=address,
                block=describe_block(address, 0, "freed", self._freed[address]).replace("0 bytes, ", ""),
                step=self.step,
            )
        inside = self._block_of(address)
        if inside is not None:
            start, size = inside
            since = self._live[start][1]
            raise InvalidFree(
                f"{what} of {address:#x}: an interior pointer, {address - start} bytes inside "
                f"the {size}-byte block at {start:#x}",
                address=address,
                block=describe_block(start, size, "allocated", since),
                step=self.step,
            )
        raise InvalidFree(f"{what} of {address:#x}: not the start of any live block", address=address, step=self.step)
