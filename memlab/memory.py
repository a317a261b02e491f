"""Simulated byte-addressable memory: bytes, words, alignment and a hexdump.

The memory is one anonymous ``mmap`` of the requested size, so a 64 MiB simulated memory costs
at most 64 MiB of real memory (the host only backs the pages that are touched) and never a Python
object per byte. Words are little-endian, as on x86-64 and most ARM machines. Addresses run from
0 to ``size - 1``; anything else raises :class:`~memlab.errors.OutOfBounds`.

Zeroing is what the simulated OS does to every page it hands out (``sbrk``, ``mmap``), as a real
kernel does. Where the host allows it (Linux), :meth:`Memory.fill` zeroes the whole pages of a
large range by handing them back to the host (``madvise(MADV_REMOVE)``), which reads as zeros
afterwards, instead of writing every byte: a heap that grows by megabytes then costs what a real
one costs, almost nothing, and holds no host memory for pages it never touches.

In the browser (Pyodide) there are no pages that cost nothing until touched: WebAssembly's
``mmap`` takes and zeroes all the bytes at once, so each simulated memory really costs its size.
A heap that a reference cycle keeps alive would hold its memory until the next garbage
collection, and a notebook that makes a few dozen heaps would run the page out of memory. So
there a new memory first collects garbage whenever those still alive add up to more than
:data:`COLLECT_ABOVE`: the youngest generation first, which in a loop that makes and drops heaps
frees them in well under a millisecond, and everything only if that was not enough (about 0.1 s
in Pyodide 314 with a notebook's objects alive).
"""

from __future__ import annotations

import gc
import mmap
import weakref

from . import host
from .errors import BadAlignment, BadSize, OutOfBounds, OutOfMemory

WORD = 8
"""Bytes in a machine word (a pointer) on the simulated 64-bit machine."""

ALIGNMENT = 8
"""Default payload alignment, as in CS:APP's malloc lab (double-word aligned)."""

ZERO_BY_PAGES = 16 * mmap.PAGESIZE
"""Zero ranges at least this long page by page, where the host can (see the module docstring)."""


def _host_zeroes_pages() -> int | None:
    """``mmap.MADV_REMOVE`` if handing pages of an anonymous mapping back makes them read as zeros here."""
    option = getattr(mmap, "MADV_REMOVE", None)
    if option is None or not hasattr(mmap.mmap, "madvise"):
        return None
    try:
        probe = mmap.mmap(-1, 2 * mmap.PAGESIZE)
        probe[:] = b"\xff" * len(probe)
        probe.madvise(option, 0, mmap.PAGESIZE)
        zeroed = probe[: mmap.PAGESIZE] == bytes(mmap.PAGESIZE) and probe[-1] == 0xFF
        probe.close()
    except Exception:  # any failure (a host without madvise, say) means: write the zeros
        return None
    return option if zeroed else None


_ZERO_PAGES = _host_zeroes_pages()


def is_power_of_two(n: int) -> bool:
    """True for 1, 2, 4, 8, ...; False for 0, negatives and everything else."""
    return isinstance(n, int) and n > 0 and n & (n - 1) == 0


def check_alignment(align: object) -> int:
    """Return ``align`` if it is a positive power of two, else raise BadAlignment."""
    if isinstance(align, bool) or not isinstance(align, int) or not is_power_of_two(align):
        raise BadAlignment(f"alignment {align!r} is not a power of two")
    return align


def check_size(size: object, what: str = "size") -> int:
    """Return ``size`` if it is a positive int, else raise BadSize."""
    if isinstance(size, bool) or not isinstance(size, int):
        raise BadSize(f"{what} {size!r} is not an integer")
    if size <= 0:
        raise BadSize(f"{what} {size} must be at least 1 byte")
    return size


def align_up(value: int, align: int) -> int:
    """The smallest multiple of ``align`` (a power of two) that is >= value."""
    return (value + align - 1) & -align


def align_down(value: int, align: int) -> int:
    """The largest multiple of ``align`` (a power of two) that is <= value."""
    return value & -align


COLLECT_ABOVE = 512 << 20
"""In the browser: the bytes of simulated memory alive past which a new one first collects garbage."""

_ALIVE: weakref.WeakSet = weakref.WeakSet()  # in the browser: every Memory not yet freed


