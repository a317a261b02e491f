"""How the learner's process is started, confined and ended: bubblewrap, or a documented fallback.

**bubblewrap** (``bwrap``, Debian's ``bubblewrap``; written against 0.8.0, Debian 12's) where it
works. The learner's process gets new
PID, mount, network, IPC and UTS namespaces and sees a read-only view of the system's ``/usr`` (and
the Python installation, if it lives elsewhere) and of the ``memlab`` package alone, at
``/grader/lib/memlab``: no course checkout, no solutions, no exercise sources, no hidden tests, no
other submission (the notebook's code arrives over a pipe), a fresh ``/proc`` showing only its own
processes, an empty environment, no network, and a private ``/tmp`` (a small tmpfs) as the only
writable place. Run as root, bubblewrap starts it as root with only the capabilities to change
user, and it drops to a user of its own (one per grading worker, no account needed) before the
learner's code runs; run by anyone else, bubblewrap uses a user namespace. Either way it ends when
the grader ends it: killing the namespace's first process kills every process in it.

**The fallback, as root** (no bubblewrap, or user namespaces forbidden, as in many containers):
the process imports memlab and the usual standard modules, moves into an empty private directory
as its root (``chroot``) and drops to its worker's user: it can read nothing on disk, write only that
directory, and every process it leaves is killed through its user (``kill(-1)`` as that user).

**The weak fallback** (no bubblewrap and not root): resource limits, a new session, an empty
environment, a private working directory and no new privileges; the grader becomes the reaper of
orphans, and kills them after every submission. The process can still read what your user can:
grade untrusted submissions this way only inside a container (Gradescope's, for example).

``memlab grade`` says which one it used. ``--isolation`` or ``MEMLAB_GRADE_ISOLATION`` (``auto``,
``bwrap``, ``fallback``) forces one, as the tests do to check both.
"""

from __future__ import annotations

import os
import pwd
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .limits import Limits
from .student import HEADER

UID_BASE = int(os.environ.get("MEMLAB_GRADE_UID", "59000"))
"""The first of the user ids the learner's processes may run as when the grader is root."""
SCRATCH = 64 << 20
"""Bytes of the private ``/tmp`` under bubblewrap."""
BOOT = (
    "import sys; sys.pycache_prefix = sys.argv[2]; sys.path.insert(0, sys.argv[1]); "
    "from memlab.grading.student import main; main(sys.argv[3:])"
)
ENVIRONMENT = {
    "PATH": "/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "PYTHONHASHSEED": "0",
    "PYTHONDONTWRITEBYTECODE": "1",
    "MPLBACKEND": "Agg",
}


@dataclass(frozen=True)
class Isolation:
    """Which confinement is in use (``bwrap``, ``user`` or ``weak``) and, for a fallback, why."""

    kind: str
    why: str = ""

    def describe(self) -> str:
        if self.kind == "bwrap":
            return (
                "bubblewrap: PID, mount, network, IPC and UTS namespaces, a read-only view of the system and of "
                "memlab only, an empty environment, a private /tmp, a user of its own"
                + ("" if os.geteuid() == 0 else " (user namespace)")
            )
        if self.kind == "user":
            return f"fallback ({self.why}): an empty chroot, a user of its own, resource limits"
        return (
            f"weak fallback ({self.why}): resource limits, a new session and an empty environment only; "
            "the learner's code can read what this user can: grade untrusted work in a container"
        )


_CHOSEN: dict[str, Isolation] = {}


def choose(preference: str | None = None) -> Isolation:
    """The isolation to use: ``auto`` (bubblewrap if it works here, else a fallback), ``bwrap`` or ``fallback``."""
    preference = preference or os.environ.get("MEMLAB_GRADE_ISOLATION", "auto")
    if preference not in ("auto", "bwrap", "fallback"):
        raise ValueError(f"isolation {preference!r}: choose auto, bwrap or fallback")
    if preference not in _CHOSEN:
        fallback = _fallback("forced") if preference == "fallback" else None
        if fallback is None:
            problem = _probe_bwrap()
            if problem and preference == "bwrap":
                raise RuntimeError(f"bubblewrap does not work here: {problem}")
            fallback = _fallback(problem) if problem else Isolation("bwrap")
        _CHOSEN[preference] = fallback
    return _CHOSEN[preference]


