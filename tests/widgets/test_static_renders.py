"""Committed notebooks read well without a kernel (GitHub, nbviewer).

Every widget output also carries a static picture (SVG in HTML, or an image) of its final
frame, and every notebook is committed executed, so no reader ever meets a blank "widget"
placeholder.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WIDGET = "application/vnd.jupyter.widget-view+json"
NOTEBOOKS = sorted(p for folder in ("notebooks", "solutions") for p in (ROOT / folder).glob("*.ipynb"))


def code_cells(path: Path) -> list[dict]:
    return [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]


def static_picture(data: dict) -> bool:
    if any(kind.startswith("image/") for kind in data):
        return True
    html = "".join(data.get("text/html", ""))
    return bool(re.search(r"<svg|<img|<table", html))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_widget_output_has_a_static_final_frame(path):
    bare = []
    for number, cell in enumerate(code_cells(path)):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET in data and not static_picture(data):
                bare.append(number)
    assert not bare, f"{path.name}: code cells {bare} show a widget with no static picture beside it"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_notebooks_are_committed_executed(path):
    cells = [c for c in code_cells(path) if "".join(c["source"]).strip()]
    unrun = [i for i, c in enumerate(cells) if c.get("execution_count") is None]
    assert not unrun, f"{path.name}: code cells {unrun} were committed without being run"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_players_are_stored_once_in_their_own_output_and_notebooks_stay_small(path):
    """A player's text/html output carries its frames; stored widget state would carry them again, and
    would make nbconvert, nbviewer and Jupyter Book draw the widget from a CDN instead of that output."""
    nb = json.loads(path.read_text())
    assert "widgets" not in nb["metadata"], (
        f"{path.name} stores widget state: re-execute it with "
        "`jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.store_widget_state=False`"
    )
    assert path.stat().st_size <= 2_000_000, f"{path.name} is {path.stat().st_size / 1e6:.1f} MB, over 2 MB"


def test_the_check_can_fail():
    """The picture test really looks: a widget alone is rejected, a widget with an SVG accepted."""
    assert not static_picture({WIDGET: {"model_id": "x"}, "text/plain": "Player(...)"})
    assert static_picture({WIDGET: {"model_id": "x"}, "text/html": "<div><svg></svg></div>"})


# absolute paths of a machine: installed packages, home and system folders, Windows drives
PATH_LIKE = re.compile(r"site-packages|/(?:home|root|usr|opt|tmp|work|Users|private|var|srv|mnt)/[\w.-]+|\b[A-Z]:\\\\")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_outputs_name_no_file_of_the_machine_they_ran_on(path):
    leaks = [
        match.group(0)
        for cell in code_cells(path)
        for output in cell.get("outputs", [])
        for match in [PATH_LIKE.search(json.dumps(output))]
        if match
    ]
    assert not leaks, f"{path.name}: outputs show paths of the machine that ran them: {leaks[:3]}"


def test_the_path_check_can_fail():
    assert PATH_LIKE.search("File /usr/lib/python3/site-packages/memlab/os.py:12, in sbrk")
    assert PATH_LIKE.search("\\u001b[1;32m/srv/course/memlab/memory.py:92\\u001b[0m")
    assert not PATH_LIKE.search("see notebooks/03_free_lists_and_placement.ipynb and memlab/os.py")
