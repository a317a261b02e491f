"""The quarantine: freed blocks wait before their memory is reused, as in AddressSanitizer.

A freed block is filled with 0xAA and joins a FIFO queue bounded in bytes (ASan's
``quarantine_size_mb``); only when the queue is over its limit does the oldest block go back to
the wrapped allocator. Until then nobody else can be given that memory, so a use after free
finds the freed block and is reported as such. Released blocks are still remembered (up to
``HISTORY`` of them) until their memory is reused, so a late use can be named too.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..events import Event
from .records import QUARANTINED, RELEASED, BlockRecord

FREE_FILL = 0xAA
HISTORY = 4096
"""Released blocks remembered (for use-after-free reports) until their memory is reused."""


@dataclass(frozen=True, slots=True)
class Released(Event):
    address: int
    size: int

    def describe(self) -> str:
        return f"the freed {self.size}-byte block at {self.address:#x} leaves quarantine: its memory can be reused"


class Quarantine:
    """Freeing into the quarantine and releasing from it, for :class:`~.debug.DebugAllocator` (a mixin)."""

    def _free(self, address: int, size: int) -> None:
        record = self._records[address]
        self._check_redzones(record, "free")
        record.state, record.free_step, record.free_site = QUARANTINED, self.step, self._site()
        self.memory.fill(record.payload, record.size, FREE_FILL)
        self._quarantine.append(record)
        self.quarantined_bytes += record.total
        while self.quarantined_bytes > self.quarantine_limit and self._quarantine:
            self._release(self._quarantine.popleft())

    def _release(self, record: BlockRecord) -> None:
        self.quarantined_bytes -= record.total
        self._relay(self.inner.free, record.raw)
        self._spans.remove(record)
        del self._records[record.payload]
        record.state = RELEASED
        self._history.add(record)
        self._history_order.append(record)
        if len(self._history_order) > HISTORY:
            self._history.remove(self._history_order.popleft())
        if self.recorder is not None:
            self._emit(Released(self.step, record.payload, record.size))

    def drain(self) -> None:
        """Empty the quarantine: give every freed block back to the wrapped allocator."""
        while self._quarantine:
            self._release(self._quarantine.popleft())