def _fallback(why: str) -> Isolation:
    if os.geteuid() == 0 and hasattr(os, "chroot") and _can_chroot():
        return Isolation("user", why)
    return Isolation("weak", why)


def _can_chroot() -> bool:
    """Can this process enter an empty root and become a slot's user? (a forked process tries)"""
    with tempfile.TemporaryDirectory(prefix="memlab-probe-") as empty:
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the forked child
            try:
                os.chroot(empty)
                os.setgroups([])
                os.setresgid(UID_BASE, UID_BASE, UID_BASE)
                os.setresuid(UID_BASE, UID_BASE, UID_BASE)
                os._exit(0)
            except BaseException:  # noqa: BLE001
                os._exit(1)
        _, status = os.waitpid(pid, 0)
        return os.waitstatus_to_exitcode(status) == 0


def _probe_bwrap() -> str:
    """Empty if bubblewrap starts Python here with the options grading uses; else what went wrong."""
    if shutil.which("bwrap") is None:
        return "bwrap is not installed"
    argv = _bwrap_argv(None) + ["-c", "print('ok')"]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30, env=ENVIRONMENT)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"bwrap did not start: {e}"
    if done.returncode != 0 or done.stdout.strip() != "ok":
        return "bwrap failed: " + (done.stderr.strip().splitlines() or ["no message"])[-1][:200]
    return ""


def python() -> str:
    """The real interpreter (not a virtual environment's link to it)."""
    return os.path.realpath(getattr(sys, "_base_executable", None) or sys.executable)


def package_dir() -> Path:
    """The memlab package, as installed (the only part of a course checkout the process may see)."""
    import memlab

    return Path(memlab.__file__).resolve().parent


def _bwrap_argv(info_fd: int | None) -> list[str]:
    """The bubblewrap command up to the interpreter's arguments (the caller adds ``-c ...``)."""
    root = os.geteuid() == 0
    argv = ["bwrap", "--die-with-parent", "--new-session", "--unshare-pid", "--unshare-net", "--unshare-ipc"]
    argv += ["--unshare-uts", "--unshare-cgroup-try", "--hostname", "grading", "--cap-drop", "ALL"]
    argv += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"] if root else ["--unshare-user"]
    argv += ["--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64"):
        if os.path.islink(top):
            argv += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            argv += ["--ro-bind", top, top]
    interpreter = python()
    prefix = os.path.realpath(sys.base_prefix)
    made: set[str] = set()
    if not prefix.startswith("/usr/") and prefix != "/usr":
        argv += _parents(prefix, made) + ["--ro-bind", prefix, prefix]
    if not interpreter.startswith(("/usr/", prefix + "/")):
        argv += _parents(interpreter, made) + ["--ro-bind", interpreter, interpreter]
    argv += _parents("/grader/lib/memlab", made) + ["--ro-bind", str(package_dir()), "/grader/lib/memlab"]
    argv += ["--ro-bind", bytecode("/grader/lib/memlab"), "/grader/pycache"]
    argv += ["--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--size", str(SCRATCH), "--tmpfs", "/tmp"]
    argv += ["--chdir", "/tmp", "--clearenv"]
    for name, value in {**ENVIRONMENT, "HOME": "/tmp"}.items():
        argv += ["--setenv", name, value]
    if info_fd is not None:
        argv += ["--info-fd", str(info_fd)]
    return argv + ["--", interpreter, "-I", "-S"]


_BYTECODE: dict[str, str] = {}


