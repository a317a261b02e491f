"""One JupyterLab server, one headless Chromium and one export of each notebook, shared by every browser test.

Chromium comes from the system (Debian's ``chromium`` package); Playwright's own browser
download is never used. Without Chromium or Playwright these tests skip with a clear message.
The notebooks are exported to HTML once per session; the offline pages load them with every
network request blocked.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"nothing answered at {url} within {seconds} s")


@pytest.fixture(scope="session")
def browser():
    path = chromium_path()
    if path is None:
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium); browser tests skipped")
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield b
        b.close()


def start_server(argv: list[str], url: str, workdir: Path, log: Path) -> subprocess.Popen:
    env = dict(os.environ, JUPYTER_PLATFORM_DIRS="1")
    handle = open(log, "w")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(argv, cwd=workdir, stdout=handle, stderr=subprocess.STDOUT, env=env)
    try:
        wait_for(url, 90)
    except RuntimeError:
        proc.terminate()
        raise
    return proc


@pytest.fixture(scope="session")
def course_copy(tmp_path_factory) -> Path:
    """A copy of the notebooks and the solutions, so that autosave never touches the committed ones."""
    copy = tmp_path_factory.mktemp("course")
    for folder in ("notebooks", "solutions"):
        shutil.copytree(ROOT / folder, copy / folder)
    return copy


@pytest.fixture(scope="session")
def lab(browser, course_copy):
    """The base URL and token of a JupyterLab server over the copied course."""
    port, token = free_port(), "memlab-browser-test"
    settings = course_copy / "settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    # every cell attached to the page, so players keep their place in the DOM while scrolling
    (settings / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
    argv = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        "--no-browser",
        "--allow-root",
        f"--port={port}",
        f"--ServerApp.token={token}",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.root_dir={course_copy}",
        "--LabApp.news_url=None",
        f"--LabApp.user_settings_dir={course_copy / 'settings'}",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    base = f"http://127.0.0.1:{port}"
    proc = start_server(argv, f"{base}/api/status?token={token}", course_copy, course_copy / "lab.log")
    yield base, token
    proc.terminate()
    proc.wait(timeout=30)


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    yield pg
    context.close()


class Offline:
    """A page that may load files and nothing else: every network request is aborted and remembered."""

    def __init__(self, browser, **options) -> None:
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000}, **options)
        self.requests: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()

    def _route(self, route) -> None:
        url = route.request.url
        if url.startswith(("file:", "data:", "blob:")):
            route.continue_()
        else:
            self.requests.append(url)
            route.abort()

    def open(self, path: Path) -> None:
        self.page.goto(path.as_uri(), wait_until="load")


@pytest.fixture
def offline(browser):
    o = Offline(browser)
    yield o
    o.context.close()


@pytest.fixture
def offline_reduced(browser):
    o = Offline(browser, reduced_motion="reduce")
    yield o
    o.context.close()


def exported_html(notebook: Path, out: Path) -> Path:
    """nbconvert's HTML export of a committed notebook, as a reader would make it (lab template, no execution)."""
    import nbconvert
    import nbformat

    exporter = nbconvert.HTMLExporter(template_name="lab")
    body, _ = exporter.from_notebook_node(nbformat.read(notebook, as_version=4))
    target = out / f"{notebook.parent.name}_{notebook.stem}.html"
    target.write_text(body, encoding="utf-8")
    return target


class Exports(dict):
    """Notebooks exported to HTML by their path from the root, each once, when a test first asks."""

    def __init__(self, out: Path) -> None:
        super().__init__()
        self.out = out

    def __missing__(self, name: str) -> Path:
        self[name] = exported_html(ROOT / name, self.out)
        return self[name]


@pytest.fixture(scope="session")
def exports(tmp_path_factory) -> Exports:
    """Every notebook and solution exported to HTML, once per session (as the tests ask for them)."""
    return Exports(tmp_path_factory.mktemp("exports"))


@pytest.fixture(scope="session")
def gallery_file(tmp_path_factory) -> Path:
    """``memlab demos export`` run once: the offline gallery of every demo."""
    out = tmp_path_factory.mktemp("gallery") / "gallery.html"
    done = subprocess.run(
        [sys.executable, "-m", "memlab", "demos", "export", str(out)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return out


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def voila(browser, course_copy):
    """The base URL and token of a Voilà server showing the demo gallery as a web app."""
    pytest.importorskip("voila", reason="Voilà is not installed (pip install -e '.[demo]')")
    port, token = free_port(), "memlab-voila-test"
    argv = [
        sys.executable,
        "-m",
        "voila",
        "notebooks/90_demo_gallery.ipynb",
        "--no-browser",
        f"--port={port}",
        f"--token={token}",
        "--Voila.ip=127.0.0.1",
    ]
    base = f"http://127.0.0.1:{port}"
    proc = start_server(argv, f"{base}/?token={token}", course_copy, course_copy / "voila.log")
    yield base, token
    proc.terminate()
    proc.wait(timeout=30)
