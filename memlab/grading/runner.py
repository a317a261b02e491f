"""The child process that grades one question of one notebook: ``python -m memlab.grading.runner JOB RESULT``.

JOB is a JSON file naming the notebook, the exercise, the question (or, instead, a hidden test)
and the limits; RESULT is where the outcome goes, as JSON. The child applies the limits first,
then runs the notebook's definitions, then the question's check or the hidden test. Whatever the
learner's code does, the parent reads only RESULT: a child that dies or hangs writes none, and
the parent scores the question 0 with the reason.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .limits import CappedStream, Limits, OutputLimit


def run_job(job: dict) -> dict:
    """Grade the job's question; returns the result dictionary (see the module docstring)."""
    from . import notebook
    from .checks import exercise
    from .hidden import run_hidden

    defs = notebook.define(notebook.read(job["notebook"]))
    if job.get("question"):
        results = exercise(job["exercise"]).question(job["question"]).grade(defs.namespace).results
    else:
        results = [run_hidden(test, defs.namespace) for test in job.get("hidden", [])]
    return {"cases": [[c.name, c.points, c.earned, c.message] for c in results], "notes": defs.notes}


def main(argv: list[str]) -> int:
    job_path, result_path = argv
    job = json.loads(Path(job_path).read_text())
    limits = Limits(**job.get("limits", {}))
    limits.apply()
    real_out, real_err = sys.stdout, sys.stderr
    stream = CappedStream(limits.output)
    sys.stdout = sys.stderr = stream
    try:
        result = run_job(job)
    except OutputLimit as e:
        result = {"error": f"stopped: your code {e}"}
    except MemoryError:
        result = {"error": "stopped: your code ran out of memory"}
    except RecursionError:
        result = {"error": "stopped: endless recursion"}
    except Exception as e:  # noqa: BLE001 - a broken notebook, reported as such
        result = {"error": f"could not grade: {type(e).__name__}: {e}"}
    finally:
        sys.stdout, sys.stderr = real_out, real_err
    if not stream.exceeded:
        result["printed"] = stream.text[-2000:]
    Path(result_path).write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