def bytecode(where: str) -> str:
    """A folder of memlab's modules compiled for a process that sees the package at ``where``.

    The learner's process cannot write bytecode (its view of the package is read-only) and must not
    compile all of memlab for every submission; so the grader compiles it, into a folder laid out as
    ``sys.pycache_prefix`` expects, which the process then reads. The folder lives in this user's
    cache (``~/.cache/memlab/bytecode``, where nobody else can write) under a name made from the
    interpreter, ``where`` and every source file's size and time, so it serves until memlab changes.
    """
    if where not in _BYTECODE:
        import hashlib
        import py_compile

        top = package_dir()
        sources = sorted(top.rglob("*.py"))
        key = hashlib.sha256(f"{sys.implementation.cache_tag} {where}".encode())
        for src in sources:
            info = src.stat()
            key.update(f"{src.relative_to(top)} {info.st_size} {info.st_mtime_ns}\n".encode())
        home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "memlab" / "bytecode"
        folder = home / key.hexdigest()[:24]
        if not folder.is_dir():
            home.mkdir(parents=True, exist_ok=True)
            building = Path(tempfile.mkdtemp(prefix="building-", dir=home))
            for src in sources:
                seen = Path(where) / src.relative_to(top)
                cfile = Path(building, *seen.parent.parts[1:], f"{seen.stem}.{sys.implementation.cache_tag}.pyc")
                py_compile.compile(str(src), cfile=str(cfile), dfile=str(seen), doraise=False, quiet=2)
            for dirpath, _, files in os.walk(building):
                os.chmod(dirpath, 0o755)
                for name in files:
                    os.chmod(os.path.join(dirpath, name), 0o644)
            try:
                building.rename(folder)  # at once: another grader sees all of it or none
            except OSError:  # another grader made it first
                shutil.rmtree(building, ignore_errors=True)
            _prune(home, keep=folder)
        _BYTECODE[where] = str(folder)
    return _BYTECODE[where]


def _prune(home: Path, keep: Path, newest: int = 8, hours: float = 1.0) -> None:
    """Remove compiled folders of older memlab sources: all but the newest few, and none in use lately."""
    import time as clock

    old = sorted((p for p in home.iterdir() if p.is_dir() and p != keep), key=lambda p: p.stat().st_mtime)
    for folder in old[: max(0, len(old) - newest)]:
        if clock.time() - folder.stat().st_mtime > hours * 3600:
            shutil.rmtree(folder, ignore_errors=True)


def _parents(path: str, made: set[str]) -> list[str]:
    """Directories above a bound path, readable by anyone (bubblewrap would make them private)."""
    out = []
    parts = Path(path).parts[1:-1]
    for i in range(len(parts)):
        folder = "/" + "/".join(parts[: i + 1])
        if folder not in made and folder != "/usr" and not folder.startswith("/usr/"):
            made.add(folder)
            out += ["--perms", "0755", "--dir", folder]
    return out


class Ended(Exception):
    """The learner's process is gone (or must be): the message says why, for the learner."""


class TimedOut(Exception):
    """No answer before the deadline."""


