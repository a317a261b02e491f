"""Running one grading job in its own process, with a time limit and a cap on its output.

The child is ``python -m memlab.grading.runner`` in a new session (so the whole process group
can be killed), with a temporary directory as its working directory. The parent reads the
child's stdout and stderr with a cap: a flood below Python's ``print`` (``os.write``) is cut off
and the child killed. A child that outlives its wall-clock limit is killed too. Either way the
job's result says why, in one line the learner can act on.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
from dataclasses import asdict
from pathlib import Path

from .limits import Limits


def _drain(stream, cap: int, state: dict, proc: subprocess.Popen) -> None:
    """Read the child's raw output; past ``cap`` bytes, kill it."""
    total = 0
    while True:
        chunk = stream.read(65536)
        if not chunk:
            return
        total += len(chunk)
        if total > cap and not state.get("flood"):
            state["flood"] = total
            _kill(proc)


def _kill(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError, AttributeError):
        proc.kill()


def run(job: dict, limits: Limits) -> dict:
    """Run ``job`` in a child process; return its result, or ``{"error": reason}``."""
    with tempfile.TemporaryDirectory(prefix="memlab-grade-") as tmp:
        job_file, result_file = Path(tmp) / "job.json", Path(tmp) / "result.json"
        job = dict(job, notebook=str(Path(job["notebook"]).resolve()), limits=asdict(limits))
        job_file.write_text(json.dumps(job))
        env = dict(os.environ, PYTHONHASHSEED="0", MPLBACKEND="Agg", PYTHONDONTWRITEBYTECODE="1")
        proc = subprocess.Popen(
            [sys.executable, "-m", "memlab.grading.runner", str(job_file), str(result_file)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            cwd=tmp,
            env=env,
            start_new_session=True,
        )
        state: dict = {}
        reader = threading.Thread(target=_drain, args=(proc.stdout, 4 * limits.output, state, proc), daemon=True)
        reader.start()
        try:
            code = proc.wait(timeout=limits.seconds + 5)  # + start-up and import time
        except subprocess.TimeoutExpired:
            _kill(proc)
            proc.wait()
            reader.join(5)
            return {"error": f"stopped after {limits.seconds:g} s: your code never finished (an endless loop?)"}
        reader.join(5)
        if state.get("flood"):
            return {"error": f"stopped: your code wrote more than {4 * limits.output // 1024} KiB of output"}
        if result_file.exists():
            try:
                return json.loads(result_file.read_text())
            except json.JSONDecodeError:
                pass
        if code in (-signal.SIGXCPU, -signal.SIGKILL):
            return {"error": f"stopped after {limits.seconds:g} s of CPU time: your code never finished"}
        if code < 0:
            return {"error": f"your code crashed the grader's process ({signal.Signals(-code).name})"}
        return {"error": f"your code ended the grader's process (exit status {code})"}
