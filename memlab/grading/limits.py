"""Limits for running a learner's code: time, memory, output.

Applied inside the child process that grades one question (see :mod:`.runner`): CPU seconds
and address space through :mod:`resource` (POSIX only), and a cap on what the code prints,
enforced at Python level by :class:`CappedStream`. The parent process also enforces a wall-clock
timeout and caps the bytes it reads from the child's pipe, so output written below Python
(``os.write``) is bounded too (see :mod:`.sandbox`).

These limits contain accidents (an endless loop, a runaway print, a huge list), not malice: a
learner's code runs with the grader's permissions. Grade untrusted submissions in a container.
"""

from __future__ import annotations

from dataclasses import dataclass

try:
    import resource
except ImportError:  # pragma: no cover - Windows
    resource = None


@dataclass(frozen=True, slots=True)
class Limits:
    """Per-question limits: wall-clock seconds, address-space bytes, printed bytes."""

    seconds: float = 20.0
    memory: int = 2 << 30
    output: int = 64 << 10

    def apply(self) -> None:
        """Set this process's CPU and memory limits (a no-op where ``resource`` is missing)."""
        if resource is None:
            return
        cpu = int(self.seconds) + 2
        _lower(resource.RLIMIT_CPU, cpu)
        _lower(resource.RLIMIT_AS, self.memory)
        _lower(resource.RLIMIT_CORE, 0)


def _lower(which: int, value: int) -> None:
    soft, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    try:
        resource.setrlimit(which, (value, hard))
    except (ValueError, OSError):
        pass


class OutputLimit(BaseException):
    """The learner's code printed more than the limit (a BaseException, so ``except Exception`` misses it)."""


class CappedStream:
    """A text stream that keeps the first ``limit`` characters and raises OutputLimit after."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.parts: list[str] = []
        self.size = 0
        self.exceeded = False

    def write(self, text: str) -> int:
        if self.exceeded:
            raise OutputLimit(f"printed more than {self.limit // 1024} KiB")
        text = str(text)
        self.size += len(text)
        if self.size > self.limit:
            self.exceeded = True
            raise OutputLimit(f"printed more than {self.limit // 1024} KiB")
        self.parts.append(text)
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    @property
    def text(self) -> str:
        return "".join(self.parts)
