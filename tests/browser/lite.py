"""Driving the browser course (a JupyterLite site built by ``memlab site build``) in Chromium.

:class:`SiteServer` serves the site on 127.0.0.1 with the types browsers insist on for modules
and WebAssembly. :class:`Guard` sees every request a browser context makes: the site's own go
through; Pyodide's CDN (where matplotlib comes from) is refused and noted; anything else is
refused and noted as a violation. The rest works through JupyterLite's own application object
(``window.jupyterapp``): open a notebook, wait for its Pyodide kernel, run all cells (the same
command as the Run menu's "Run All Cells"), and read every cell's outputs from the notebook model.
"""

from __future__ import annotations

import functools
import http.server
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


class _Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".js": "text/javascript",
        ".mjs": "text/javascript",
        ".wasm": "application/wasm",
        ".json": "application/json",
        ".whl": "application/octet-stream",
    }

    def log_message(self, *args) -> None:  # quiet
        pass


class SiteServer:
    """A static web server for ``folder`` on 127.0.0.1, in a thread of the test process."""

    def __init__(self, folder: Path) -> None:
        handler = functools.partial(_Handler, directory=str(folder))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@dataclass
class Guard:
    """Lets the site's requests through; refuses the rest, noting the CDN's apart from violations."""

    base: str
    cdn: str
    refused: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)

    def __call__(self, route) -> None:
        url = route.request.url
        if url.startswith(self.base + "/"):
            route.continue_()
            return
        (self.refused if url.startswith(self.cdn) else self.violations).append(url)
        route.abort("blockedbyclient")


KERNEL_IDLE = """() => { const p = window.jupyterapp?.shell?.currentWidget;
  return !!p?.sessionContext?.session?.kernel && p.sessionContext.session.kernel.status === 'idle'; }"""

START_RUN_ALL = """() => { const t0 = performance.now(); window.__memlabRun = {done: false};
  const end = (ok, error) => {
    window.__memlabRun = {done: true, ok, error, seconds: (performance.now() - t0) / 1000}; };
  window.jupyterapp.commands.execute('notebook:run-all-cells')
    .then(ok => end(ok, null), err => end(false, String(err))); }"""

RUN_STATE = "() => window.__memlabRun"

NO_PLOTS = """
import importlib.abc, importlib.machinery, sys, types


class _Anything:
    def __init__(self, *args, **kwargs): pass
    def __call__(self, *args, **kwargs): return _Anything()
    def __getattr__(self, name): return _Anything()
    def __iter__(self): return iter((_Anything(), _Anything()))
    def __getitem__(self, key): return _Anything()


def _attribute(name):
    if name.startswith("__"):
        raise AttributeError(name)
    return _Anything()


class _NoPlots(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "matplotlib":
            return importlib.machinery.ModuleSpec(name, self, is_package=True)

    def create_module(self, spec):
        module = types.ModuleType(spec.name)
        module.__getattr__ = _attribute
        module.__path__ = []
        return module

    def exec_module(self, module): pass


sys.meta_path.insert(0, _NoPlots())
"""
"""Code that makes matplotlib a stand-in that draws nothing: run in a kernel before a notebook that
plots, so that everything but the drawing runs offline (the site loads the real one from Pyodide's CDN)."""

CELLS = """() => { const cells = window.jupyterapp.shell.currentWidget.content.model.cells; const out = [];
  for (let i = 0; i < cells.length; i++) { const c = cells.get(i); if (c.type !== 'code') continue;
    out.push({index: i, count: c.executionCount, tags: c.getMetadata('tags') || [], source: c.sharedModel.getSource(),
              outputs: c.outputs.toJSON()}); }
  return out; }"""

EXECUTE = """async (code) => { const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
  const future = kernel.requestExecute({code}); const out = [];
  future.onIOPub = (msg) => { if (['stream', 'execute_result', 'display_data', 'error'].includes(msg.header.msg_type))
    out.push(msg.content); };
  await future.done; return out; }"""


def open_notebook(page, base: str, path: str, timeout: float = 180_000) -> None:
    """Open ``path`` (relative to the site's files) in JupyterLab and wait until its kernel is idle."""
    page.goto(f"{base}/lab/index.html?path={path}")
    page.wait_for_function(KERNEL_IDLE, timeout=timeout, polling=250)


