"""Redzones: poisoned bytes around every block, as AddressSanitizer and debug heaps lay them out.

Each block gets a redzone before and after its payload, filled with a known pattern (0xFA on the
left, 0xFB on the right). A checked access that lands in one is reported at once (:mod:`.access`);
a write that bypassed the checks is still found, as glibc's ``MALLOC_CHECK_`` and the MSVC debug
heap find a damaged canary: on free, resize and realloc the pattern is compared, the damage
reported, and the pattern written again.
"""

from __future__ import annotations

from .errors import HeapBufferOverflow, HeapBufferUnderflow
from .records import BlockRecord

LEFT_REDZONE = 0xFA
RIGHT_REDZONE = 0xFB


def first_not(data: bytes, value: int) -> int:
    """Index of the first byte of ``data`` that is not ``value``, or -1."""
    stripped = data.lstrip(bytes([value]))
    return len(data) - len(stripped) if stripped else -1


class Redzones:
    """Checking and repainting the redzones of a :class:`~.debug.DebugAllocator` (a mixin)."""

    def _damage(self, record: BlockRecord) -> tuple[int, int]:
        """The first overwritten byte of the left and of the right redzone (-1 where intact)."""
        left = first_not(self.memory.read(record.raw, record.left), LEFT_REDZONE)
        right = first_not(self.memory.read(record.end, record.right), RIGHT_REDZONE)
        return left, right

    def _check_redzones(self, record: BlockRecord, when: str) -> None:
        """Find writes into the redzones (canaries) that the checked accesses did not see."""
        left, right = self._damage(record)
        if left < 0 and right < 0:
            return
        at = record.raw + left if left >= 0 else record.end + right
        cls = HeapBufferUnderflow if left >= 0 else HeapBufferOverflow
        side = "left" if left >= 0 else "right"
        note = f"the {side} redzone was overwritten before this {when}"
        self._report("heap-buffer-overflow", cls, at, when, record=record, note=note, abort=False)
        self._poison(record)

    def _poison(self, record: BlockRecord) -> None:
        self.memory.fill(record.raw, record.left, LEFT_REDZONE)
        self.memory.fill(record.end, record.right, RIGHT_REDZONE)