class Child:
    """One learner's process: its pipes, its output cap, and the means to end all it started."""

    def __init__(self, isolation: Isolation, user: int | None, limits: Limits, cpu_seconds: float) -> None:
        self.isolation, self.limits = isolation, limits
        self.uid = user if os.geteuid() == 0 and isolation.kind != "weak" else None
        self.flood = 0
        self.raw = bytearray()
        self.scratch = None
        self.inner_pid = None
        req_r, self.req_w = os.pipe()
        self.rep_r, rep_w = os.pipe()
        info_r = info_w = None
        if isolation.kind == "bwrap":
            info_r, info_w = os.pipe()
            argv = _bwrap_argv(info_w) + ["-c", BOOT, "/grader/lib", "/grader/pycache", "0", str(rep_w)]
            cwd, passed = "/", (rep_w, info_w)
        else:
            self.scratch = tempfile.mkdtemp(prefix="memlab-grade-")
            if self.uid is not None:
                os.chown(self.scratch, self.uid, self.uid)
            lib = str(package_dir().parent)
            argv = [python(), "-I", "-S", "-c", BOOT, lib, bytecode(str(package_dir())), "0", str(rep_w)]
            cwd, passed = self.scratch, (rep_w,)
        env = {**ENVIRONMENT, "HOME": "/tmp" if isolation.kind == "bwrap" else self.scratch}
        self.orders = {
            "mode": "bwrap" if isolation.kind == "bwrap" else isolation.kind,
            "uid": self.uid,
            "scratch": self.scratch,
            "limits": limits,
            "cpu": cpu_seconds,
            "processes": limits.processes if self.uid is not None else _user_processes() + limits.processes,
        }
        try:
            self.proc = subprocess.Popen(
                argv,
                stdin=req_r,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                pass_fds=passed,
                cwd=cwd,
                env=env,
                start_new_session=True,
            )
        finally:
            for fd in (req_r, rep_w, info_w):
                if fd is not None:
                    os.close(fd)
        if info_r is not None:
            self.inner_pid = _child_pid(info_r)
        os.set_blocking(self.req_w, False)
        self.reader = threading.Thread(target=self._drain, daemon=True)
        self.reader.start()

    def _drain(self) -> None:
        """Read the process's raw output; past four times the print limit, end it."""
        cap = 4 * self.limits.output
        total = 0
        while True:
            try:
                chunk = self.proc.stdout.read1(65536)
            except (OSError, ValueError):
                return
            if not chunk:
                return
            total += len(chunk)
            if len(self.raw) < 4096:
                self.raw += chunk[: 4096 - len(self.raw)]
            if total > cap:
                self.flood = total
                self._kill_now()
                return  # and read no more: a writer still writing blocks until the kill lands

    # -- frames
    def send(self, data: bytes, deadline: float) -> None:
        view = memoryview(HEADER.pack(len(data)) + data)
        while view:
            self._wait(self.req_w, deadline, write=True)
            try:
                view = view[os.write(self.req_w, view) :]
            except BlockingIOError:
                continue
            except OSError:
                raise Ended(self.reason()) from None

    def receive(self, deadline: float, limit: int) -> bytes:
        head = self._read(HEADER.size, deadline)
        (size,) = HEADER.unpack(head)
        if size > limit:
            raise Ended(f"your code's process sent {size} bytes at once (at most {limit})")
        return self._read(size, deadline)

    def _read(self, n: int, deadline: float) -> bytes:
        parts, got = [], 0
        while got < n:
            self._wait(self.rep_r, deadline)
            chunk = os.read(self.rep_r, min(n - got, 1 << 20))
            if not chunk:
                raise Ended(self.reason())
            parts.append(chunk)
            got += len(chunk)
        return b"".join(parts)

    def _wait(self, fd: int, deadline: float, write: bool = False) -> None:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimedOut()
        ready = select.select([], [fd], [], left) if write else select.select([fd], [], [], left)
        if not any(ready):
            raise TimedOut()

    def reason(self) -> str:
        """Why the process is gone, for the learner."""
        code = self.proc.poll()
        if code is None:
            try:
                code = self.proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                return "your code's process stopped answering"
        if self.flood:
            return f"stopped: your code wrote more than {4 * self.limits.output // 1024} KiB of output"
        if code == 70:  # the process's own side failed, not the learner's code: a fault of the grader's
            sys.__stderr__.write(
                f"memlab grade: the learner's process failed:\n{bytes(self.raw).decode(errors='replace')}\n"
            )
            return "the grader's side of your code's process failed (not your fault; tell your instructor)"
        if code in (-signal.SIGXCPU, -signal.SIGKILL, 128 + signal.SIGXCPU, 128 + signal.SIGKILL):
            return "stopped: your code used up its CPU time or was killed"
        if code < 0 or code > 128:
            number = -code if code < 0 else code - 128
            try:
                name = signal.Signals(number).name
            except ValueError:
                name = f"signal {number}"
            return f"your code crashed the grader's process ({name})"
        return f"your code ended the grader's process (exit status {code})"

    # -- the end
    def _kill_now(self) -> None:
        for pid in (self.inner_pid, self.proc.pid):
            if pid:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def end(self) -> None:
        """Kill the process and everything it started; close the pipes; remove the scratch folder."""
        self._kill_now()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:  # pragma: no cover - a process the kernel would not reap
            pass
        if self.uid is not None:
            sweep_user(self.uid)
        if self.isolation.kind == "weak":
            sweep_orphans()
        for fd in (self.req_w, self.rep_r):
            try:
                os.close(fd)
            except OSError:
                pass
        self.reader.join(5)
        if self.proc.stdout:
            self.proc.stdout.close()
        if self.scratch:
            shutil.rmtree(self.scratch, ignore_errors=True)