def start_run_all(page) -> None:
    page.evaluate(START_RUN_ALL)


def run_state(page) -> dict:
    """``{"done": bool, "ok": bool, "seconds": float}`` of the last :func:`start_run_all`."""
    return page.evaluate(RUN_STATE)


def cells(page) -> list[dict]:
    """Every code cell: index, execution count (None if it never ran), tags, source and outputs (nbformat JSON)."""
    return page.evaluate(CELLS)


def execute(page, code: str) -> list[dict]:
    """Run ``code`` in the open notebook's kernel, outside any cell; the contents of what it output."""
    return page.evaluate(EXECUTE, code)


def text_of(output: dict) -> str:
    """The plain text an output shows (a stream, a result's text/plain, or an error's name and value)."""
    if output.get("output_type") == "error" or "ename" in output:
        return f"{output.get('ename')}: {output.get('evalue')}"
    if "text" in output:
        text = output["text"]
        return "".join(text) if isinstance(text, list) else text
    plain = output.get("data", {}).get("text/plain", "")
    return "".join(plain) if isinstance(plain, list) else plain


def expose_app(site: Path) -> None:
    """Turn on JupyterLite's ``exposeAppInBrowser`` (jupyter-lite.json), so a test can reach ``window.jupyterapp``.

    A test copy only: the built site itself keeps the option off.
    """
    config = site / "jupyter-lite.json"
    data = json.loads(config.read_text())
    data["jupyter-config-data"]["exposeAppInBrowser"] = True
    config.write_text(json.dumps(data, indent=2))


@dataclass
class NotebookRun:
    """One notebook opened in its own browser context and run with "Run All Cells"."""

    path: str
    context: object
    page: object
    opened: float
    boot_seconds: float | None = None
    started: float | None = None
    seconds: float | None = None
    ok: bool | None = None
    cells: list[dict] = field(default_factory=list)


def _ask(page, script: str):
    try:
        return page.evaluate(script)
    except Exception:  # noqa: BLE001 - the page is still navigating: ask again later
        return None


def run_notebooks(
    new_context: Callable[[], object],
    base: str,
    paths: list[str],
    *,
    tabs: int = 2,
    before: Callable[[NotebookRun], None] | None = None,
    after: Callable[[NotebookRun], None] | None = None,
    timeout: float = 300,
) -> list[NotebookRun]:
    """Run all cells of each notebook in ``paths``, ``tabs`` at a time (each in a fresh context).

    ``before(run)`` is called once the kernel is idle, before "Run All"; ``after(run)`` once it
    is done (``run.seconds`` is the time "Run All" took, measured in the page), before the
    context closes. Waits by letting the browser work (``wait_for_timeout``), so requests keep
    being routed meanwhile.
    """
    pending, active, done = list(paths), [], []
    while pending or active:
        while pending and len(active) < tabs:
            path = pending.pop(0)
            context = new_context()
            page = context.new_page()
            page.goto(f"{base}/lab/index.html?path={path}", wait_until="commit")
            active.append(NotebookRun(path, context, page, time.monotonic()))
        for run in list(active):
            now = time.monotonic()
            if run.started is None:
                if _ask(run.page, KERNEL_IDLE):
                    run.boot_seconds = now - run.opened
                    if before is not None:
                        before(run)
                    start_run_all(run.page)
                    run.started = time.monotonic()
                elif now - run.opened > timeout:
                    raise TimeoutError(f"{run.path}: the kernel was not ready after {timeout:.0f} s")
                continue
            state = _ask(run.page, RUN_STATE) or {}
            if state.get("done"):
                run.seconds, run.ok = state.get("seconds"), bool(state.get("ok"))
                run.cells = cells(run.page)
                try:
                    if after is not None:
                        after(run)
                finally:
                    active.remove(run)
                    done.append(run)
                    run.context.close()
            elif now - run.started > timeout:
                raise TimeoutError(f"{run.path}: Run All had not finished after {timeout:.0f} s")
        if active:
            active[0].page.wait_for_timeout(250)
    return done
