"""Limits for running a learner's code: time, memory, processes, files, output.

The learner's process (:mod:`.student`) sets its own resource limits before it runs any of the
learner's code: address space, CPU seconds, processes of its user, the size of a file it writes,
open files, and no core dumps (POSIX ``setrlimit``). What the code prints through Python is capped
by :class:`CappedStream`; the grader caps the bytes it reads from the process's output pipe too,
so output written below Python (``os.write``) is bounded as well, and it gives every test a
wall-clock budget (:mod:`.boundary`). Isolation from the grader's files, environment and other
submissions is :mod:`.isolation`'s work; these limits keep one submission from starving the rest.
"""

from __future__ import annotations

from dataclasses import dataclass

try:
    import resource
except ImportError:  # pragma: no cover - Windows
    resource = None


@dataclass(frozen=True, slots=True)
class Limits:
    """Per-test wall-clock seconds, and the learner's process's address space, printed bytes,
    processes, file size and open files."""

    seconds: float = 20.0
    memory: int = 2 << 30
    output: int = 64 << 10
    processes: int = 64
    file_size: int = 16 << 20
    open_files: int = 64

    def apply(self, cpu_seconds: float | None = None, *, processes: int | None = None) -> None:
        """Set this process's limits (a no-op where ``resource`` is missing).

        ``cpu_seconds`` defaults to one test's time; ``processes`` to :attr:`processes` (a process
        running as a user of its own; where the user is shared the caller passes a higher count).
        """
        if resource is None:
            return
        _lower(resource.RLIMIT_CPU, int(cpu_seconds or self.seconds) + 2, slack=1)  # SIGXCPU, then SIGKILL
        _lower(resource.RLIMIT_AS, self.memory)
        _lower(resource.RLIMIT_CORE, 0)
        _lower(resource.RLIMIT_FSIZE, self.file_size)
        _lower(resource.RLIMIT_NOFILE, self.open_files)
        _lower(resource.RLIMIT_NPROC, processes or self.processes)


def _lower(which: int, value: int, slack: int = 0) -> None:
    """Lower the soft *and* hard limit, so the learner's code cannot raise it again."""
    soft, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
        slack = min(slack, hard - value)
    try:
        resource.setrlimit(which, (value, value + slack))
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

    def take(self) -> str:
        """What was printed since the last take."""
        text = "".join(self.parts)
        self.parts.clear()
        return text

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
