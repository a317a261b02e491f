"""The browser course, built by ``memlab site build`` and run offline in Chromium, on Pyodide.

The site is built once per session and served on 127.0.0.1. Every request a page makes goes
through a guard: the site's own are served; Pyodide's CDN, from which the site loads
matplotlib, is refused (the one outside request the site documents); any other is refused and
fails the test. In that site, two tabs at a time, each in a fresh browser context, "Run All
Cells" runs every notebook and every exercise solution. A notebook that plots gets a stand-in
for matplotlib that draws nothing (``lite.NO_PLOTS``), so that all the rest of it runs. Every
cell must run, none may raise except those tagged ``raises-exception``; one player in each
notebook is stepped forward and back, and each solution's check cell must give its full-marks
feedback right there in the browser. The plots themselves run under the browser's limits in
CPython (tests/site/test_pyodide_limits.py).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from driving import BACK, forward_until_redrawn, press, step_of
from lite import NO_PLOTS, Guard, SiteServer, execute, expose_app, run_notebooks, text_of

from memlab.site import build, front
from memlab.site.build import BOOT, copy_course
from memlab.site.pyodide import kernel_pins

ROOT = Path(__file__).resolve().parents[2]
WIDGET = "application/vnd.jupyter.widget-view+json"
ENDLESS = """from memlab.grading import check


def stack_alloc(stack, size, align=16):
    while True:
        pass