class Memory:
    """``size`` bytes of simulated memory, all zero at the start."""

    def __init__(self, size: int) -> None:
        check_size(size, "memory size")
        if host.in_browser():  # see the module docstring
            for generation in (0, 2):
                if sum(m.size for m in _ALIVE) + size <= COLLECT_ABOVE:
                    break
                gc.collect(generation)
        try:
            self._bytes = mmap.mmap(-1, size)
        except (OSError, OverflowError) as e:  # the host refuses: too large for its address space or its RAM
            reason = e.strerror if isinstance(e, OSError) and e.strerror else "too large for this machine"
            raise OutOfMemory(f"a simulated memory of {size:,} bytes cannot be mapped here ({reason})") from None
        self.size = size
        self.writes = 0
        """How many writes (``write``, ``fill``, ``write_word``, ``copy``) this memory has taken. An
        allocator that keeps an index of its own tags compares it with the count it last saw, to
        know whether anything else has written here since."""
        self.written = (0, 0)
        """The bytes ``[start, end)`` the last of those writes changed."""
        if host.in_browser():
            _ALIVE.add(self)

    def __len__(self) -> int:
        return self.size

    def __repr__(self) -> str:
        return f"Memory({self.size} bytes)"

    def _span(self, address: int, n: int) -> None:
        if not (isinstance(address, int) and 0 <= address and n >= 0 and address + n <= self.size):
            what = f"{n} bytes at {address:#x}" if isinstance(address, int) else repr(address)
            raise OutOfBounds(
                f"access of {what} is outside memory [0x0, {self.size:#x})",
                address=address if isinstance(address, int) else None,
            )

    def read(self, address: int, n: int) -> bytes:
        """The ``n`` bytes starting at ``address``."""
        self._span(address, n)
        return self._bytes[address : address + n]

    def write(self, address: int, data: bytes) -> None:
        """Store ``data`` at ``address``."""
        self._span(address, len(data))
        self._bytes[address : address + len(data)] = data
        self.writes, self.written = self.writes + 1, (address, address + len(data))

    def wrote(self, start: int, end: int) -> None:
        """Count a write of the bytes ``[start, end)`` (for code that wrote them straight into the
        host's bytes, such as the grader copying back what a learner's process changed)."""
        self.writes, self.written = self.writes + 1, (start, end)

    def fill(self, address: int, n: int, value: int = 0) -> None:
        """Set ``n`` bytes from ``address`` to ``value`` (zeros: whole pages by the host, where it can)."""
        self._span(address, n)
        if value == 0 and n >= ZERO_BY_PAGES and _ZERO_PAGES is not None:
            low, high = align_up(address, mmap.PAGESIZE), align_down(address + n, mmap.PAGESIZE)
            self._bytes[address:low] = bytes(low - address)
            self._bytes.madvise(_ZERO_PAGES, low, high - low)
            self._bytes[high : address + n] = bytes(address + n - high)
        else:
            self._bytes[address : address + n] = bytes([value]) * n
        self.writes, self.written = self.writes + 1, (address, address + n)

    def read_word(self, address: int, width: int = WORD) -> int:
        """An unsigned little-endian integer of ``width`` bytes."""
        self._span(address, width)
        return int.from_bytes(self._bytes[address : address + width], "little")

    def write_word(self, address: int, value: int, width: int = WORD) -> None:
        """Store ``value`` as an unsigned little-endian integer of ``width`` bytes."""
        self._span(address, width)
        self._bytes[address : address + width] = value.to_bytes(width, "little")
        self.writes, self.written = self.writes + 1, (address, address + width)

    def copy(self, dest: int, src: int, n: int) -> None:
        """memmove: copy ``n`` bytes from ``src`` to ``dest`` (overlap allowed)."""
        self._span(src, n)
        self._span(dest, n)
        self._bytes.move(dest, src, n)
        self.writes, self.written = self.writes + 1, (dest, dest + n)

    def hexdump(self, address: int, n: int, *, width: int = 16, group: int = 4) -> str:
        """A hexdump like ``xxd``: address, bytes in groups, printable characters."""
        self._span(address, n)
        lines = []
        for row in range(address, address + n, width):
            chunk = self._bytes[row : min(row + width, address + n)]
            groups = [chunk[i : i + group].hex() for i in range(0, len(chunk), group)]
            text = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
            hexpart = " ".join(groups)
            pad = (width // group) * (2 * group + 1) - 1
            lines.append(f"{row:08x}: {hexpart:<{pad}}  {text}")
        return "\n".join(lines)