def _child_pid(info_r: int) -> int | None:
    """The PID (outside) of the namespace's first process, from bubblewrap's ``--info-fd``."""
    import json

    data, deadline = b"", time.monotonic() + 30
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([info_r], [], [], max(0.0, deadline - time.monotonic()))
            chunk = os.read(info_r, 4096) if ready else b""
            if not chunk:
                break
            data += chunk
            try:
                return int(json.loads(data)["child-pid"])
            except (ValueError, KeyError, TypeError):
                continue
        return None
    finally:
        os.close(info_r)


def sweep_user(uid: int) -> None:
    """Kill every process running as ``uid`` (a slot's user): a forked helper becomes it and kills -1."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the forked helper
        try:
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
            for _ in range(1000):
                os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            os._exit(0)
        except BaseException:  # noqa: BLE001
            os._exit(1)
        os._exit(2)
    os.waitpid(pid, 0)


def sweep_orphans() -> None:
    """Kill this process's children and the orphans it reaps (it is their subreaper), until none is left."""
    me = os.getpid()
    for _ in range(100):
        children = [pid for pid in _processes() if _parent(pid) == me]
        if not children:
            return
        for pid in children:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for pid in children:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass


def become_subreaper() -> None:
    """Orphans of the learner's processes become this process's children (Linux), to be swept."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass


def _processes() -> list[int]:
    try:
        return [int(name) for name in os.listdir("/proc") if name.isdigit()]
    except OSError:  # pragma: no cover - no /proc
        return []


def _parent(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return int(f.read().rsplit(b")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def _user_processes() -> int:
    """How many processes this user runs now (a shared user's process limit must leave room for them)."""
    uid = os.getuid()
    count = 0
    for pid in _processes():
        try:
            if os.stat(f"/proc/{pid}").st_uid == uid:
                count += 1
        except OSError:
            pass
    return count or 256


_CLAIMED: list[tuple[int, int]] = []


def users(count: int) -> list[int | None]:
    """``count`` user ids for the learner's processes, this process's own until it ends (root only).

    Each is a user id with no account, claimed with a lock file in the temporary folder, so two
    graders on one machine (two test workers, two courses) never share one: ending every process
    of a user after a submission must end that submission's processes and nobody else's. Without
    root there is no user to switch to: None for each.
    """
    if os.geteuid() != 0:
        return [None] * count
    import fcntl

    candidate = _CLAIMED[-1][0] + 1 if _CLAIMED else UID_BASE
    while len(_CLAIMED) < count:
        if candidate >= UID_BASE + 4096:
            raise RuntimeError(f"no free user id in {UID_BASE}..{UID_BASE + 4095}: set MEMLAB_GRADE_UID")
        try:
            pwd.getpwuid(candidate)
        except KeyError:  # no account: free to use, if no other grader holds it
            fd = os.open(
                os.path.join(tempfile.gettempdir(), f"memlab-grade-user-{candidate}.lock"),
                os.O_RDWR | os.O_CREAT,
                0o600,
            )
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                _CLAIMED.append((candidate, fd))
            except BlockingIOError:
                os.close(fd)
        candidate += 1
    return [uid for uid, _ in _CLAIMED[:count]]


def claimed() -> list[int]:
    """The user ids this process has claimed for learner's processes (for checks that nothing is left)."""
    return [uid for uid, _ in _CLAIMED]