check("01", {"stack_alloc": stack_alloc}, time_limit=2)"""


def code_of(path: Path) -> str:
    nb = json.loads(path.read_text())
    return "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")


def has_player(path: Path) -> bool:
    nb = json.loads(path.read_text())
    return any(
        WIDGET in o.get("data", {}) for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])
    )


pytestmark = pytest.mark.extended  # builds the whole site and runs the course in Pyodide: minutes


def browser_notebooks() -> list[str]:
    """Every solution and every course notebook."""
    chosen = [*sorted((ROOT / "solutions").glob("*.ipynb")), *sorted((ROOT / "notebooks").glob("*.ipynb"))]
    return [p.relative_to(ROOT).as_posix() for p in chosen]


def plots(path: str) -> bool:
    return "matplotlib" in code_of(ROOT / path)


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    """The site, built once (the Pyodide runtime comes from npm into the user's cache the first time)."""
    return build(tmp_path_factory.mktemp("site") / "site", say=lambda line: None)


def test_the_site_holds_the_course_a_pure_wheel_and_the_runtime(site):
    files = site / "files"
    for folder in ("notebooks", "exercises", "solutions"):
        assert sorted(p.name for p in (files / folder).glob("*.ipynb")) == sorted(
            p.name for p in (ROOT / folder).glob("*.ipynb")
        ), folder
    assert not (files / "exercises" / "source").exists(), "the exercises' sources hold the answers"
    assert sorted(p.name for p in (files / "traces").glob("*.rep")) == sorted(
        p.name for p in (ROOT / "memlab" / "traces" / "data").glob("*.rep")
    )
    static = site / "static" / "pyodide"
    [wheel] = static.glob("memlab-*.whl")
    assert wheel.name.endswith("-py3-none-any.whl")
    for name in ("pyodide.mjs", "pyodide.asm.wasm", "python_stdlib.zip"):
        assert (static / name).stat().st_size > 10_000, name
    version, _, cdn = kernel_pins()
    lock = json.loads((static / "pyodide-lock.json").read_text())["packages"]
    settings = json.loads((site / "jupyter-lite.json").read_text())["jupyter-config-data"]
    kernel = settings["litePluginSettings"]["@jupyterlite/pyodide-kernel-extension:kernel"]
    assert kernel["pyodideUrl"] == "./static/pyodide/pyodide.mjs" and kernel["disablePyPIFallback"] is True
    preload = kernel["loadPyodideOptions"]["packages"]
    assert set(preload) == {*BOOT, "memlab"}
    todo, boot = list(preload), set()  # everything the kernel loads as it starts is served by the site
    while todo:
        name = todo.pop()
        if name not in boot:
            boot.add(name)
            todo += lock[name]["depends"]
    served = {n for n in boot if (static / lock[n]["file_name"]).is_file()}
    assert served == boot, f"the kernel's start would fetch from elsewhere: {sorted(boot - served)}"
    assert lock["matplotlib"]["file_name"].startswith(f"{cdn}/") and f"v{version}/" in cdn
    first = (site / "index.html").read_text()
    assert "lab/index.html?path=notebooks/00_the_simulated_machine.ipynb" in first
    assert "matplotlib" in first and "CDN" in first and "offline" in first


def test_a_student_release_leaves_the_solutions_out(tmp_path):
    copy_course(ROOT, tmp_path / "files", solutions=False)  # what build(..., solutions=False) puts in the site
    assert not (tmp_path / "files" / "solutions").exists()
    assert (tmp_path / "files" / "exercises" / "01_stack_allocation.ipynb").is_file()
    assert "solutions" not in (tmp_path / "files" / "README.md").read_text()
    assert "solutions/" not in front.page(solutions=False, pyodide="1", cdn="https://cdn.example/")


@pytest.fixture(scope="session")
def runs(browser, site, artifacts):
    """Every notebook of :func:`browser_notebooks` run in the site: (guard, {path: NotebookRun})."""
    expose_app(site)
    server = SiteServer(site)
    guard = Guard(server.base, kernel_pins()[2])

    def new_context():
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        context.route("**/*", guard)
        return context

    def after(run):
        run.stepped = step_one_player(run.page, run.path) if has_player(ROOT / run.path) else None
        run.page.screenshot(path=str(artifacts / f"site_{run.path[:-6].replace('/', '_')}.png"))
        run.endless = execute(run.page, ENDLESS) if run.path.startswith("solutions/01_") else None

    try:

        def before(run):
            if plots(run.path):
                execute(run.page, NO_PLOTS)

        done = run_notebooks(
            new_context, server.base, browser_notebooks(), tabs=2, before=before, after=after, timeout=300
        )
    finally:
        server.close()
    times = [f"{run.path}: kernel ready in {run.boot_seconds:.1f} s, Run All {run.seconds:.1f} s" for run in done]
    (artifacts / "site_times.txt").write_text("\n".join(times) + "\n")  # two tabs at once: each slower than alone
    return guard, {run.path: run for run in done}


def step_one_player(page, path: str) -> str | None:
    """Step the first player forward until it redraws, then back; None if it did, else what went wrong."""
    player = page.locator(".memlab-player").first
    try:
        player.wait_for(timeout=30_000)
        player.scroll_into_view_if_needed()
        caption = player.locator(".memlab-caption").element_handle(timeout=30_000)
        # drawn only once scrolled to (content-visibility): until then its innerText is empty
        page.wait_for_function("el => el.innerText.trim().startsWith('Step')", arg=caption, timeout=30_000)
        start = step_of(player)
        forward_until_redrawn(page, player)
        press(page, player, BACK, step_of(player) - 1)
    except Exception as e:  # noqa: BLE001 - reported by the test that asks
        return f"{type(e).__name__}: {str(e).splitlines()[0]}"
    return None if step_of(player) >= start else f"stepped back past the start ({start})"


def test_no_request_leaves_the_machine(runs):
    guard, done = runs
    assert done, "no notebook ran"
    assert guard.violations == [], f"requests tried to leave 127.0.0.1: {guard.violations}"
    assert all("/pyodide/v" in url for url in guard.refused)


@pytest.mark.parametrize("path", browser_notebooks())
def test_every_cell_runs_in_pyodide(runs, path):
    _, done = runs
    run = done[path]
    unexpected, expected_shown = [], 0
    for cell in run.cells:
        assert cell["count"] is not None, f"{path}: cell {cell['index']} never ran (Run All stopped before it)"
        errors = [text_of(o) for o in cell["outputs"] if o.get("output_type") == "error"]
        if "raises-exception" in cell["tags"]:
            expected_shown += any(o.get("name") == "stderr" or o.get("output_type") == "error" for o in cell["outputs"])
        elif errors:
            unexpected.append(f"cell {cell['index']}: {errors[0][:300]}")
    assert not unexpected, f"{path}: {unexpected}"
    assert expected_shown == sum("raises-exception" in c["tags"] for c in run.cells), "an expected error was not shown"
    assert run.ok, f"{path}: Run All did not finish cleanly"


@pytest.mark.parametrize("path", [p for p in browser_notebooks() if has_player(ROOT / p)])
def test_a_player_steps_in_pyodide(runs, path):
    _, done = runs
    assert done[path].stepped is None, f"{path}: {done[path].stepped}"


def test_check_cells_give_their_feedback_in_the_browser(runs):
    _, done = runs
    solutions = [path for path in done if path.startswith("solutions/")]
    assert len(solutions) == len(list((ROOT / "solutions").glob("*.ipynb")))
    for path in solutions:
        shown = [text_of(o) for c in done[path].cells if "check(" in c["source"] for o in c["outputs"]]
        assert any(re.search(r"(\d+)/\1 points", t) and "All visible checks pass" in t for t in shown), (path, shown)
    endless = "".join(text_of(o) for o in done["solutions/01_stack_allocation.ipynb"].endless)
    assert "stopped after 2 s: your code never finished" in endless, endless
