"""Checked loads and stores: every access of a program under the debug allocator is inspected.

As AddressSanitizer's instrumentation checks the shadow byte of each load and store, ``load``,
``store``, ``copy`` (memcpy) and ``fill`` (memset) first find the block the access falls in:
outside every mapping is a SEGV; in a redzone, a heap-buffer-overflow (or underflow); in a
quarantined or released block, a heap-use-after-free; far from every block, a wild access. As
Valgrind memcheck tracks definedness, a store marks its bytes written, memcpy copies their
definedness along, and a load of a byte nobody wrote is a use of an uninitialised value.
Simplification: definedness is one flag per byte (memcheck keeps one per bit).
"""

from __future__ import annotations

from ..errors import BadRequest, BadSize, UseAfterFree
from .errors import HeapBufferOverflow, HeapBufferUnderflow, SegmentationFault, UninitialisedRead, WildAccess
from .records import LIVE, BlockRecord


def is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class CheckedAccess:
    """load, store, copy and fill of a :class:`~.debug.DebugAllocator`, checked (a mixin)."""

    def load(self, address: int, n: int) -> bytes:
        """Read ``n`` bytes, checking that they belong to a live block and were written."""
        self.step += 1
        return self._guard(self._load, address, n, True)

    def _load(self, address: int, n: int, defined: bool) -> bytes:
        record = self._check_access(address, n, "READ")
        if defined and record is not None and self.definedness:
            offset = address - record.payload
            undefined = record.defined.find(0, offset, offset + n)
            if undefined >= 0:
                note = f"byte {undefined} of the block was never written"
                self._report(
                    "use-of-uninitialized-value",
                    UninitialisedRead,
                    address,
                    "READ",
                    size=n,
                    record=record,
                    at=record.payload + undefined,
                    note=note,
                    abort=False,
                )
        return self.memory.read(address, n)

    def store(self, address: int, data: bytes) -> None:
        """Write ``data``, checking that every byte belongs to a live block."""
        self.step += 1
        self._guard(self._store, address, data)

    def _store(self, address: int, data: bytes) -> None:
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise BadRequest(f"store of {data!r}: not bytes", step=self.step)
        data = bytes(data)
        self._write(self._check_access(address, len(data), "WRITE"), address, data)

    def _write(self, record: BlockRecord | None, address: int, data: bytes, bits: bytes | None = None) -> None:
        """Store the part of ``data`` that lies in the live block ``record`` and mark it defined.

        Only a reported bug without ``halt`` gets here with bytes outside the block: those are
        dropped, so the program's bug cannot corrupt the wrapped heap (a real one would)."""
        if record is None or record.state != LIVE:
            return
        lo, hi = max(address, record.payload), min(address + len(data), record.end)
        if hi > lo:
            self.memory.write(lo, data[lo - address : hi - address])
            piece = bits[lo - address : hi - address] if bits is not None else b"\x01" * (hi - lo)
            record.defined[lo - record.payload : hi - record.payload] = piece

    def copy(self, dest: int, src: int, n: int) -> None:
        """memcpy: copies the bytes and their definedness; undefined bytes may be copied freely."""
        self.step += 1
        self._guard(self._copy, dest, src, n)

    def _copy(self, dest: int, src: int, n: int) -> None:
        data = self._load(src, n, False)
        source = self._spans.find(src)
        bits = None
        if source is not None and source.state == LIVE and source.payload <= src and src + n <= source.end:
            bits = bytes(source.defined[src - source.payload : src - source.payload + n])
        self._write(self._check_access(dest, n, "WRITE"), dest, data, bits)

    def fill(self, address: int, n: int, value: int = 0) -> None:
        """memset: set ``n`` bytes to ``value``."""
        self.step += 1
        self._guard(self._fill, address, n, value)

    def _fill(self, address: int, n: int, value: int) -> None:
        if not (is_int(value) and 0 <= value < 256):
            raise BadRequest(f"memset value {value!r} is not a byte", step=self.step)
        record = self._check_access(address, n, "WRITE")
        self._write(record, address, bytes([value]) * n)

    def _check_access(self, address: int, n: int, access: str) -> BlockRecord | None:
        """Report a bad access; return the live block the access starts in, if it does."""
        if not is_int(address):
            raise BadRequest(f"{access} at {address!r}: not an address", step=self.step)
        if not is_int(n) or n <= 0:
            raise BadSize(f"{access} of {n!r} bytes: sizes are positive integers", step=self.step)
        if not (self.os.is_mapped(address) and self.os.is_mapped(address + n - 1)):
            self._report("SEGV", SegmentationFault, address, access, size=n)
        record = self._spans.find(address)
        if record is None:
            self._stray(address, n, access)
            return None
        if record.state != LIVE:
            self._report("heap-use-after-free", UseAfterFree, address, access, size=n, record=record, abort=False)
            return None
        if address < record.payload:
            self._report(
                "heap-buffer-overflow", HeapBufferUnderflow, address, access, size=n, record=record, abort=False
            )
        elif address + n > record.end:
            inside = address - record.payload
            note = f"the {n}-byte access starts {inside} bytes inside and runs {address + n - record.end} past the end"
            self._report(
                "heap-buffer-overflow",
                HeapBufferOverflow,
                address,
                access,
                size=n,
                record=record,
                at=max(address, record.end),
                note=note if address < record.end else "",
                abort=False,
            )
        return record

    def _stray(self, address: int, n: int, access: str) -> None:
        """An access outside every live or quarantined block (and its redzones)."""
        old = self._history.find(address)
        if old is not None:
            note = "the block has left quarantine; its memory may already belong to someone else"
            self._report(
                "heap-use-after-free", UseAfterFree, address, access, size=n, record=old, note=note, abort=False
            )
            return
        left, right = self._spans.neighbours(address)
        gap_left = address - left.end if left else None
        gap_right = right.payload - address if right else None
        if left is None and right is None:
            self._report(
                "wild-access", WildAccess, address, access, size=n, note="no block is near this address", abort=False
            )
        elif right is None or (left is not None and gap_left <= gap_right):
            self._report("heap-buffer-overflow", HeapBufferOverflow, address, access, size=n, record=left, abort=False)
        else:
            self._report(
                "heap-buffer-overflow", HeapBufferUnderflow, address, access, size=n, record=right, abort=False
            )
