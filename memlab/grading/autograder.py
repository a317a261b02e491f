"""Gradescope, the class-scale engine: an autograder bundle per exercise, and the program it runs.

Gradescope runs each submission in a container of its own, on its own machines: that is how a class
of a thousand is graded. ``memlab exercises autograder 04 -o 04.zip`` writes what a programming
assignment there needs (Gradescope's autograder specification, ``docs/specs.md`` of
``gradescope/autograder_samples``): ``setup.sh`` (run once, as root, when the image is built: it
installs Python 3 and bubblewrap), ``run_autograder`` (run for each submission, in
``/autograder``), the ``memlab`` package (the checks, and nothing compiled),
``hidden.json`` (the exercise's hidden tests and the imports its notebook gives them) and
``grading.json`` (the exercise and the time per test). No solution travels in it.

``run_autograder`` calls :func:`main`: it finds the notebook in ``/autograder/submission``, grades
it as the bundle's exercise (pinned: the notebook's own metadata cannot change it), with the
learner's code isolated as in ``memlab grade`` (in a container without user namespaces that is
the fallback: an empty ``chroot`` and a user of its own), and writes
``/autograder/results/results.json``: ``score``, ``execution_time``, ``output`` and ``tests``, each
test with ``name``, ``score``, ``max_score``, ``output``, ``output_format`` and ``visibility``
(hidden tests ``after_published``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import zipfile
from pathlib import Path

from ..errors import BadRequest
from .checks import exercise as find_exercise
from .hidden import hidden_tests, imports_of

SETUP = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq python3 bubblewrap >/dev/null
python3 -c 'import sys; assert sys.version_info >= (3, 10), "memlab needs Python 3.10 or newer"'
"""

RUN = """#!/usr/bin/env bash
# Gradescope runs this for each submission, with /autograder as the working directory (a copy of
# this script is /autograder/run_autograder; the bundle is unpacked in /autograder/source).
# It grades the notebook in submission/ as exercise {key} and writes results/results.json.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source="$here/source"
[ -d "$source/memlab" ] || source="$here"
mkdir -p "$here/results"
cd "$here"
PYTHONPATH="$source" exec "${{MEMLAB_PYTHON:-python3}}" -m memlab.grading.autograder \\
  --bundle "$source" --submission "$here/submission" --results "$here/results/results.json"
"""


def bundle(exercise: str, output: str | Path | None = None, *, root: str | Path = ".", seconds: float = 20.0) -> Path:
    """Write the Gradescope autograder zip for ``exercise``; its path."""
    from .release import package_files

    try:
        ex = find_exercise(exercise)
    except KeyError as e:
        raise BadRequest(e.args[0]) from None
    source = Path(root) / "exercises" / "source" / f"{ex.key}.ipynb"
    if not source.is_file():
        raise BadRequest(f"{source}: the exercise's source notebook (with its hidden tests) is missing")
    from . import notebook

    nb = notebook.read(source)
    hidden = {"exercise": ex.key, "tests": hidden_tests(nb), "imports": imports_of(nb)}
    out = Path(output or f"{ex.number}.zip")
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        _add(z, "setup.sh", SETUP)
        _add(z, "run_autograder", RUN.format(key=ex.key))
        _add(z, "grading.json", json.dumps({"exercise": ex.key, "seconds": seconds}, indent=1))
        _add(z, "hidden.json", json.dumps(hidden, indent=1))
        for name, path in package_files():
            z.write(path, name)
    return out


def _add(z: zipfile.ZipFile, name: str, text: str) -> None:
    info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
    info.external_attr = (0o755 if not name.endswith(".json") else 0o644) << 16
    z.writestr(info, text)


def find_notebook(folder: Path, key: str) -> tuple[Path | None, str]:
    """The submitted notebook: the one there is, else the one named after the exercise; and a note."""
    found = sorted(p for p in folder.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts and not p.is_symlink())
    if not found:
        return None, "no notebook (.ipynb file) was submitted"
    if len(found) == 1:
        return found[0], ""
    named = [p for p in found if p.stem == key or p.stem.startswith(key[:2])]
    chosen = (named or found)[0]
    return chosen, f"{len(found)} notebooks were submitted; {chosen.name} was graded"


def main(argv: list[str] | None = None) -> int:
    """Grade the submission for Gradescope and write ``results.json`` (see the module docstring)."""
    from .grader import Hidden, _refused, plan, run_jobs
    from .isolation import choose
    from .limits import Limits
    from .results import SubmissionResult

    parser = argparse.ArgumentParser(prog="memlab.grading.autograder")
    parser.add_argument("--bundle", required=True, type=Path)
    parser.add_argument("--submission", required=True, type=Path)
    parser.add_argument("--results", required=True, type=Path)
    args = parser.parse_args(argv)
    began = time.monotonic()
    config = json.loads((args.bundle / "grading.json").read_text())
    stored = json.loads((args.bundle / "hidden.json").read_text())
    ex = find_exercise(config["exercise"])
    limits = Limits(seconds=float(config.get("seconds", 20.0)))
    isolation = choose()
    path, note = find_notebook(args.submission, ex.key)
    if path is None:
        result: SubmissionResult = _refused(str(args.submission), "", note)
    else:
        job = plan(str(path), "", ex)
        if isinstance(job, SubmissionResult):
            result = job
        else:
            job.notes[:0] = [note] if note else []
            hidden = {ex.key: Hidden(tuple(stored["tests"]), stored["imports"])}
            (result,) = run_jobs([job], 1, limits, isolation, hidden)
    shown = [t for t in result.tests if not t.hidden]
    output = (
        f"Exercise {ex.key}: {sum(t.score for t in shown):g}/{sum(t.max_score for t in shown):g} on the visible tests"
    )
    if len(shown) < len(result.tests):
        output += " (the hidden tests show when your instructor publishes the grades)"
    if note:
        output += f". {note}"
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(result.results_json(time.monotonic() - began, output), indent=1))
    print(f"memlab autograder: {ex.key}, isolation: {isolation.describe()}")
    print(f"memlab autograder: {result.score:g}/{result.max_score:g}")
    return 0


if __name__ == "__main__":  # pragma: no cover - run by run_autograder
    sys.exit(main())
